"""The HTTP front end: the desk's API (FastAPI on uvicorn), API tokens, alert intake.

Routes are thin: they parse, call the desk service, and shape the answer; the engine's
error tree becomes status codes in one place (:mod:`api.errors`); the acting account comes
from a dependency (:mod:`api.deps`). ``api.wiring`` is the one module that reaches storage.
Neither this package nor ``tui`` imports the other, except ``ticketflow serve`` starting it.
"""
