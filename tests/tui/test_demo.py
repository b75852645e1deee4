"""The demo desk: built through the Desk API on a virtual clock, so its journal is real."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from engine.core.model import TicketQuery
from engine.desk.articles import Articles
from engine.desk.items import Items
from engine.desk.problems import Problems, workaround
from engine.time.clock import VirtualClock
from tests.tui.conftest import DeskCopy
from tui.cli import run
from tui.commands.app_cmds import is_demo_desk
from tui.demo import ARTICLES, ITEMS, LOGINS, PEOPLE, build_demo
from tui.wiring import open_workspace

END = datetime(2026, 10, 8, 1, 0, tzinfo=UTC)


def test_the_demo_desk_is_a_living_desk(tmp_path: Path) -> None:
    clock = VirtualClock(END - timedelta(days=3))
    workspace = open_workspace(f"sqlite:///{tmp_path / 'demo.db'}", clock=clock,
                               synchronous="NORMAL")
    build_demo(workspace, clock, tickets=60)
    desk, store = workspace.desk, workspace.store
    assert clock.now() == END
    assert {v.name for v in desk.versions()} == {"service_desk", "fault_escalation",
                                                 "vendor_access", "problem"}
    accounts = {a.username: a for a in store.list_accounts()}
    assert {(a.roles[0], a.post) for a in accounts.values() if not a.vendor} == {
        (role, post) for _, _, role, post in PEOPLE}
    for login in LOGINS:
        assert workspace.accounts.login(login.username, login.password)
    tickets = desk.tickets(TicketQuery(limit=500))
    assert len([t for t in tickets if t.parent_id is None]) == 65  # 61, a problem, 3 faults
    assert len({(t.process, t.state) for t in tickets}) >= 10
    events = list(store.iter_events())
    kinds = {(e.kind, e.trigger) for e in events}
    assert ("timer", "escalate") in kinds and ("event", "complaint") in kinds
    assert any(e.kind == "fire" for e in events) and len(events) > 5 * len(tickets)
    access = [t for t in tickets if t.process == "vendor_access" and t.state == "access_open"]
    assert access and accounts[access[0].data["vendor_account"]].vendor
    assert is_demo_desk(workspace)
    assert (accounts["hal"].group, accounts["val"].group) == ("hardware_platform", "Huawei")
    assert {i.name for i in Items(store, clock).all()} == {i.name for i in ITEMS}
    articles = Articles(store, clock)
    assert [a.status for a in reversed(articles.find())] == [s for _, s in ARTICLES]
    solved = articles.usage(END - timedelta(days=4), END)
    assert solved and {r.status for r in solved} == {"published"}
    linked = [t for t in tickets if desk.item_of(t) is not None]
    assert linked and any(desk.group_of(t) is not None for t in tickets)
    problem = next(t for t in tickets if t.process == "problem")
    faults = Problems(desk).linked(problem.id)
    assert len(faults) == 3 and {t.process for t in faults} == {"fault_escalation"}
    assert problem.state == "known_error" and workaround(problem)


def test_the_demo_command_refuses_a_desk_that_is_not_the_demo(desk: DeskCopy,
                                                              capsys) -> None:
    assert not is_demo_desk(desk.workspace)
    assert run(["demo", "--db", desk.workspace.url]) == 2
    assert "not the demo" in capsys.readouterr().err


def test_a_bad_web_address_is_refused(desk: DeskCopy, capsys) -> None:
    assert run(["tui", "--db", desk.workspace.url, "--web", "here:port"]) == 2
    assert "error: --web expects [HOST:]PORT, got 'here:port'" in capsys.readouterr().err
