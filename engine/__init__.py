"""ticketflow's engine: pure logic, in rooms that form layers (lowest first).

- ``core``: what nearly everything uses: errors, the plain objects, the journal's events and
  the admin journal's entries;
- ``process``: the process language: YAML, spec, validation, expressions, fields, durations,
  calendars and the ladder's declaration, the compiler, diagrams;
- ``time``: the clock and the running SLA clocks;
- ``accounts``: accounts and passwords, login sessions, vendor accounts, account history;
- ``desk``: the desk service, planning a step, alarms, timer workers, the storage port;
- ``audit`` and ``assessment``: above the desk, beside each other;
- ``scenarios``: scenario files, which run a desk and check its assessment;
- ``files``: recognising and checking any file the product reads.

The engine imports neither storage nor any UI library; import-linter holds these layers.
"""
