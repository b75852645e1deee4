"""``ticketflow diagram``: a process as a Mermaid stateDiagram-v2."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.process.diagram import mermaid
from engine.process.load import load_process, parse_process
from tui.cli import run

FLOWS = Path(__file__).resolve().parent.parent.parent / "flows"
LINE = re.compile(r"    (    )?(%% .*|state \w+ <<(choice|fork|join)>>|\[\*\] --> \w+"
                  r"|\w+ --> \[\*\]|\w+ --> \w+( : [^:;\n]+)?|\w+ : [^:;\n]+"
                  r"|state \w+ \{|\}|--)")
"""What every line of our output may look like: no ':' or ';' inside a label; a fork's
branches are concurrent regions (``--``) of a composite state, indented once more."""


def diagram_of(name: str) -> str:
    return mermaid(load_process(FLOWS / f"{name}.yaml").spec)


def test_cli_prints_the_service_desk(capsys) -> None:
    assert run(["diagram", str(FLOWS / "service_desk.yaml"), "--format", "mermaid"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "stateDiagram-v2"
    for line in (
        "    [*] --> submitted",
        "    closed --> [*]",
        "    submitted --> received : receive",
        "    received --> dispatched : dispatch",
        '    received --> replying : solve_at_desk [priority != "critical"]',
        "    state reply_choice <<choice>>",
        "    replying --> reply_choice : reply",
        "    reply_choice --> change_notice : [change_needed]",
        "    reply_choice --> confirming : else",
        "    confirming --> closed : auto_close ⏱ after P3D",
        "    handling --> awaiting_vendor : request_vendor_access ▶ vendor_access",
        "    submitted : Submitted (service_desk)",
    ):
        assert line in out.splitlines(), line
    withdrawals = [line for line in out.splitlines() if " : withdraw" in line]
    assert len(withdrawals) == 9  # "*": every state that is not an end state


@pytest.mark.parametrize("name", ["service_desk", "fault_escalation", "vendor_access"])
def test_every_line_is_well_formed(name: str) -> None:
    text = diagram_of(name)
    lines = text.splitlines()
    assert lines[0] == "stateDiagram-v2" and text.endswith("\n")
    bad = [line for line in lines[1:] if not LINE.fullmatch(line)]
    assert bad == []


TIMED = """\
process: timed
title: Timers of every form
roles: [agent]
posts: [desk]
fields:
  level: {type: integer, min: 1, max: 4}
states:
  open: {kind: start}
  late: {}
  done: {kind: end}
transitions:
  - {trigger: escalate, from: open, to: late, roles: [system]}
  - {trigger: give_up, from: late, to: done, roles: [system]}
timers:
  - {state: open, fire: escalate, after: {by: level, values: {1: PT5M, 2: PT10M}, default: PT1H}}
  - {state: late, fire: give_up, after: P2D}
"""


def test_timers_from_tables_and_timestamps() -> None:
    timed = mermaid(parse_process(TIMED, "timed.yaml").spec).splitlines()
    assert "    open --> late : escalate ⏱ after level 1=PT5M 2=PT10M else PT1H" in timed
    assert "    late --> done : give_up ⏱ after P2D" in timed
    fault = diagram_of("fault_escalation").splitlines()
    assert "    resume_choice --> desk_tier : else" in fault
    assert ("    desk_tier --> response_tier : escalate ⏱ after level 1=PT5M 2=PT10M 3=PT15M "
            "4=PT30M") in fault  # the escalation ladder's hand-off, at the tier's limit
    vendor = diagram_of("vendor_access").splitlines()
    assert "    access_open --> registering : expire / close_vendor_account ⏱ at " \
           "access_expires_at" in vendor
    assert ('    approved --> access_open : open_access [rights != "superuser"] / '
            "open_vendor_account") in vendor


def test_labels_escape_what_would_end_them_and_choice_names_stay_unique() -> None:
    source = """\
process: odd
title: "Odd: labels; and #hashes"
roles: [agent]
posts: [desk]
fields:
  note: {type: text}
states:
  open: {kind: start, title: "Step 1: open; now"}
  route_choice: {}
  done: {kind: end}
transitions:
  - trigger: route
    from: open
    choose:
      - {when: "note == 'a:b;#c'", to: route_choice}
      - to: done
  - {trigger: finish, from: route_choice, to: done}
"""
    lines = mermaid(parse_process(source, "odd.yaml").spec).splitlines()
    assert "    open : Step 1#58; open#59; now" in lines
    assert "    state route_choice_2 <<choice>>" in lines
    assert "    route_choice_2 --> route_choice : [note == 'a#58;b#59;#35;c']" in lines
    assert "    %% odd: Odd: labels; and #hashes" in lines


def test_unknown_format_and_invalid_file_exit_2(tmp_path: Path, capsys) -> None:
    assert run(["diagram", str(FLOWS / "service_desk.yaml"), "--format", "dot"]) == 2
    broken = tmp_path / "broken.yaml"
    broken.write_text("process: broken\n")
    assert run(["diagram", str(broken), "--format", "mermaid"]) == 2
    err = capsys.readouterr().err
    assert "only --format mermaid" in err
    assert f"{broken}:1:1: title: Field required" in err
    assert "Traceback" not in err
