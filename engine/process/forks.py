"""Parallel branches: a state that forks into named branches and joins them again.

A fork state lists its branches under ``fork:``; each branch has its own states (it starts
in the first, an end state finishes it), its own post and its own SLA clock (``limit:``).
When a ticket enters the fork it is in every branch's first state at once; each branch
moves by its own transitions; the branches join — the ticket goes to the fork's ``then:``
state — when every branch has reached an end state, or as soon as the fork's ``join:``
condition holds after a branch step.

The engine runs branches as regions of the one flat machine: :func:`expand` lists every
branch state among the process's states (their names are unique in a process), and a
ticket keeps ``state`` = the fork and ``branches`` = branch → its active state. A step in a
branch is planned as a step of that branch's state alone (its post, roles and guards), then
folded back into the ticket (see :mod:`engine.desk.plan`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from engine.process.spec import BranchSpec, ProcessSpec, StateSpec

Loc = tuple[str | int, ...]
Found = list[tuple[Loc, str]]


@dataclass(frozen=True)
class Region:
    """One branch of one fork, as the engine runs it."""

    fork: str
    name: str
    start: str
    states: tuple[str, ...]
    ends: frozenset[str]
    post: str | None


@dataclass(frozen=True)
class Fork:
    """A fork state: its branches, its join condition and where it leads when joined."""

    name: str
    regions: dict[str, Region]
    join: str | None
    then: str


class Forks:
    """The forks of a (flattened, valid) process and which branch each branch state is in."""

    def __init__(self, spec: ProcessSpec) -> None:
        self.forks = {name: _fork(name, state) for name, state in spec.states.items()
                      if state.fork}
        self.region = {state: region for fork in self.forks.values()
                       for region in fork.regions.values() for state in region.states}

    def entered(self, state: str) -> dict[str, str]:
        """The active branch states of a ticket entering ``state`` (none: not a fork)."""
        fork = self.forks.get(state)
        return {} if fork is None else {r.name: r.start for r in fork.regions.values()}

    def done(self, fork: str, branches: dict[str, str]) -> dict[str, bool]:
        """Branch → whether it has reached one of its end states."""
        return {name: branches.get(name) in region.ends
                for name, region in self.forks[fork].regions.items()}


def _fork(name: str, state: StateSpec) -> Fork:
    regions = {branch: _region(name, branch, spec) for branch, spec in (state.fork or {}).items()}
    return Fork(name, regions, state.join, state.then or "")


def _region(fork: str, name: str, spec: BranchSpec) -> Region:
    ends = frozenset(s for s, state in spec.states.items() if state.kind == "end")
    return Region(fork, name, next(iter(spec.states), ""), tuple(spec.states), ends, spec.post)


def expand(spec: ProcessSpec) -> ProcessSpec:
    """The spec with every branch state listed among its states (the first of a name wins;
    :func:`problems` reports the others); a branch state's post defaults to its branch's."""
    if not any(state.fork for state in spec.states.values()):
        return spec
    states = dict(spec.states)
    for _, _, branch, name, state in _branch_states(spec):
        if name not in states:
            post = state.post or (branch.post if branch.post in spec.posts else None)
            states[name] = state.model_copy(update={"post": post, "kind": _kind(state)})
    return spec.model_copy(update={"states": states})


def _kind(state: StateSpec) -> str:
    return "task" if state.kind == "start" else state.kind


def _branch_states(spec: ProcessSpec) -> Iterator[tuple[str, str, BranchSpec, str, StateSpec]]:
    for fork, state in spec.states.items():
        for name, branch in (state.fork or {}).items():
            for inner, inner_state in branch.states.items():
                yield fork, name, branch, inner, inner_state


def state_loc(fork: str, branch: str, state: str) -> Loc:
    """Where a branch state is in the file."""
    return ("states", fork, "fork", branch, "states", state)


def problems(spec: ProcessSpec) -> Found:
    """What is wrong with the forks' shape: names used twice, branches without an end,
    nested forks, a fork without ``then:``, ``join:``/``then:`` on a state that forks not."""
    found: Found = []
    for name, state in spec.states.items():
        found += _fork_problems(("states", name), state, spec)
    found += _overlaps(spec)
    return found


def _fork_problems(loc: Loc, state: StateSpec, spec: ProcessSpec) -> Found:
    """One state's fork: its kind, branches, ``then:`` (another state outside them)."""
    if not state.fork:
        return [((*loc, key), f"'{key}:' is for a state that forks (give 'fork:')")
                for key in ("join", "then") if getattr(state, key) is not None]
    found: Found = []
    if state.kind != "task":
        found.append(((*loc, "kind"), f"a fork cannot be a {state.kind} state"))
    if len(state.fork) < 2:
        found.append(((*loc, "fork"), "a fork needs at least two branches"))
    if state.then is None:
        found.append((loc, "a fork needs 'then:', the state its branches join into"))
    elif state.then == loc[-1]:
        found.append(((*loc, "then"), "a fork cannot join into itself"))
    elif state.then in {inner for _, _, _, inner, _ in _branch_states(spec)}:
        found.append(((*loc, "then"), f"state {state.then!r} is inside a branch; a fork "
                      "joins into a state outside its branches"))
    elif state.then not in spec.states:
        found.append(((*loc, "then"), f"state {state.then!r} does not exist (a fork joins "
                      "into a state outside its branches)"))
    for name, branch in state.fork.items():
        found += _branch_problems((*loc, "fork", name), name, branch, spec)
    return found


def _branch_problems(loc: Loc, name: str, branch: BranchSpec, spec: ProcessSpec) -> Found:
    found: Found = []
    if branch.post is not None and branch.post not in spec.posts:
        found.append(((*loc, "post"), f"post {branch.post!r} is not declared"))
    if not branch.states:
        return [*found, ((*loc, "states"), f"branch {name!r} has no states")]
    if not any(state.kind == "end" for state in branch.states.values()):
        found.append(((*loc, "states"), f"branch {name!r} has no end state (kind: end); "
                      "it could never be done"))
    for inner, state in branch.states.items():
        where = (*loc, "states", inner)
        if state.fork or state.join or state.then:
            found.append((where, "forks do not nest: a branch state cannot fork"))
        if state.kind == "start":
            found.append(((*where, "kind"), "a branch starts in its first state; no "
                          "'kind: start' inside a branch"))
    return found


def _overlaps(spec: ProcessSpec) -> Found:
    """Branch and branch-state names must be new: a branch name is no state, field or other
    branch (a join condition reads it), a branch state's name no other state's."""
    states = {name: "a state" for name in spec.states}
    names = {**states, **{name: "a field" for name in spec.fields}}
    found: Found = []
    for fork, state in spec.states.items():
        for name in state.fork or {}:
            found += _claim(names, name, f"a branch of {fork!r}",
                            ("states", fork, "fork", name))
    for fork, name, _, inner, _ in _branch_states(spec):
        found += _claim(states, inner, f"a state of branch {name!r}",
                        state_loc(fork, name, inner))
    return found


def _claim(taken: dict[str, str], name: str, what: str, loc: Loc) -> Found:
    first = taken.setdefault(name, what)
    if first is what:
        return []
    return [(loc, f"{name!r} is already {first}; names in a process are unique")]
