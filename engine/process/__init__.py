"""The process language: reading YAML, the spec models, validation, expressions, fields,
durations, business calendars and the escalation ladder's declaration, the compiler into
one ``transitions`` machine per version, and Mermaid diagrams.

The lowest room above ``core``: it imports only ``core``. The ladder and the calendars live
here because loading a process checks and expands them; the running clocks are in ``time``.
"""
