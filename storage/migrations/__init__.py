"""Alembic migrations of ticketflow's schema (env.py, script.py.mako, versions/)."""
