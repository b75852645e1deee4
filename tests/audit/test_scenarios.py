"""Every shipped scenario, replayed and verified: the journal alone rebuilds every ticket."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from engine.audit.audit import Audit
from engine.audit.replay import differences
from engine.core.model import TicketQuery
from engine.desk.desk import Desk
from engine.scenarios.run import load_scenario, run_scenario
from engine.time.clock import VirtualClock
from tests.conftest import backend_url
from tests.desk.conftest import ROOT
from tui.wiring import Workspace, open_workspace

SCENARIOS = sorted((ROOT / "flows" / "scenarios").glob("*.yaml"))


def opener(url: str, opened: list[Workspace]) -> Callable[[VirtualClock], Desk]:
    def open_desk(clock: VirtualClock) -> Desk:
        opened.append(open_workspace(url, clock=clock))
        return opened[-1].desk
    return open_desk


@pytest.mark.slow  # every seed scenario, run and replayed
@pytest.mark.parametrize("kind", ["sqlite-file", pytest.param("postgresql", marks=pytest.mark.pg)])
def test_every_scenario_replays_to_its_stored_tickets_and_verifies(kind: str,
                                                                   tmp_path: Path) -> None:
    assert SCENARIOS
    for number, path in enumerate(SCENARIOS):
        folder = tmp_path / str(number)
        folder.mkdir()
        with backend_url(kind, folder) as url:
            opened: list[Workspace] = []
            outcome = run_scenario(load_scenario(path), opener(url, opened))
            assert outcome.passed, (path.name, [str(f) for f in outcome.failures])
            workspace = opened[-1]
            audit = Audit(workspace.store, workspace.desk.clock)
            tickets = workspace.desk.tickets(TicketQuery(is_open=None, limit=1000))
            assert tickets, path.name
            for ticket in tickets:
                assert differences(ticket, audit.replay(ticket.id)) == [], (path.name, ticket.id)
            report = audit.verify()
            assert report.ok, (path.name, [str(v) for v in report.violations])
