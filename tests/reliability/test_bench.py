"""The reliability benches stay runnable: a tiny scale desk verifies, the peer bench runs."""

from __future__ import annotations

from pathlib import Path

from bench import peer, scale
from engine.audit import Audit
from engine.model import TicketQuery
from tui.wiring import open_workspace


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
    store.close()  # type: ignore[attr-defined]
    figures = scale.measure(url, 40, runs=1)
    assert figures["verify_events_per_s"] > 0 and figures["report_s"] >= 0


def test_the_peer_bench_runs_both_engines() -> None:
    result = peer.measure(4, synchronous="NORMAL")
    assert result["steps"] == 12
    assert result["spiffworkflow_steps_per_s"] > 0 and result["ticketflow_steps_per_s"] > 0
