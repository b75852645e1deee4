"""Alembic migrations of ticketflow's schema (env.py, script.py.mako, versions/)."""

HEAD = "0001"
"""The newest revision; a test checks it against the scripts (so opening needs no Alembic)."""
