"""The escalation ladder and the calendar in process files: compiled, and located problems."""

from __future__ import annotations

import pytest

from engine.core.errors import SpecError
from engine.process.load import parse_process
from tests.time.conftest import ROOT

SOURCE = (ROOT / "tests/time/flows/clocked.yaml").read_text(encoding="utf-8")
PATH = "clocked.yaml"


def where(text: str, needle: str) -> str:
    """``path:line:column`` of the first occurrence of ``needle``."""
    offset = text.index(needle)
    line = text.count("\n", 0, offset) + 1
    return f"{PATH}:{line}:{offset - text.rfind(chr(10), 0, offset)}"


def problems(text: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        parse_process(text, PATH)
    return [str(p) for p in caught.value.problems]


def test_the_ladder_compiles_to_system_transitions_from_each_tier() -> None:
    spec = parse_process(SOURCE, PATH).spec
    added = [(t.sources, t.to, t.roles) for t in spec.transitions if t.trigger == "escalate"]
    assert added == [(["desk"], "response", ["system"]), (["response"], "handling", ["system"]),
                     (["handling", "review"], "vendor", ["system"])]


@pytest.mark.parametrize(("old", "new", "at", "message"), [
    ("hand_to: response,", "hand_to: nowhere,", "nowhere", "state 'nowhere' does not exist"),
    ("hand_to: vendor,", "hand_to: review,", "review, notify",
     "the tier cannot hand a ticket to its own state 'review'"),
    ("notify: [response_group]", "notify: [helpdesk]", "helpdesk",
     "post 'helpdesk' is not declared"),
    ("raise: priority", "raise: summary", "summary}",
     "'summary' is not an integer or choice field"),
    ("- state: vendor", "- state: closed", "closed\n", "'closed' is an end state"),
    ("- post: handling_group", "- post: helpdesk", "helpdesk",
     "post 'helpdesk' is not declared"),
    ("- state: response\n", "- state: response\n      post: vendor\n", "state: response",
     "a tier needs exactly one of 'state' and 'post'"),
    ("      limit: PT1H\n", "", "state: response", "a tier needs a limit (here or on its state)"),
    ("limit: P1D", "limit: P1Y", "P1Y", "'P1Y' is not an ISO 8601 duration"),
    ("limit: {by: level,", "limit: {by: grade,", "grade, values", "field 'grade' is not declared"),
    ("timezone: Asia/Shanghai", "timezone: Asia/Atlantis", "Asia/Atlantis",
     "unknown time zone 'Asia/Atlantis'"),
    ('mon: ["09:00", "18:00"]', 'mon: ["18:00", "09:00"]', '["18:00"',
     "18:00–09:00 does not end after it begins"),
    ("{country: CN}", "{country: XX}", "XX", "the holidays package knows no country 'XX'"),
    ("sla_warning: 0.5", "sla_warning: 1.5", "1.5", "less than 1"),
])
def test_problems_point_at_their_place(old: str, new: str, at: str, message: str) -> None:
    assert old in SOURCE
    text = SOURCE.replace(old, new, 1)
    found = problems(text)
    assert any(p.startswith(where(text, at) + ":") and message in p for p in found), found


def test_a_hand_written_escalate_transition_clashes_with_the_ladder() -> None:
    text = SOURCE.replace("  - {trigger: hand_up, from: desk, to: response}\n",
                          "  - {trigger: escalate, from: desk, to: response}\n")
    found = problems(text)
    assert found == [f"{where(text, 'response, notify')}: the process already has a "
                     "'escalate' transition from this tier; the ladder adds its own (remove it, "
                     "or name escalation.trigger)"]


def test_a_state_tier_takes_its_limit_from_the_state_or_the_tier_but_not_both() -> None:
    text = SOURCE.replace("  response: {post: response_group}",
                          "  response: {post: response_group, limit: PT2H}")
    at = where(text, "PT1H\n")
    assert problems(text) == [f"{at}: state 'response' has a limit already; give it once"]
    only_state = text.replace("      limit: PT1H\n", "")
    assert parse_process(only_state, PATH).spec.escalation is not None
