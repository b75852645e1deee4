"""Every transition of every seed process, fired through its compiled machine.

A ticket here is the smallest plain object the machine drives: an ``id`` and a ``state``.
The cases list each (state, trigger, data, destination); a coverage test proves together
they take every edge of every process — every source of every transition, every branch of
every gateway — and further tests show guards refusing and triggers that are not possible.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from engine.core.errors import GuardFailed, InvalidTrigger
from engine.process.compiler import CompiledProcess, compile_process
from engine.process.expressions import is_expression
from engine.process.load import load_process, parse_process
from engine.process.spec import ANY

FLOWS = Path(__file__).resolve().parent.parent.parent / "flows"
SEEDS = ("service_desk", "fault_escalation", "vendor_access")


@dataclass
class Ticket:
    id: int
    state: str


@cache
def compiled(name: str) -> CompiledProcess:
    return compile_process(load_process(FLOWS / f"{name}.yaml"))


SAMPLE: dict[str, dict[str, Any]] = {
    "service_desk": {"summary": "Printer on floor 3 jams", "priority": "normal", "returns": 0,
                     "reopened": 0, "change_needed": False, "vendor_name": "Acme",
                     "vendor_rights": "read_only"},
    "fault_escalation": {"summary": "Core switch down", "level": 2, "returns": 0,
                         "escalations": 0, "reopened": 0, "vendor_name": "Acme",
                         "vendor_rights": "operator"},
    "vendor_access": {"summary": "Patch the billing database", "vendor_name": "Acme",
                      "rights": "operator", "password_changed": True},
}
CONTEXT = {"actor": "ann", "actor_post": "service_desk", "now": "2026-01-05T09:00:00+00:00"}

Case = tuple[str, str, Any, str]
"""(state, trigger, data, destination)"""

SERVICE_DESK: list[Case] = [
    ("submitted", "receive", {}, "received"),
    ("received", "solve_at_desk", {"priority": "high"}, "replying"),
    ("received", "dispatch", {}, "dispatched"),
    ("dispatched", "accept", {}, "handling"),
    ("dispatched", "send_back", {}, "received"),
    ("handling", "send_back", {}, "received"),
    ("handling", "pend", {}, "pending"),
    ("pending", "resume", {}, "handling"),
    ("handling", "request_vendor_access", {}, "awaiting_vendor"),
    ("awaiting_vendor", "vendor_access_closed", {}, "handling"),
    ("handling", "finish", {}, "replying"),
    ("replying", "reply", {"change_needed": True}, "change_notice"),
    ("replying", "reply", {"change_needed": False}, "confirming"),
    ("change_notice", "file_change_notice", {}, "confirming"),
    ("confirming", "confirm", {}, "closed"),
    ("confirming", "reopen", {}, "handling"),
    ("confirming", "auto_close", {}, "closed"),
] + [(state, "withdraw", {}, "closed") for state in (
    "submitted", "received", "dispatched", "handling", "pending", "awaiting_vendor",
    "replying", "change_notice", "confirming")]

TIERS = ("desk_tier", "response_tier", "handling_tier", "vendor_tier")
FAULT_ESCALATION: list[Case] = [
    ("desk_tier", "escalate", {}, "response_tier"),
    ("response_tier", "escalate", {}, "handling_tier"),
    ("handling_tier", "escalate", {}, "vendor_tier"),
    ("desk_tier", "hand_up", {}, "response_tier"),
    ("response_tier", "hand_up", {}, "handling_tier"),
    ("handling_tier", "hand_up", {}, "vendor_tier"),
    ("response_tier", "send_back", {}, "desk_tier"),
    ("handling_tier", "send_back", {}, "response_tier"),
    ("vendor_tier", "send_back", {}, "handling_tier"),
    ("vendor_tier", "request_vendor_access", {}, "remote_access"),
    ("remote_access", "access_finished", {}, "vendor_tier"),
    ("confirming", "confirm", {}, "closed"),
    ("handling_tier", "check_in_parallel", {}, "checks"),
    ("hardware_check", "report_hardware", {}, "hardware_checked"),
    ("software_check", "report_software", {}, "software_checked"),
] + [(tier, "resolve", {}, "confirming") for tier in TIERS] \
  + [(tier, "pend", {}, "pending") for tier in TIERS] \
  + [("pending", "resume", {"pended_in": tier}, tier) for tier in TIERS] \
  + [("pending", "resume", {"pended_in": None}, "desk_tier")] \
  + [("confirming", "reopen", {"resolved_in": tier}, tier) for tier in TIERS] \
  + [(tier, "regrade", {"level": 1}, tier) for tier in TIERS]

OPEN = ("access_open", "open_unconfirmed", "confirmation_overdue")
VENDOR_ACCESS: list[Case] = [
    ("requested", "approve", {}, "approved"),
    ("requested", "approve_verbally", {}, "verbally_approved"),
    ("requested", "refuse", {}, "refused"),
    ("approved", "refuse", {}, "refused"),
    ("verbally_approved", "refuse", {}, "refused"),
    ("approved", "open_access", {}, "access_open"),
    ("verbally_approved", "open_access", {"rights": "read_only"}, "open_unconfirmed"),
    ("verbally_approved", "confirm_in_writing", {}, "approved"),
    ("open_unconfirmed", "confirm_in_writing", {}, "access_open"),
    ("confirmation_overdue", "confirm_in_writing", {}, "access_open"),
    ("open_unconfirmed", "confirmation_missed", {}, "confirmation_overdue"),
    ("registering", "register", {}, "closed"),
    ("registering_unconfirmed", "register", {}, "unconfirmed"),
    ("registering_unconfirmed", "confirm_in_writing", {}, "registering"),
    ("unconfirmed", "confirm_in_writing", {}, "closed"),
    ("unconfirmed", "close_unconfirmed", {}, "closed_unconfirmed"),
] + [(state, trigger, {}, "registering" if state == "access_open" else "registering_unconfirmed")
     for state in OPEN for trigger in ("end_access", "expire")]

CASES = {"service_desk": SERVICE_DESK, "fault_escalation": FAULT_ESCALATION,
         "vendor_access": VENDOR_ACCESS}
ALL = [(name, *case) for name, cases in CASES.items() for case in cases]


def required(process: CompiledProcess) -> set[tuple[str, str, str]]:
    """What the cases must take: every source of every transition (``"*"`` standing for
    every state that is not an end), and every destination of every gateway branch."""
    states = process.spec.states
    every = [name for name, state in states.items() if state.kind != "end"]
    found = set()
    for number, transition in enumerate(process.spec.transitions):
        sources = [s for source in transition.sources for s in
                   (every if source == ANY else [source])]
        dests = [transition.to] if transition.to else [b.to for b in transition.choose or []]
        found |= {(f"#{number}", "from", source) for source in sources}
        found |= {(f"#{number}", "to", dest) for dest in dests}
    return found


def taken(process: CompiledProcess, cases: list[tuple[str, str, Any, str]]
          ) -> set[tuple[str, str, str]]:
    """The sources and destinations the cases take, by transition."""
    found = set()
    for source, trigger, _, dest in cases:
        transition = process.transition_for(source, trigger)
        assert transition is not None, (source, trigger)
        number = f"#{process.spec.transitions.index(transition)}"
        found |= {(number, "from", source), (number, "to", dest)}
    return found


@pytest.mark.parametrize("name", SEEDS)
def test_the_cases_take_every_source_and_every_branch(name: str) -> None:
    process = compiled(name)
    assert taken(process, CASES[name]) == required(process)


@pytest.mark.parametrize(("name", "state", "trigger", "data", "dest"), ALL,
                         ids=[f"{n}:{s}-{t}->{d}" for n, s, t, _, d in ALL])
def test_fire(name: str, state: str, trigger: str, data: dict[str, Any], dest: str) -> None:
    ticket = Ticket(id=7, state=state)
    names = {**SAMPLE[name], **CONTEXT, "state": state, **data}
    assert compiled(name).fire(ticket, trigger, names) == dest
    assert ticket.state == dest


@pytest.mark.parametrize(("name", "state", "trigger", "data"), [
    ("service_desk", "received", "solve_at_desk", {"priority": "critical"}),
    ("vendor_access", "requested", "approve", {"rights": "superuser"}),
    ("vendor_access", "requested", "approve_verbally", {"rights": "superuser"}),
    ("vendor_access", "approved", "open_access", {"rights": "superuser"}),
    ("vendor_access", "verbally_approved", "open_access", {"rights": "superuser"}),
    ("vendor_access", "registering", "register", {"password_changed": False}),
    ("vendor_access", "registering", "register", {"password_changed": None}),
])
def test_guard_refuses(name: str, state: str, trigger: str, data: dict[str, Any]) -> None:
    ticket = Ticket(id=7, state=state)
    with pytest.raises(GuardFailed) as caught:
        compiled(name).fire(ticket, trigger, {**SAMPLE[name], **CONTEXT, **data})
    assert ticket.state == state
    assert caught.value.ticket == 7 and caught.value.state == state
    assert trigger in str(caught.value)


@pytest.mark.parametrize(("name", "state", "trigger"), [
    ("service_desk", "submitted", "dispatch"),
    ("service_desk", "closed", "receive"),
    ("service_desk", "closed", "withdraw"),
    ("service_desk", "handling", "no_such_trigger"),
    ("fault_escalation", "vendor_tier", "escalate"),
    ("fault_escalation", "pending", "resolve"),
    ("vendor_access", "refused", "approve"),
    ("vendor_access", "requested", "open_access"),
])
def test_trigger_not_possible_from_state(name: str, state: str, trigger: str) -> None:
    ticket = Ticket(id=3, state=state)
    with pytest.raises(InvalidTrigger) as caught:
        compiled(name).fire(ticket, trigger, dict(SAMPLE[name]))
    assert ticket.state == state
    assert caught.value.state == state


GUARDED = """\
process: guarded
title: A guard on a field that may be unset
roles: [agent]
posts: [desk]
fields:
  level: {type: integer}
states:
  open: {kind: start}
  done: {kind: end}
transitions:
  - {trigger: finish, from: open, to: done, when: level > 2}
"""


def test_a_guard_that_cannot_be_evaluated_refuses_with_the_reason() -> None:
    machine = compile_process(parse_process(GUARDED, "guarded.yaml"))
    ticket = Ticket(id=1, state="open")
    with pytest.raises(GuardFailed, match="cannot evaluate 'level > 2'"):
        machine.fire(ticket, "finish", {})  # level unset: null > 2 cannot be evaluated
    with pytest.raises(GuardFailed, match="the condition 'level > 2' is false"):
        machine.fire(ticket, "finish", {"level": 1})
    assert ticket.state == "open"
    assert machine.fire(ticket, "finish", {"level": 3}) == "done"


@pytest.mark.parametrize("name", SEEDS)
def test_one_shared_machine_per_version_with_no_models_attached(name: str) -> None:
    first = compile_process(load_process(FLOWS / f"{name}.yaml"))
    assert compile_process(load_process(FLOWS / f"{name}.yaml")) is first
    first.fire(Ticket(id=1, state=first.spec.start_state()), first.spec.transitions[0].trigger,
               {**SAMPLE[name], **CONTEXT})
    assert first.machine.models == []


@pytest.mark.parametrize("name", SEEDS)
def test_every_computed_value_evaluates_on_sample_data(name: str) -> None:
    process = compiled(name).process
    names = {**SAMPLE[name], **CONTEXT, "state": "desk_tier"}
    for transition in process.spec.transitions:
        values = {**transition.set, **(transition.start.data if transition.start else {})}
        for raw in values.values():
            value = process.value(raw, names)
            assert value is not None or not is_expression(raw), (transition.trigger, raw)


def test_the_fixed_names_of_issue_2() -> None:
    for name in SEEDS:
        spec = compiled(name).spec
        assert spec.fields["summary"].type == "text" and spec.fields["summary"].required
        assert set(spec.posts) >= {"service_desk", "response_group", "handling_group", "vendor"}
        assert set(spec.roles) >= {"agent", "supervisor", "auditor", "admin"}
    level = compiled("fault_escalation").spec.fields["level"]
    assert (level.type, level.min, level.max) == ("integer", 1, 4)
    desk = compiled("service_desk")
    assert desk.spec.start_state() == "submitted"
    assert [transition.to for transition in (desk.transition_for("submitted", "receive"),
                                             desk.transition_for("received", "dispatch"))
            if transition] == ["received", "dispatched"]
    assert desk.spec.states["closed"].kind == "end"


def test_transitions_from_lists_what_an_agent_may_try() -> None:
    desk = compiled("service_desk")
    assert [t.trigger for t in desk.transitions_from("handling")] == [
        "send_back", "pend", "request_vendor_access", "finish", "withdraw"]
    assert desk.transitions_from("closed") == []
