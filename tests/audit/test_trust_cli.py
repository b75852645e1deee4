"""Issue 13 through the command line: a verify that cannot be fooled, on every backend."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

from sqlalchemy import delete, insert, update

from engine.core.journal import GENESIS, Event, seal
from storage.models import metadata
from tests.audit.test_cli import cli  # noqa: F401  (the fixture)
from tests.desk.test_cli import ADMIN, AGENT, Cli
from tui.wiring import open_workspace

EVENTS, TICKETS = metadata.tables["events"], metadata.tables["tickets"]

CAME_FROM = """\
process: came_from
title: Where a ticket came from
roles: [agent, supervisor, admin, auditor]
posts: [service_desk]
fields:
  summary: {type: text, required: true}
  came_from: {type: text}
states:
  new: {kind: start, post: service_desk}
  a: {post: service_desk}
  b: {post: service_desk}
  done: {kind: end}
transitions:
  - {trigger: go_a, from: new, to: a}
  - {trigger: go_b, from: new, to: b}
  - trigger: finish
    from: [a, b]
    to: done
    set: {came_from: "= state"}
"""


def verify(cli: Cli, *tickets: str, workers: int = 1) -> dict[str, object]:
    code, out, _ = cli("audit", "verify", *tickets, "--workers", str(workers), "--json")
    report = json.loads(out)
    assert code == (0 if report["ok"] else 1)
    return report  # type: ignore[no-any-return]


def rewrite(ticket_id: int, events: list[Event]) -> None:
    """Replace a ticket's journal with these events, rechained, and point its row at them."""
    chained, previous = [], GENESIS
    for seq, event in enumerate(events, start=1):
        event = seal(replace(event, seq=seq, prev_hash=previous))
        chained.append(event)
        previous = event.hash
    store = open_workspace(os.environ["TICKETFLOW_DB"]).store
    with store.engine.begin() as connection:  # type: ignore[attr-defined]
        connection.execute(delete(EVENTS).where(EVENTS.c.ticket_id == ticket_id))
        for event in chained:
            connection.execute(insert(EVENTS).values(vars(event)))
        connection.execute(update(TICKETS).where(TICKETS.c.id == ticket_id).values(
            seq=chained[-1].seq, head=chained[-1].hash))
    store.close()


def history(cli: Cli, number: int) -> list[Event]:
    store = open_workspace(os.environ["TICKETFLOW_DB"]).store
    try:
        return store.events(number)
    finally:
        store.close()


def test_open_with_a_parent_by_hand_verifies_and_replays(cli: Cli) -> None:
    """Point 4: the link is journaled in the opening event, so the row agrees with replay."""
    parent = cli.json("open", "service_desk", "--set", "summary=mail down", user="ann",
                      password=AGENT)
    assert isinstance(parent, dict)
    child = cli.json("open", "service_desk", "--set", "summary=a related one", "--parent",
                     str(parent["id"]))
    assert isinstance(child, dict) and child["parent"] == parent["id"]
    assert history(cli, child["id"])[0].details == {"parent": parent["id"]}
    replayed = cli.json("replay", str(child["id"]))
    assert isinstance(replayed, dict) and replayed["parent"] == parent["id"]
    report = verify(cli)
    assert report["ok"], report["violations"]
    assert cli("open", "service_desk", "--set", "summary=x", "--parent", "999")[0] == 2


def test_a_step_whose_set_reads_state_is_verified_per_state(cli: Cli, tmp_path: Path
                                                             ) -> None:
    """Point 6, the issue's example: ``finish`` from ``[a, b]`` sets ``came_from = state``."""
    flow = tmp_path / "came_from.yaml"
    flow.write_text(CAME_FROM)
    assert cli("deploy", str(flow), user="root", password=ADMIN)[0] == 0
    numbers = []
    for way in ("go_a", "go_b"):
        opened = cli.json("open", "came_from", "--set", "summary=s", user="ann",
                          password=AGENT)
        assert isinstance(opened, dict)
        numbers.append(opened["id"])
        assert cli("fire", str(opened["id"]), way)[0] == 0
        assert cli("fire", str(opened["id"]), "finish")[0] == 0
    first, second = numbers
    for workers in (1, 2):  # a legal journal: b's finish sets came_from to b, not a
        report = verify(cli, workers=workers)
        assert report["ok"], report["violations"]

    events = history(cli, second)  # forged: the second ticket came from a, says its journal
    forged = replace(events[-1], changes={"came_from": [None, "a"]})
    rewrite(second, [*events[:-1], forged])
    store = open_workspace(os.environ["TICKETFLOW_DB"]).store
    with store.engine.begin() as connection:  # type: ignore[attr-defined]
        row = connection.execute(TICKETS.select().where(TICKETS.c.id == second)).one()
        connection.execute(update(TICKETS).where(TICKETS.c.id == second).values(
            data={**row.data, "came_from": "a"}))
    store.close()
    alone = verify(cli, str(second))
    assert verify(cli, workers=2)["violations"] == alone["violations"]
    whole = verify(cli)
    assert not alone["ok"]
    assert whole["violations"] == alone["violations"] == [
        {"ticket": second, "seq": 3,
         "problem": "recorded changes to 'came_from' are not what the step does"}]
    assert verify(cli, str(first))["ok"]
