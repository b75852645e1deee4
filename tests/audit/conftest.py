"""Audit fixtures: a desk on every backend with a tour of every shipped process done."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from engine.accounts.vendor import Credential
from engine.core.model import TicketQuery
from tests.desk.conftest import DeskWorld, build_world
from tests.desk.test_cli import ADMIN, AGENT, HANDLER, ROOT, Cli

KEY = b"an audit key kept outside the db"


@pytest.fixture
def world(store_url: str) -> Iterator[DeskWorld]:
    yield build_world(store_url)


@pytest.fixture
def toured(world: DeskWorld) -> DeskWorld:
    """A desk after the tour: tickets of every process, open, closed, timed out."""
    tour(world)
    return world


def sql(world: DeskWorld, statement: str, **params: Any) -> list[Any]:
    """Run SQL straight on the database, as someone tampering with it would."""
    with world.workspace.store.engine.begin() as connection:  # type: ignore[attr-defined]
        result = connection.execute(text(statement), params)
        return list(result) if result.returns_rows else []


def later(world: DeskWorld, **delta: float) -> None:
    world.clock.advance(timedelta(**delta))
    world.desk.fire_due()


def tour(world: DeskWorld) -> dict[str, int]:
    """Drive the mini and the three seed processes through their main paths."""
    return {**mini_tour(world), **service_desk_tour(world), **vendor_tour(world)}


def mini_tour(world: DeskWorld) -> dict[str, int]:
    desk, p = world.desk, world.people
    done = desk.open("mini", p["ann"], {"summary": "printer jam", "level": 2}).id
    later(world, minutes=1)
    for trigger, who in (("receive", "ann"), ("dispatch", "ann"), ("hold", "hal"),
                         ("resume", "hal"), ("return_to_desk", "hal"), ("dispatch", "ann")):
        desk.fire(done, trigger, p[who])
        later(world, minutes=3)
    desk.claim(done, p["hal"])
    desk.record(done, "complaint", p["ann"], note="took too long")
    desk.fire(done, "resolve", p["hal"], data={"resolution": "new roller"}, note="fixed")
    expired = desk.open("mini", p["ann"], {"summary": "forgotten"}).id
    desk.fire(expired, "receive", p["ann"])
    later(world, days=1, minutes=1)
    waiting = desk.open("mini", p["ann"], {"summary": "still open"}).id
    desk.fire(waiting, "receive", p["ann"])
    desk.fire(waiting, "dispatch", p["ann"])
    desk.assign(waiting, "hal", p["hal"])
    return {"mini_done": done, "mini_expired": expired, "mini_open": waiting}


def service_desk_tour(world: DeskWorld) -> dict[str, int]:
    desk, p = world.desk, world.people
    ticket = desk.open("service_desk", p["ann"], {"summary": "db slow", "customer": "x"}).id
    desk.fire(ticket, "receive", p["ann"])
    desk.fire(ticket, "dispatch", p["ann"], data={"assigned_group": "system_software"})
    desk.fire(ticket, "accept", p["hal"])
    later(world, minutes=20)
    moved = desk.fire(ticket, "request_vendor_access", p["hal"],
                      data={"vendor_name": "Acme", "vendor_rights": "operator"})
    [child] = desk.tickets(TicketQuery(parent_id=moved.id))
    received: list[Credential] = []
    desk.fire(child.id, "approve", p["sue"], data={"approval_reference": "memo-1"})
    expires = (world.clock.now() + timedelta(hours=4)).isoformat()
    desk.fire(child.id, "open_access", p["sue"], deliver=received.append,
              data={"vendor_account": "vendor_acme", "access_expires_at": expires})
    desk.record(child.id, "vendor_report", p["hal"], note="patched the database")
    later(world, hours=1)
    desk.fire(child.id, "end_access", p["hal"])
    desk.fire(child.id, "register", p["ann"], data={"password_changed": True,
                                                     "register_note": "episode registered"})
    desk.fire(ticket, "finish", p["hal"], data={"resolution": "index rebuilt"})
    desk.fire(ticket, "reply", p["ann"])
    desk.fire(ticket, "confirm", p["ann"])
    return {"service_desk": ticket, "vendor_child": child.id}


def vendor_tour(world: DeskWorld) -> dict[str, int]:
    desk, p = world.desk, world.people
    ticket = desk.open("vendor_access", p["hal"], {"summary": "urgent patch",
                                                   "vendor_name": "Beta", "rights": "read_only"})
    desk.fire(ticket.id, "approve_verbally", p["sue"])
    expires = (world.clock.now() + timedelta(days=2)).isoformat()
    desk.fire(ticket.id, "open_access", p["sue"],
              data={"vendor_account": "vendor_beta", "access_expires_at": expires})
    later(world, hours=25)
    return {"vendor_verbal": ticket.id}


@pytest.fixture
def cli(shared_store_url: str, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> Cli:
    """A desk with the seed processes, an admin and two agents, driven by the CLI."""
    cli = Cli(shared_store_url, capsys, monkeypatch)
    assert cli("init", "--admin", "root", "--password-stdin", stdin=ADMIN + "\n")[0] == 0
    assert cli("deploy", str(ROOT / "flows"), user="root", password=ADMIN)[0] == 0
    for name, post, password in (("ann", "service_desk", AGENT),
                                 ("hal", "handling_group", HANDLER)):
        assert cli("users", "add", name, "--role", "agent", "--post", post,
                   "--password-stdin", stdin=password + "\n", user="root",
                   password=ADMIN)[0] == 0
    return cli
