"""The desk: the service every front end uses, planning one step on a ticket, what a due SLA
timer does (alarms), the timer workers, and the port that storage implements.

Imports ``core``, ``process``, ``time`` and ``accounts``.
"""
