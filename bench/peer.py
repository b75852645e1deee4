"""ticketflow against SpiffWorkflow, in one run: the same three-step user-task flow.

Each instance is opened, then three user tasks are completed one at a time, and after each
step its state is on disk in SQLite (WAL, the same ``synchronous`` for both):

- **SpiffWorkflow** 3.x: a BPMN process of three user tasks; after each task is run (and the
  engine steps done) the whole workflow is serialised with ``BpmnWorkflowSerializer`` and
  written to a row of its table, one commit per step. The workflow object stays in memory
  between steps (the most favourable case for it: no deserialising).
- **SpiffWorkflow, reloaded**: the same, reading the workflow back from SQLite and
  deserialising it before each step, as a server with many users (and ``Desk.fire``) does.
- **ticketflow**: ``Desk.fire`` on a three-state process — load the ticket, check the
  actor's role and post, fire the compiled machine, seal the journal event, commit the
  ticket, the event and the timers in one transaction.
- **raw sqlite3**: the ceiling — raw ``sqlite3`` doing exactly the reads and writes
  ticketflow does per step of the same flow (:mod:`bench.raw`: read the ticket row, decode
  and re-encode its data, hash the event, then in one ``BEGIN IMMEDIATE`` update the
  ticket's changed columns with its version check, cancel the timers of the state left,
  insert the event), with the
  store's pragmas, on tickets ticketflow opened. No engine that keeps those rows can step
  faster than this here.

The variants take turns in blocks of instances on their own files, so that a machine busy
with other work slows them alike. Steps/s counts the completed user tasks (opening not
timed). Goal: ticketflow at least 5× SpiffWorkflow's persisted steps/s.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import raw, record
from engine.core.model import Account
from engine.desk.desk import Desk
from engine.process.load import parse_process
from engine.time.clock import SystemClock
from storage import open_store

GOAL = 5.0
BLOCK = 50
BPMN = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="peer"
                  targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="three_steps" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="receive"/>
    <bpmn:userTask id="receive"/>
    <bpmn:sequenceFlow id="f1" sourceRef="receive" targetRef="handle"/>
    <bpmn:userTask id="handle"/>
    <bpmn:sequenceFlow id="f2" sourceRef="handle" targetRef="close"/>
    <bpmn:userTask id="close"/>
    <bpmn:sequenceFlow id="f3" sourceRef="close" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>"""
PROCESS = """\
process: three_steps
title: Three user tasks
roles: [agent]
posts: [desk]
fields:
  summary: {type: text, required: true}
states:
  new: {kind: start, post: desk}
  received: {post: desk}
  handled: {post: desk}
  closed: {kind: end}
transitions:
  - {trigger: receive, from: new, to: received}
  - {trigger: handle, from: received, to: handled}
  - {trigger: close, from: handled, to: closed}
"""
TRIGGERS = ("receive", "handle", "close")
MOVES = {"new": ("receive", "received"), "received": ("handle", "handled"),
         "handled": ("close", "closed")}
"""The flow's steps as :func:`bench.raw.fire` takes them: state → (trigger, destination)."""
ENDS = {"closed"}
AGENT = Account("agent", "Agent", ["agent"], "desk", "")


class Spiff:
    """SpiffWorkflow instances, each saved to SQLite after every step."""

    def __init__(self, path: Path, synchronous: str) -> None:
        from lxml import etree
        from SpiffWorkflow.bpmn.parser import BpmnParser
        from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer

        parser = BpmnParser()
        parser.add_bpmn_xml(etree.fromstring(BPMN), filename="three_steps.bpmn")
        self.spec = parser.get_spec("three_steps")
        self.serializer = BpmnWorkflowSerializer()
        self.db = sqlite3.connect(path, isolation_level=None)
        for pragma in ("journal_mode=WAL", f"synchronous={synchronous}"):
            self.db.execute(f"PRAGMA {pragma}")
        self.db.execute("CREATE TABLE workflows (id INTEGER PRIMARY KEY, state TEXT)")

    def open(self) -> tuple[int, Any]:
        from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

        workflow = BpmnWorkflow(self.spec)
        workflow.do_engine_steps()
        cursor = self.db.execute("INSERT INTO workflows (state) VALUES (?)",
                                 (self.serializer.serialize_json(workflow),))
        return int(cursor.lastrowid or 0), workflow

    def step(self, instance: tuple[int, Any]) -> None:
        from SpiffWorkflow.util.task import TaskState

        row, workflow = instance
        task = workflow.get_next_task(state=TaskState.READY, manual=True)
        task.run()
        workflow.do_engine_steps()
        state = self.serializer.serialize_json(workflow)
        self.db.execute("BEGIN IMMEDIATE")
        self.db.execute("UPDATE workflows SET state = ? WHERE id = ?", (state, row))
        self.db.execute("COMMIT")

    def close(self) -> None:
        self.db.close()


class SpiffReloaded(Spiff):
    """SpiffWorkflow as a server with many users runs it: each step reads the workflow back
    from SQLite first (as ``Desk.fire`` reads the ticket)."""

    def step(self, instance: tuple[int, Any]) -> None:
        row, _ = instance
        [(state,)] = self.db.execute("SELECT state FROM workflows WHERE id = ?", (row,))
        super().step((row, self.serializer.deserialize_json(state)))


class Ticketflow:
    """ticketflow tickets on a desk, each step one transaction."""

    def __init__(self, path: Path, synchronous: str) -> None:
        self.store = open_store(f"sqlite:///{path}?synchronous={synchronous}")
        self.desk = Desk(self.store, SystemClock())
        self.desk.deploy([parse_process(PROCESS, "three_steps.yaml")],
                         Account("root", "Root", ["admin"], None, ""))

    def open(self) -> tuple[int, list[int]]:
        return self.desk.open("three_steps", AGENT, {"summary": "peer"}).id, [0]

    def step(self, instance: tuple[int, list[int]]) -> None:
        ticket_id, done = instance  # which user task is next, as Spiff's workflow knows
        self.desk.fire(ticket_id, TRIGGERS[done[0]], AGENT)
        done[0] += 1

    def close(self) -> None:
        self.store.close()


class RawSqlite(Ticketflow):
    """The ceiling: tickets opened by ticketflow (not timed), each step raw ``sqlite3``
    writing the rows ``Desk.fire`` writes, one ``BEGIN IMMEDIATE`` transaction a step."""

    def __init__(self, path: Path, synchronous: str) -> None:
        super().__init__(path, synchronous)
        self.db = raw.connect(path, synchronous)

    def step(self, instance: tuple[int, list[int]]) -> None:
        raw.fire(self.db, instance[0], AGENT.username, moves=MOVES, ends=ENDS)

    def close(self) -> None:
        self.db.close()
        super().close()


ENGINES: dict[str, type[Spiff] | type[Ticketflow]] = {
    "spiffworkflow": Spiff, "spiffworkflow_reloaded": SpiffReloaded, "ticketflow": Ticketflow,
    "raw": RawSqlite}


def measure(instances: int, *, synchronous: str = "FULL") -> dict[str, Any]:
    """Every variant, taking turns in blocks; steps/s, CPU per step and the ratios."""
    seconds = dict.fromkeys(ENGINES, 0.0)
    cpu = dict(seconds)
    with tempfile.TemporaryDirectory() as folder:
        engines: dict[str, Spiff | Ticketflow] = {
            name: kind(Path(folder) / f"{name}.db", synchronous)
            for name, kind in ENGINES.items()}
        for done in range(0, instances, BLOCK):
            for name, engine in engines.items():
                batch = [engine.open() for _ in range(min(BLOCK, instances - done))]
                started, used = time.perf_counter(), time.process_time()
                for _ in TRIGGERS:
                    for instance in batch:
                        engine.step(instance)
                seconds[name] += time.perf_counter() - started
                cpu[name] += time.process_time() - used
        for engine in engines.values():
            engine.close()
    steps = instances * len(TRIGGERS)
    rates = {name: int(steps / spent) for name, spent in seconds.items()}
    spiff, spiff_cpu = max(rates["spiffworkflow"], 1), cpu["spiffworkflow"]
    return {"instances": instances, "steps": steps, "synchronous": synchronous, **{
        f"{name}_steps_per_s": rate for name, rate in rates.items()}, **{
        f"{name}_cpu_us_per_step": int(spent * 1e6 / steps) for name, spent in cpu.items()},
        "ratio": round(rates["ticketflow"] / spiff, 2),
        "ratio_reloaded": round(rates["ticketflow"] / max(rates["spiffworkflow_reloaded"], 1),
                                2),
        "raw_ratio": round(rates["raw"] / spiff, 2),
        "cpu_ratio": round(spiff_cpu / max(cpu["ticketflow"], 1e-9), 2),
        "raw_cpu_ratio": round(spiff_cpu / max(cpu["raw"], 1e-9), 2)}


def run(instances: int) -> dict[str, Any]:
    """The comparison with the default durability (FULL) and with NORMAL."""
    return {mode: measure(instances, synchronous=mode) for mode in ("FULL", "NORMAL")}


def describe(results: dict[str, Any]) -> str:
    return "peer:\n" + "\n".join(
        f"  {mode:>6}: SpiffWorkflow {case['spiffworkflow_steps_per_s']:,} steps/s (reloaded "
        f"each step {case['spiffworkflow_reloaded_steps_per_s']:,}), ticketflow "
        f"{case['ticketflow_steps_per_s']:,} ({case['ratio']}×; ÷ reloaded "
        f"{case['ratio_reloaded']}×, goal ≥ {GOAL:g}×), raw sqlite3 "
        f"{case['raw_steps_per_s']:,} ({case['raw_ratio']}×); CPU µs a step: Spiff "
        f"{case['spiffworkflow_cpu_us_per_step']}, ticketflow {case['ticketflow_cpu_us_per_step']}"
        f" ({case['cpu_ratio']}×), raw {case['raw_cpu_us_per_step']} ({case['raw_cpu_ratio']}×)"
        for mode, case in results.items())


SECTION = "## Peer: SpiffWorkflow\n"
HEADER = ("| date | instances | sync | SpiffWorkflow (reloaded) | ticketflow | raw sqlite3 | "
          "ticketflow ÷ Spiff (CPU) | raw ÷ Spiff (CPU) | CPU µs a step: Spiff / ticketflow / "
          "raw | machine |\n|---|---|---|---|---|---|---|---|---|---|\n")
SECTION_TEXT = SECTION + """
`python -m bench` (or `python -m bench.peer`) runs the same three-step user-task flow on
SpiffWorkflow 3 (BPMN; after each step the workflow is serialised and written to SQLite, one
commit per step), on ticketflow (`Desk.fire`: load, roles, machine, sealed journal event,
one transaction) and on **raw `sqlite3`** doing exactly the reads and writes ticketflow does
per step of that flow (`bench/raw.py`: read the ticket row, re-encode its data, hash the
event, then in one `BEGIN IMMEDIATE` update the ticket's changed columns with its version
check, cancel the timers of the state left and insert the event; on tickets ticketflow
opened), on SQLite files with WAL and the same `synchronous`, taking turns in blocks of
instances. SpiffWorkflow runs twice: keeping the workflow in memory between steps (the
headline ratio: its best case), and reading it back from SQLite before each step (in
brackets: what a desk with many users, and `Desk.fire`, does). Goal: ticketflow **≥ 5×**
SpiffWorkflow's persisted steps/s. Raw sqlite3 is the ceiling: no engine that keeps those
rows (the ticket, its journal event, the timers) can step faster here, so "raw ÷ Spiff" is
the most any ticketflow could reach. One line per durability setting: with `FULL` every
variant waits for an fsync per step, which bounds the ratios on a slow disk; `NORMAL` shows
the code. Ratios are steps/s ÷ SpiffWorkflow's, with the ratio of CPU time per step
(SpiffWorkflow's ÷ the variant's, less sensitive to a busy machine) in brackets; from
2026-12-06 the ticketflow column also gives its steps/s ÷ reloaded SpiffWorkflow's, the
comparison issue 19 sets the goal on.

""" + HEADER


def save(results: dict[str, Any], date: str, machine: str) -> None:
    """Append a dated line per durability setting to this section of docs/performance.md."""
    for mode, case in results.items():
        row = (f"| {date[:16].replace('T', ' ')} | {case['instances']:,} | {mode} | "
               f"{case['spiffworkflow_steps_per_s']:,}/s "
               f"({case['spiffworkflow_reloaded_steps_per_s']:,}/s) | "
               f"{case['ticketflow_steps_per_s']:,}/s (÷ reloaded "
               f"**{case['ratio_reloaded']}×**) | {case['raw_steps_per_s']:,}/s | "
               f"**{case['ratio']}×** ({case['cpu_ratio']}×) | {case['raw_ratio']}× "
               f"({case['raw_cpu_ratio']}×) | {case['spiffworkflow_cpu_us_per_step']:,} / "
               f"{case['ticketflow_cpu_us_per_step']:,} / {case['raw_cpu_us_per_step']:,} | "
               f"{machine} |")
        record.append_row(SECTION, SECTION_TEXT, row)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.peer", description=__doc__)
    parser.add_argument("--instances", type=int, default=1000)
    parser.add_argument("--no-record", action="store_true")
    options = parser.parse_args(argv)
    from bench.__main__ import _machine
    from bench.hotpath import now

    results = run(options.instances)
    print(describe(results))
    if not options.no_record:
        save(results, now().isoformat(timespec="seconds"), _machine())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
