"""Time: where the engine reads it (a real or a virtual clock) and the running SLA clocks —
working time spent per stint, due times, warnings and breaches.

Imports ``core`` and ``process``. What a due SLA timer does to a ticket (``desk.alarms``) and
the timer workers (``desk.workers``) fire steps, so they live in ``desk``.
"""
