"""The ground floor: errors, plain objects, journal events and admin-journal entries.

Every other room imports these; this room imports no other room of the engine.
"""
