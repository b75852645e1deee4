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

The two take turns in blocks of instances on their own files, so that a machine busy with
other work slows both alike. Steps/s counts the completed user tasks (opening not timed).
Goal: ticketflow at least 5× SpiffWorkflow's persisted steps/s.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import record
from engine.clock import SystemClock
from engine.desk import Desk
from engine.model import Account
from engine.process import parse_process
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


def measure(instances: int, *, synchronous: str = "FULL") -> dict[str, Any]:
    """Both engines, taking turns in blocks; steps/s and the ratio."""
    seconds = {"spiffworkflow": 0.0, "spiffworkflow_reloaded": 0.0, "ticketflow": 0.0}
    cpu = dict(seconds)
    with tempfile.TemporaryDirectory() as folder:
        engines: dict[str, Spiff | Ticketflow] = {
            "spiffworkflow": Spiff(Path(folder) / "spiff.db", synchronous),
            "spiffworkflow_reloaded": SpiffReloaded(Path(folder) / "reload.db", synchronous),
            "ticketflow": Ticketflow(Path(folder) / "ticketflow.db", synchronous)}
        for done in range(0, instances, BLOCK):
            for name, engine in engines.items():
                batch = [engine.open() for _ in range(min(BLOCK, instances - done))]
                started, used = time.perf_counter(), time.process_time()
                for _ in TRIGGERS:
                    for instance in batch:
                        engine.step(instance)  # type: ignore[arg-type]
                seconds[name] += time.perf_counter() - started
                cpu[name] += time.process_time() - used
        for engine in engines.values():
            engine.close()
    steps = instances * len(TRIGGERS)
    rates = {name: int(steps / spent) for name, spent in seconds.items()}
    return {"instances": instances, "steps": steps, "synchronous": synchronous, **{
        f"{name}_steps_per_s": rate for name, rate in rates.items()}, **{
        f"{name}_cpu_us_per_step": int(spent * 1e6 / steps) for name, spent in cpu.items()},
        "ratio": round(rates["ticketflow"] / max(rates["spiffworkflow"], 1), 2),
        "ratio_reloaded": round(rates["ticketflow"] / max(rates["spiffworkflow_reloaded"], 1),
                                2),
        "cpu_ratio": round(cpu["spiffworkflow"] / max(cpu["ticketflow"], 1e-9), 2)}


def run(instances: int) -> dict[str, Any]:
    """The comparison with the default durability (FULL) and with NORMAL."""
    return {mode: measure(instances, synchronous=mode) for mode in ("FULL", "NORMAL")}


def describe(results: dict[str, Any]) -> str:
    return "peer: " + "; ".join(
        f"{mode}: SpiffWorkflow {case['spiffworkflow_steps_per_s']:,} steps/s (reloaded "
        f"each step {case['spiffworkflow_reloaded_steps_per_s']:,}), ticketflow "
        f"{case['ticketflow_steps_per_s']:,} steps/s ({case['ratio']}×, goal ≥ {GOAL:g}×; "
        f"CPU {case['spiffworkflow_cpu_us_per_step']} vs {case['ticketflow_cpu_us_per_step']}"
        f" µs a step, {case['cpu_ratio']}×)"
        for mode, case in results.items())


SECTION = "## Peer: SpiffWorkflow\n"
SECTION_TEXT = SECTION + """
`python -m bench` (or `python -m bench.peer`) runs the same three-step user-task flow on
SpiffWorkflow 3 (BPMN; after each step the workflow is serialised and written to SQLite,
one commit per step; the workflow stays in memory between steps) and on ticketflow
(`Desk.fire`: load, roles, machine, sealed journal event, one transaction), on SQLite files
with WAL and the same `synchronous`, taking turns in blocks of instances. SpiffWorkflow runs
twice: keeping the workflow in memory between steps (the headline ratio: its best case), and
reading it back from SQLite before each step (what a desk with many users, and `Desk.fire`,
does). Goal: ticketflow **≥ 5×** SpiffWorkflow's persisted steps/s (SpiffWorkflow did about
2,900/s here before any ticketflow code existed). With `FULL` both wait for the same fsync
per step, which bounds the ratio on a slow disk; `NORMAL` shows the engines; "CPU" is the
ratio of CPU time per step (Spiff ÷ ticketflow), less sensitive to a busy machine.

| date | instances | FULL: Spiff / ticketflow | NORMAL: Spiff / ticketflow | machine |
|---|---|---|---|---|
"""


def save(results: dict[str, Any], date: str, machine: str) -> None:
    """Append a dated line to this section of docs/performance.md (made if missing)."""
    def pair(case: dict[str, Any]) -> str:
        return (f"{case['spiffworkflow_steps_per_s']:,}/s (reloaded "
                f"{case['spiffworkflow_reloaded_steps_per_s']:,}/s) / "
                f"{case['ticketflow_steps_per_s']:,}/s (**{case['ratio']}×**; CPU "
                f"{case['cpu_ratio']}×)")
    instances = next(iter(results.values()))["instances"]
    row = (f"| {date[:16].replace('T', ' ')} | {instances:,} | {pair(results['FULL'])} | "
           f"{pair(results['NORMAL'])} | {machine} |")
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
