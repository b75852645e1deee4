"""What the rest of the product offers the app today: the one place optional modules are looked up.

Parts of the engine land over time (SLA figures, notifications, the scenario runner, audit,
the assessment, a cheap change marker on the store). Screens ask :class:`Capabilities`
instead of probing modules themselves, so each probe happens here, once.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from engine.desk.desk import Desk
from engine.desk.ports import Store


def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _function(module: ModuleType | None, name: str) -> Callable[..., Any] | None:
    found = getattr(module, name, None) if module else None
    return found if callable(found) else None


@dataclass(frozen=True)
class Capabilities:
    """Optional services, each None until the module that provides it exists."""

    slas: Callable[[int], Any] | None = None
    """``Desk.slas(ticket_id)``: every running SLA of a ticket."""
    notifications: Callable[..., Any] | None = None
    """``Desk.notifications(post, ...)``: escalations and warnings for a post."""
    run_scenarios: Callable[[list[Path]], list[Any]] | None = None
    """Runs scenario files as ``ticketflow test`` does: each outcome (``engine.scenarios.run``)."""
    verify: Callable[[int], Any] | None = None
    """Verifies one ticket's journal (``engine.audit.audit.Audit.verify``): a report."""
    assessor: Callable[[], Any] | None = None
    """Builds the assessment's ``Assessor`` (``assessment.report``): ``report``, ``explain``."""
    mermaid: Callable[..., str] | None = None
    """``engine.process.diagram.mermaid(spec)``: the state graph as Mermaid text."""


def _scenario_runner() -> Callable[[list[Path]], list[Any]] | None:
    command = _module("tui.commands.scenarios")  # one fresh temporary desk per scenario
    load_all, run = _function(command, "load_all"), _function(command, "run_on_temporary_desk")
    if load_all is None or run is None:
        return None
    return lambda files: [run(scenario) for scenario in load_all(files)]


def _assessor(store: Store) -> Callable[[], Any] | None:
    kpi = _module("engine.assessment.report")
    make, find = _function(kpi, "Assessor"), _function(kpi, "find_assessment")
    if make is None or find is None:
        return None
    return lambda: make(store, find())


def _verifier(desk: Desk, store: Store) -> Callable[[int], Any] | None:
    make = _function(_module("engine.audit.audit"), "Audit")
    if make is None:
        return None
    return lambda ticket_id: make(store, desk.clock).verify([ticket_id])


def discover(desk: Desk, store: Store) -> Capabilities:
    """Look up, once, which optional services exist in this installation."""
    return Capabilities(
        slas=getattr(desk, "slas", None),
        notifications=getattr(desk, "notifications", None),
        run_scenarios=_scenario_runner(),
        verify=_verifier(desk, store),
        assessor=_assessor(store),
        mermaid=_function(_module("engine.process.diagram"), "mermaid"))
