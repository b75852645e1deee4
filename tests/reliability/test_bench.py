"""The reliability benches stay runnable: a tiny scale desk verifies, the peer bench runs.

The peer bench compares with SpiffWorkflow, which only the ``bench`` extra installs
(``make install`` does): without it that test is skipped, saying so.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import peer, scale
from engine.audit.audit import Audit
from engine.core.model import TicketQuery
from storage import open_store
from tests.storage.samples import chain_problems
from tui.wiring import open_workspace

BENCH_SKIP = "SpiffWorkflow not installed: the peer bench needs the bench extra (make install)"


def test_the_generated_desk_is_legal_and_timed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'scale.db'}"
    built = scale.build(url, 40)
    assert (built["tickets"], built["events"]) == (40, 400)
    workspace = open_workspace(url)
    store = workspace.store
    report = Audit(store, workspace.desk.clock).verify()
    assert report.ok, report.violations[:3]
    assert (report.tickets, report.events) == (40, 400)
    open_ones = store.list_tickets(TicketQuery(is_open=True))
    assert [t.id for t in open_ones] == [2, 10, 20, 30, 40]  # the open template, 1 in 10
    assert all(store.pending_timers(t.id) for t in open_ones)
    store.close()
    figures = scale.measure(url, 40, runs=1)
    assert figures["verify_events_per_s"] > 0 and figures["report_s"] >= 0


def test_the_peer_bench_runs_both_engines() -> None:
    pytest.importorskip("SpiffWorkflow", reason=BENCH_SKIP)
    result = peer.measure(4, synchronous="NORMAL")
    assert result["steps"] == 12
    assert result["spiffworkflow_steps_per_s"] > 0 and result["ticketflow_steps_per_s"] > 0


def test_the_peer_ceiling_writes_what_ticketflow_writes(tmp_path: Path) -> None:
    engines = {name: kind(tmp_path / f"{name}.db", "NORMAL")
               for name, kind in (("raw", peer.RawSqlite), ("ticketflow", peer.Ticketflow))}
    for engine in engines.values():
        instances = [engine.open() for _ in range(2)]
        for _ in peer.TRIGGERS:
            for instance in instances:
                engine.step(instance)
        engine.close()
    rows = {}
    for name in engines:
        with open_store(f"sqlite:///{tmp_path / name}.db") as store:
            tickets = store.list_tickets(TicketQuery())
            journals = [store.events(ticket.id) for ticket in tickets]
        assert all(chain_problems(journal) == [] for journal in journals)
        assert [t.head for t in tickets] == [journal[-1].hash for journal in journals]
        rows[name] = [(t.state, t.post, t.assignee, t.is_open, t.version, t.seq, t.data, t.sla,
                       [(e.actor, e.kind, e.trigger, e.source, e.dest, e.changes, e.details)
                        for e in journal])
                      for t, journal in zip(tickets, journals, strict=True)]
    assert rows["raw"] == rows["ticketflow"] and len(rows["raw"]) == 2
