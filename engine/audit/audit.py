"""What auditors do: replay a ticket to a moment, verify the journals, seal their heads,
read the admin journal.

The pieces live in their own modules — :mod:`engine.audit.replay`, :mod:`engine.audit.verify` (with
:mod:`engine.audit.legality`), :mod:`engine.audit.seal`, :mod:`engine.core.admin_journal` — and this
service puts them on a store and a clock, as :class:`engine.desk.desk.Desk` does for agents.
"""

from __future__ import annotations

from datetime import datetime

from engine.accounts.accounts import SUPERUSER, ensure_active
from engine.audit import replay
from engine.audit.seal import check_key, make_seal
from engine.audit.verify import Report, Verifier, every_ticket
from engine.core.admin_journal import AdminEntry
from engine.core.errors import Forbidden
from engine.core.model import Account, Ticket
from engine.desk.ports import Store
from engine.process.compiler import CompiledProcess, compile_process
from engine.process.load import parse_stored
from engine.time.clock import Clock

AUDITOR = "auditor"
SEALERS = (SUPERUSER, AUDITOR)
"""Roles that may seal the journals."""


class Audit:
    """Replay, verification and seals on a store, with a clock."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._compiled: dict[str, CompiledProcess] = {}

    def compiled(self, digest: str) -> CompiledProcess:
        """The compiled process version of a digest (cached: versions are immutable)."""
        found = self._compiled.get(digest)
        if found is None:
            version = self.store.get_version(digest)
            found = self._compiled[digest] = compile_process(
                parse_stored(version))
        return found

    def replay(self, ticket_id: int, at: datetime | None = None) -> Ticket:
        """The ticket rebuilt from its journal alone, as it was at ``at`` (default: now)."""
        return replay.replay(self.store.events(ticket_id, until=at), self.compiled, at)

    def verify(self, ticket_ids: list[int] | None = None, key: bytes | None = None) -> Report:
        """Check the chains, every step's legality, and (given the key) the latest seal."""
        return Verifier(self.store, key).run(ticket_ids)

    def seal(self, actor: Account, key: bytes) -> AdminEntry:
        """Sign every ticket's chain head and the admin journal's head; journal the seal."""
        if not set(SEALERS) & set(actor.roles):
            raise Forbidden(f"sealing needs the role {' or '.join(SEALERS)}")
        now = self.clock.now()
        ensure_active(actor, now)
        heads = [(ticket.id, ticket.seq, ticket.head) for ticket in every_ticket(self.store)]
        entry = make_seal(heads, self.store.admin_head(), check_key(key), actor.username, now)
        return self.store.append_admin([entry])[0]

    def log(self, since: datetime | None = None) -> list[AdminEntry]:
        """The admin journal (from ``since`` on)."""
        return self.store.admin_entries(since=since)
