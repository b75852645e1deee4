"""The assessment (考覈): the table of indicators, a journal read as stints, the formulas,
and the monthly or yearly report per post.

Imports ``core``, ``process`` and ``time``; never ``audit`` or ``scenarios``.
"""
