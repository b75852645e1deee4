"""The engine's errors, one tree, each carrying what a person needs to fix the problem.

    TicketflowError
    ├── SpecError            a process / scenario / assessment file is wrong (file:line:column)
    └── ServiceError         a request the desk refused (ticket id, state)
        ├── NotFound         no such ticket, process, account or trigger     (kind not_found)
        ├── Forbidden        the account may not do this                      (kind forbidden)
        │   ├── AuthenticationFailed  wrong password, disabled or expired account
        │   └── InvalidLink  a requester's link that is damaged, forged or expired
        ├── InvalidTrigger   not possible from the current state    (kind invalid_trigger)
        ├── GuardFailed      the transition's condition is false               (kind guard)
        ├── MissingField     a required field is absent or a value is invalid  (kind missing_field)
        ├── Conflict         someone changed the ticket first                  (kind conflict)
        ├── DamagedVersion   a stored process version cannot be read            (kind damaged)
        └── BadRequest       anything else wrong with the request              (kind bad_request)

Exit codes follow the CLI contract: 2 for bad input, 3 for a conflict or a refusal.
"""

from __future__ import annotations

from dataclasses import dataclass


class TicketflowError(Exception):
    """Base of every error the product raises on purpose."""

    title = "Error"
    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """One problem in a file, at a 1-based line and column."""

    path: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


class SpecError(TicketflowError):
    """A file the product reads is invalid; carries every problem found in it."""

    title = "Invalid file"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.path, p.line, p.column))
        super().__init__("\n".join(str(p) for p in self.problems))


class ServiceError(TicketflowError):
    """The desk refused a request; ``kind`` is the name scenarios use in ``fails:``."""

    kind = "bad_request"
    title = "Refused"

    def __init__(self, message: str, *, ticket: int | None = None, state: str | None = None):
        self.ticket = ticket
        self.state = state
        where = ""
        if ticket is not None:
            where = f"ticket {ticket}" + (f" in state {state!r}" if state else "") + ": "
        super().__init__(where + message)


class NotFound(ServiceError):
    kind = "not_found"
    title = "Not found"


class Forbidden(ServiceError):
    kind = "forbidden"
    title = "Not allowed"
    exit_code = 3


class AuthenticationFailed(Forbidden):
    title = "Login failed"


class InvalidLink(Forbidden):
    title = "Link not valid"


class InvalidTrigger(ServiceError):
    kind = "invalid_trigger"
    title = "Not possible now"


class GuardFailed(ServiceError):
    kind = "guard"
    title = "Condition not met"


class MissingField(ServiceError):
    kind = "missing_field"
    title = "Missing or invalid field"


class Conflict(ServiceError):
    kind = "conflict"
    title = "Changed by someone else"
    exit_code = 3


class BadRequest(ServiceError):
    kind = "bad_request"


class DamagedVersion(ServiceError):
    """A process version stored in the database cannot be read (its source was changed
    behind the product's back): named by process and version, never by the file it was
    once deployed from, which may be fine."""

    kind = "damaged"
    title = "Damaged process version"


FAIL_KINDS = {cls.kind: cls for cls in (NotFound, Forbidden, InvalidTrigger, GuardFailed,
                                        MissingField, Conflict)}
