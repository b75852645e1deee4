"""docs/processes.md names every key of the process language it documents."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from engine.process.expressions import CONTEXT_NAMES, FUNCTIONS
from engine.process.spec import (
    ACTIONS,
    Branch,
    BranchSpec,
    ChildStart,
    EventSpec,
    FieldSpec,
    LimitTable,
    ProcessSpec,
    StateSpec,
    TimerSpec,
    TransitionSpec,
)

DOC = (Path(__file__).resolve().parent.parent.parent / "docs" / "processes.md").read_text(
    encoding="utf-8")
MODELS = [ProcessSpec, FieldSpec, StateSpec, BranchSpec, LimitTable, TransitionSpec, Branch,
          ChildStart, TimerSpec, EventSpec]


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_every_key_is_documented(model: type[BaseModel]) -> None:
    keys = [field.alias or name for name, field in model.model_fields.items()]
    assert [key for key in keys if f"`{key}`" not in DOC] == []


def test_names_functions_and_actions_are_documented() -> None:
    missing = [name for name in (*CONTEXT_NAMES, *ACTIONS) if f"`{name}`" not in DOC]
    missing += [name for name in FUNCTIONS if f"`{name}(" not in DOC]
    assert missing == []
