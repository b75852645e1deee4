"""The hypothesis settings of the reliability suite's property tests (scoped to them).

``TICKETFLOW_EXAMPLES`` sets how many examples each property tries (60 by default, which
keeps the suite fast; thousands for a bug hunt).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

EXAMPLES = int(os.environ.get("TICKETFLOW_EXAMPLES", 60))

fuzz = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow,
                                       HealthCheck.function_scoped_fixture])
"""Decorate each ``@given`` test of this suite with it."""
