"""Exports: JSON Lines, CSV and XES (IEEE 1849) of one ticket, a month or everything."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest

from engine.audit.export import Exporter, month, selected
from engine.core.errors import BadRequest, NotFound
from tests.audit.conftest import tour
from tests.desk.conftest import DeskWorld

XES = "{http://www.xes-standard.org/}"


def exported(world: DeskWorld, form: str, ticket: int | None = None,
             period: str | None = None) -> str:
    out = io.StringIO()
    store = world.workspace.store
    Exporter(store).write(selected(store, ticket, period), form, out)
    return out.getvalue()


def test_jsonl_and_csv_carry_every_event_of_a_ticket(world: DeskWorld) -> None:
    ids = tour(world)
    history = world.desk.history(ids["mini_done"])
    lines = [json.loads(line) for line in exported(world, "jsonl", ids["mini_done"]).splitlines()]
    assert [(r["seq"], r["activity"], r["actor"], r["hash"]) for r in lines] == [
        (e.seq, e.trigger or e.kind, e.actor, e.hash) for e in history]
    assert lines[0]["process"] == "mini"
    rows = list(csv.DictReader(io.StringIO(exported(world, "csv", ids["mini_done"]))))
    assert [row["seq"] for row in rows] == [str(e.seq) for e in history]
    assert json.loads(rows[-1]["changes"]) == history[-1].changes


def test_xes_is_valid_xml_with_the_standard_extensions(world: DeskWorld) -> None:
    ids = tour(world)
    world.desk.record(ids["vendor_verbal"], "comment", world.people["sue"],
                      note='a <tricky> "note" & \x07 bell')
    root = ET.fromstring(exported(world, "xes"))
    assert root.tag == f"{XES}log" and root.get("xes.version") == "1849-2016"
    prefixes = {e.get("prefix") for e in root.findall(f"{XES}extension")}
    assert prefixes == {"concept", "time", "org", "lifecycle"}
    traces = root.findall(f"{XES}trace")
    assert len(traces) == len(ids)
    for trace in traces:
        events = trace.findall(f"{XES}event")
        name = trace.find(f"{XES}string")
        assert name is not None
        ticket = int(name.get("value", ""))
        assert len(events) == len(world.desk.history(ticket))
        for event in events:
            keys = {child.get("key"): child for child in event}
            assert {"concept:name", "time:timestamp", "org:resource",
                    "lifecycle:transition"} <= set(keys)
            assert keys["time:timestamp"].tag == f"{XES}date"
    notes = [c.get("value") for c in root.iter(f"{XES}string") if c.get("key") == "note"]
    assert 'a <tricky> "note" & � bell' in notes


def test_a_period_keeps_the_events_of_that_month(world: DeskWorld) -> None:
    tour(world)
    assert month("2026-12") == (month("2026-12")[0], month("2027-01")[0])
    october = exported(world, "jsonl", period="2026-10").splitlines()
    assert october and all(json.loads(line)["at"].startswith("2026-10") for line in october)
    assert exported(world, "jsonl", period="2026-09") == ""
    with pytest.raises(BadRequest):
        month("2026-13")


def test_unknown_tickets_and_formats_are_refused(world: DeskWorld) -> None:
    with pytest.raises(NotFound):
        list(selected(world.workspace.store, 999, None))
    with pytest.raises(BadRequest):
        exported(world, "pdf")
