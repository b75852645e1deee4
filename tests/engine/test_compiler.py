"""The compiled machine: an unguarded transition fired without the machine lands where the
machine would put it, on every shipped process."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from engine.core.errors import GuardFailed, InvalidTrigger
from engine.process.compiler import CompiledProcess
from engine.process.load import load_process

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted([*(p for p in ROOT.glob("flows/*.yaml") if p.name != "assessment.yaml"),
                ROOT / "tests/flows/mini.yaml"])


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
def test_every_firing_lands_where_the_machine_puts_it(path: Path) -> None:
    compiled = CompiledProcess(load_process(path))  # not the shared one: fresh tables
    triggers = {t.trigger for t in compiled.spec.transitions}
    fired = 0
    for state in compiled.spec.states:
        for trigger in sorted(triggers):
            shortcut, machine = _fire(compiled, state, trigger, direct=True), \
                _fire(compiled, state, trigger, direct=False)
            assert shortcut == machine, (state, trigger)
            fired += shortcut[0] == "moved"
    assert fired > 0


def _fire(compiled: CompiledProcess, state: str, trigger: str, *, direct: bool
          ) -> tuple[str, str]:
    """What firing gives (moved and the state after, or the refusal and the state kept),
    with the shortcut's table or with it emptied (every firing through the machine)."""
    saved = compiled._direct
    compiled._direct = saved if direct else {}
    ticket = SimpleNamespace(id=1, state=state)
    try:
        dest = compiled.fire(ticket, trigger, {"level": 1, "priority": "low"})
        assert dest == ticket.state
        return "moved", dest
    except (InvalidTrigger, GuardFailed) as refused:
        return type(refused).__name__, ticket.state
    finally:
        compiled._direct = saved


def test_the_shortcut_covers_only_transitions_without_a_condition() -> None:
    compiled = CompiledProcess(load_process(ROOT / "flows/service_desk.yaml"))
    guarded = {(source, t.trigger) for t in compiled.spec.transitions
               if t.when or not t.to for source in t.sources}
    assert compiled._direct and not guarded & set(compiled._direct)
