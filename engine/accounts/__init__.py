"""Accounts: passwords, roles and posts, login sessions, temporary vendor accounts, and who
an account was at a moment (its history from the admin journal).

Imports ``core``, ``process`` and ``time``.
"""
