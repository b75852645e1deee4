"""Exporting the journal for auditors and process-mining tools: JSON Lines, CSV, XES.

XES follows IEEE 1849-2016: one ``<trace>`` per ticket (``concept:name`` = the ticket id),
one ``<event>`` per journal entry with ``concept:name`` (the activity: the trigger, or the
kind of entry), ``time:timestamp``, ``org:resource`` (the account) and
``lifecycle:transition`` (``complete``: journal entries are finished steps). A period
exports the events that happened in that calendar month (UTC).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from itertools import groupby
from typing import Any, TextIO
from xml.sax.saxutils import quoteattr

from engine.core.errors import BadRequest
from engine.core.journal import Event
from engine.desk.ports import Store

FORMATS = ("jsonl", "csv", "xes")
CSV_COLUMNS = ("ticket", "process", "seq", "at", "actor", "kind", "activity", "source", "dest",
               "note", "changes", "details", "digest", "hash")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""Cell beginnings a spreadsheet reads as a formula (OWASP, CSV injection)."""
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
"""Control characters (ESC among them) other than tab, line feed and carriage return."""
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
XES_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1849-2016" xes.features="" xmlns="http://www.xes-standard.org/">
  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
  <extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
  <extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
  <extension name="Lifecycle" prefix="lifecycle"
             uri="http://www.xes-standard.org/lifecycle.xesext"/>
  <global scope="trace">
    <string key="concept:name" value="UNKNOWN"/>
  </global>
  <global scope="event">
    <string key="concept:name" value="UNKNOWN"/>
    <date key="time:timestamp" value="1970-01-01T00:00:00.000+00:00"/>
    <string key="org:resource" value="UNKNOWN"/>
    <string key="lifecycle:transition" value="complete"/>
  </global>
  <classifier name="Activity" keys="concept:name"/>
  <classifier name="Resource" keys="org:resource"/>
  <string key="concept:name" value="ticketflow journal"/>
"""


def month(period: str) -> tuple[datetime, datetime]:
    """The first moment of a ``YYYY-MM`` month and of the next one (UTC)."""
    try:
        start = datetime.strptime(period, "%Y-%m").replace(tzinfo=UTC)
    except ValueError:
        raise BadRequest(f"expected a month as YYYY-MM, got {period!r}") from None
    end = start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
    return start, end


def activity(event: Event) -> str:
    """What process mining calls the event: its trigger, else its kind."""
    return event.trigger or event.kind


def selected(store: Store, ticket_id: int | None, period: str | None) -> Iterator[Event]:
    """The events to export: one ticket's, a month's, or all, by ticket and seq."""
    if ticket_id is not None:
        store.load_ticket(ticket_id)  # NotFound for an unknown ticket
    events = store.iter_events(None if ticket_id is None else [ticket_id])
    if period is None:
        yield from events
        return
    start, end = month(period)
    yield from (event for event in events if start <= event.at < end)


class Exporter:
    """Writes events in one of the export formats, naming each event's process."""

    def __init__(self, store: Store) -> None:
        self.processes = {v.digest: v.name for v in store.list_versions()}

    def write(self, events: Iterable[Event], form: str, out: TextIO) -> int:
        """Write the events; how many were written."""
        writers = {"jsonl": self.jsonl, "csv": self.csv, "xes": self.xes}
        if form not in writers:
            raise BadRequest(f"unknown format {form!r} (use {', '.join(FORMATS)})")
        return writers[form](events, out)

    def record(self, event: Event) -> dict[str, Any]:
        """One event as flat JSON-able data."""
        return {"ticket": event.ticket_id, "process": self.processes.get(event.digest),
                "seq": event.seq, "at": event.at.isoformat(), "actor": event.actor,
                "kind": event.kind, "activity": activity(event), "source": event.source,
                "dest": event.dest, "note": event.note, "changes": event.changes,
                "details": event.details, "digest": event.digest, "hash": event.hash}

    def jsonl(self, events: Iterable[Event], out: TextIO) -> int:
        count = 0
        for event in events:
            out.write(json.dumps(self.record(event), ensure_ascii=False, default=str) + "\n")
            count += 1
        return count

    def csv(self, events: Iterable[Event], out: TextIO) -> int:
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        count = 0
        for event in events:
            row = self.record(event)
            for key in ("changes", "details"):
                row[key] = json.dumps(row[key], ensure_ascii=False, sort_keys=True, default=str)
            writer.writerow({key: csv_cell(value) for key, value in row.items()})
            count += 1
        return count

    def xes(self, events: Iterable[Event], out: TextIO) -> int:
        out.write(XES_HEAD)
        count = 0
        for ticket_id, trace in groupby(events, key=lambda e: e.ticket_id):
            out.write(f'  <trace>\n    <string key="concept:name" value="{ticket_id}"/>\n')
            for event in trace:
                out.write(self._xes_event(event))
                count += 1
            out.write("  </trace>\n")
        out.write("</log>\n")
        return count

    def _xes_event(self, event: Event) -> str:
        moment = event.at.astimezone(UTC).isoformat(timespec="milliseconds")
        lines = [_attribute("string", "concept:name", activity(event)),
                 _attribute("date", "time:timestamp", moment),
                 _attribute("string", "org:resource", event.actor),
                 _attribute("string", "lifecycle:transition", "complete"),
                 _attribute("string", "process", self.processes.get(event.digest) or ""),
                 _attribute("string", "kind", event.kind),
                 _attribute("int", "seq", str(event.seq))]
        lines += [_attribute("string", key, value) for key, value in
                  (("source", event.source), ("dest", event.dest), ("note", event.note))
                  if value is not None]
        return "    <event>\n" + "".join(lines) + "    </event>\n"


def csv_cell(value: Any) -> Any:
    """A value safe in a spreadsheet: control characters replaced by U+FFFD, and text that
    a spreadsheet would run as a formula prefixed with ``'`` (as OWASP advises)."""
    if not isinstance(value, str):
        return value
    value = _CONTROL.sub("\ufffd", value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _attribute(kind: str, key: str, value: str) -> str:
    return f"      <{kind} key={quoteattr(key)} value={quoteattr(_NOT_XML.sub('�', value))}/>\n"
