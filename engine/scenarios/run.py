"""Scenario files: process tests that admins write, run on a fresh desk with a virtual clock.

``parse_scenario`` checks a file completely before anything runs — its shape, each step
against its kind (:mod:`engine.scenarios.steps`), names used before they exist, a clock that
would go back, processes that are not deployed — and reports every problem as
``path:line:column: message``. ``run_scenario`` then plays the steps on an empty desk and
returns each failed expectation as ``path:line: expected …, got …``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher, profiles
from pydantic import Field, ValidationError

# the assessment adds the expect_assessment and record steps; problems the link, unlink,
# expect_problem and expect_outbox steps; the knowledge base the article step
import engine.scenarios.assessment
import engine.scenarios.knowledge
import engine.scenarios.problems  # noqa: F401
from engine.accounts.accounts import SUPERUSER, check_account, random_password
from engine.core.admin_journal import ACCOUNT_CREATED, account_entry
from engine.core.errors import Problem, SpecError, TicketflowError
from engine.core.model import Account
from engine.desk.desk import Desk
from engine.process import yamlfile
from engine.process.fields import parse_timestamp
from engine.process.load import Process, load_process, shape_problems
from engine.process.spec import Name
from engine.process.validate import locate
from engine.scenarios.steps import (
    STEP_KINDS,
    AccountName,
    Loc,
    Mismatch,
    Plan,
    Stage,
    StepModel,
)
from engine.time.clock import VirtualClock

RUNNER = "ticketflow-scenarios"
"""The admin account a run deploys the processes as."""
_THROWAWAY = PasswordHasher.from_parameters(profiles.CHEAPEST)
"""Accounts of a run live in a temporary database and never log in: a cheap hash will do."""


class AccountSpec(StepModel):
    """An account the scenario acts as."""

    roles: list[Name]
    post: Name | None = None
    group: str | None = None
    """The group of its post the account works in."""


class ScenarioSpec(StepModel):
    """The top level of a scenario file."""

    scenario: str
    """What the scenario shows, in a sentence."""
    processes: list[str] | None = None
    """Process files to deploy (default: every process under the project's flows/)."""
    start: str
    """The virtual clock's first reading: an ISO 8601 timestamp with a time zone."""
    accounts: dict[AccountName, AccountSpec] = Field(default_factory=dict)
    """Accounts to create, by name: their roles and post."""
    steps: list[dict[str, Any]]
    """What happens, in order (see engine.scenarios.steps for the kinds)."""


@dataclass(frozen=True)
class Step:
    """One validated step: its kind, its model, and the line it starts on."""

    kind: str
    model: Any
    line: int


@dataclass(frozen=True)
class Scenario:
    """A validated scenario file, with the processes it deploys loaded."""

    name: str
    path: str
    start: datetime
    accounts: dict[str, AccountSpec]
    processes: list[Process]
    steps: list[Step]


@dataclass(frozen=True)
class Failure:
    """A step that did not do what the scenario expected."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class Outcome:
    """How one scenario went."""

    scenario: Scenario
    failures: list[Failure] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def load_scenario(path: str | Path) -> Scenario:
    """Read and check a scenario file; raise SpecError with every problem."""
    return parse_scenario(yamlfile.read_text(path), str(path))


def parse_scenario(source: str, path: str) -> Scenario:
    """Check scenario source text named ``path``; raise SpecError with every problem."""
    raw = yamlfile.parse(source, path)
    if not isinstance(raw, yamlfile.Mapping):
        raise SpecError([Problem(path, 1, 1, "a scenario file must be a mapping")])
    try:
        spec = ScenarioSpec.model_validate(raw)
    except ValidationError as exc:
        raise SpecError(shape_problems(exc, raw, path)) from None
    return _Reader(spec, raw, path).read()


class _Reader:
    """The meaning checks of one scenario file, collecting every problem."""

    def __init__(self, spec: ScenarioSpec, raw: yamlfile.Mapping, path: str) -> None:
        self.spec, self.raw, self.path = spec, raw, path
        self.problems: list[Problem] = []

    def fail(self, raw: Any, loc: Loc, message: str) -> None:
        self.problems.append(Problem(self.path, *locate(raw, loc), message))

    def read(self) -> Scenario:
        start = self.start()
        processes = self.processes()
        self.accounts()
        plan = Plan(accounts=set(self.spec.accounts), now=start,
                    processes={p.name: p.spec for p in processes})
        steps = [step for index, raw in enumerate(self.raw["steps"])  # located, unlike spec's
                 if (step := self.step(index, raw, plan)) is not None]
        if self.problems:
            raise SpecError(self.problems)
        return Scenario(self.spec.scenario, self.path, start, dict(self.spec.accounts),
                        processes, steps)

    def start(self) -> datetime:
        try:
            return parse_timestamp(self.spec.start)
        except ValueError as exc:
            self.fail(self.raw, ("start",), str(exc))
            return datetime(2000, 1, 1, tzinfo=UTC)

    def accounts(self) -> None:
        for name, spec in self.spec.accounts.items():
            account = Account(username=name, display_name=name, roles=spec.roles,
                              post=spec.post, password_hash="")
            try:
                check_account(account)
            except TicketflowError as exc:
                self.fail(self.raw, ("accounts", name), str(exc))
            if name == RUNNER:
                self.fail(self.raw, ("accounts", name), f"{RUNNER!r} is the runner's own name")

    def processes(self) -> list[Process]:
        root = project_root(Path(self.path))
        if self.spec.processes is None:
            files = default_processes(root)
        else:
            files = [found for index, name in enumerate(self.spec.processes)
                     if (found := self.find(root, index, name)) is not None]
        loaded = self.load(files)
        if self.spec.processes is not None:
            loaded += self.children(loaded, root)
        return loaded

    def load(self, files: list[Path]) -> list[Process]:
        loaded = []
        for file in files:
            try:
                loaded.append(load_process(file))
            except SpecError as exc:
                self.problems.extend(exc.problems)
        return loaded

    def children(self, named: list[Process], root: Path) -> list[Process]:
        """The processes that the named ones start as children, found under flows/."""
        have, added = {p.name for p in named}, []
        todo = [t.start.process for p in named for t in p.spec.transitions if t.start]
        candidates: dict[str, Process] | None = None
        while todo:
            name = todo.pop()
            if name in have:
                continue
            if candidates is None:
                candidates = {p.name: p for p in self.load(default_processes(root))}
            if name not in candidates:
                self.fail(self.raw, ("processes",), f"process {name!r} (started as a child) "
                                                    f"is not under {root / 'flows'}")
                have.add(name)
                continue
            have.add(name)
            added.append(candidates[name])
            todo += [t.start.process for t in candidates[name].spec.transitions if t.start]
        return added

    def find(self, root: Path, index: int, name: str) -> Path | None:
        for base in (root, Path(self.path).parent, Path.cwd()):
            if (base / name).is_file():
                return base / name
        self.fail(self.raw, ("processes", index), f"no process file {name!r} (looked in "
                                                  f"{root} and next to the scenario)")
        return None

    def step(self, index: int, raw: Any, plan: Plan) -> Step | None:
        at: tuple[int, int] = self.raw["steps"].item_at[index]
        kinds = [key for key in raw if key in STEP_KINDS] if isinstance(raw, dict) else []
        if len(kinds) != 1:
            known = ", ".join(STEP_KINDS)
            found = f"; found {', '.join(kinds)}" if kinds else ""
            self.problems.append(Problem(self.path, at[0], at[1],
                                         f"a step needs exactly one of {known}{found}"))
            return None
        kind = STEP_KINDS[kinds[0]]
        try:
            model = kind.model.model_validate(raw)
        except ValidationError as exc:
            self.problems.extend(shape_problems(exc, raw, self.path))
            return None
        if kind.check is not None:
            kind.check(plan, model, lambda loc, message: self.fail(raw, loc, message))
        return Step(kinds[0], model, at[0])


def project_root(scenario: Path) -> Path:
    """The nearest folder above a scenario file that holds a ``flows/`` folder."""
    for folder in scenario.resolve().parents:
        if (folder / "flows").is_dir():
            return folder
    return Path.cwd()


def default_processes(root: Path) -> list[Path]:
    """Every process file under ``root/flows`` (files whose top-level key is ``process``)."""
    found = []
    for path in sorted((root / "flows").rglob("*.y*ml")):
        try:
            data = yamlfile.load(path)
        except SpecError:
            found.append(path)  # loading it reports its problems
            continue
        if isinstance(data, dict) and "process" in data:
            found.append(path)
    return found


def run_scenario(scenario: Scenario, open_desk: Callable[[VirtualClock], Desk]) -> Outcome:
    """Play a scenario on the empty desk ``open_desk`` opens on a virtual clock."""
    clock = VirtualClock(scenario.start)
    desk = open_desk(clock)
    admin = _account(desk, RUNNER, AccountSpec(roles=[SUPERUSER]), clock)
    desk.deploy(scenario.processes, admin)
    stage = Stage(desk, clock, {name: _account(desk, name, spec, clock)
                                for name, spec in scenario.accounts.items()})
    failures = []
    for step in scenario.steps:
        kind = STEP_KINDS[step.kind]
        try:
            kind.run(stage, step.model)
        except Mismatch as exc:
            failures.append(Failure(scenario.path, step.line, str(exc)))
            if kind.acts:
                break  # the steps after it build on what it should have done
    return Outcome(scenario, failures)


def _account(desk: Desk, name: str, spec: AccountSpec, clock: VirtualClock) -> Account:
    """A throwaway account with a random strong password, saved on the run's desk."""
    account = Account(username=name, display_name=name, roles=sorted(set(spec.roles)),
                      post=spec.post, password_hash=_THROWAWAY.hash(random_password()),
                      created_at=clock.now(), group=spec.group)
    check_account(account)
    actor = "-" if name == RUNNER else RUNNER
    desk.store.append_admin([account_entry(ACCOUNT_CREATED, account, actor, clock.now())],
                            accounts=[account])
    return account

