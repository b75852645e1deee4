"""Audit: replay, verify (hash chains, seals, the legality of every step, re-planning and its
parallel workers), exports, migration between versions, and the weekly security report.

Imports every room below it (``core`` to ``desk``); never ``assessment`` or ``scenarios``.
"""
