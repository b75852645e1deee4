"""Configuration items (the seed's CMDB, 配置管理): what the desk's tickets are about.

An item has a name, a kind, the group that owns it, its vendor, a criticality and
relations to other items (``runs_on``, ``depends_on``). Items are loaded from a YAML or
CSV file (``ticketflow items load``) or edited one at a time; each change is journaled in
the admin journal. A ticket links to an item through its process's ``item:`` field, which
also fills the fields that route it (the owner group, the vendor) when the ticket opens.
The *impact* of an item is every item that runs on it or depends on it, directly or through
others.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from engine.core.admin_journal import ITEMS_LOADED, AdminEntry
from engine.core.errors import BadRequest, NotFound
from engine.core.model import Account
from engine.desk.reading import require_any
from engine.process import yamlfile
from engine.time.clock import Clock

RELATIONS = ("runs_on", "depends_on")
"""The kinds of relation from an item to another: it runs on it, it depends on it."""
CRITICALITIES = ("low", "medium", "high", "critical")
Text = Annotated[str, StringConstraints(min_length=1, max_length=64,
                                        pattern=r"^[A-Za-z0-9][A-Za-z0-9 _.&:/-]*$")]
"""A name, group, vendor, kind or tag: 1 to 64 letters, digits, spaces and . _ & : / -."""


@dataclass(frozen=True)
class Item:
    """One configuration item and its relations to others (by name)."""

    name: str
    kind: str
    owner_group: str | None = None
    vendor: str | None = None
    criticality: str = "medium"
    runs_on: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()

    def targets(self) -> list[tuple[str, str]]:
        """(relation, item) for each of its relations."""
        return [(relation, target) for relation in RELATIONS
                for target in getattr(self, relation)]

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "owner_group": self.owner_group,
                "vendor": self.vendor, "criticality": self.criticality,
                "runs_on": list(self.runs_on), "depends_on": list(self.depends_on)}


class ItemSpec(BaseModel):
    """One item as a file gives it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Text
    """The item's name, unique on the desk."""
    kind: Text
    """What it is: server, database, network, application, ..."""
    owner_group: Text | None = None
    """The handling group that owns it: faults on it go to that group's queue."""
    vendor: Text | None = None
    """The vendor company that maintains it: its faults reach that vendor."""
    criticality: Literal["low", "medium", "high", "critical"] = "medium"
    """How much of the business stops when it fails."""
    runs_on: list[Text] = []
    """The items it runs on."""
    depends_on: list[Text] = []
    """The items it needs."""


@dataclass(frozen=True)
class Impact:
    """An item affected when another fails, and the relation path that makes it so."""

    item: Item
    path: list[str] = field(default_factory=list)
    """From the failing item's dependent to this one: ``relation item`` steps."""


class ItemStore(Protocol):
    """What items need of a store."""

    def save_items(self, items: list[Item], entry: AdminEntry) -> None:
        """Add or replace the items with their relations, and journal ``entry``, at once."""
        ...

    def list_items(self) -> list[Item]: ...


def parse_items(text: str, name: str) -> list[Item]:
    """Items from a file's text: CSV when ``name`` ends in .csv, YAML (``items:``) else."""
    rows = _csv_rows(text) if name.lower().endswith(".csv") else _yaml_rows(text, name)
    items = []
    for index, row in enumerate(rows, start=1):
        try:
            spec = ItemSpec.model_validate(row)
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(part) for part in problem["loc"])
            raise BadRequest(f"{name}: item {index}: {where}: {problem['msg']}") from None
        items.append(Item(spec.name, spec.kind, spec.owner_group, spec.vendor,
                          spec.criticality, tuple(spec.runs_on), tuple(spec.depends_on)))
    return items


def _yaml_rows(text: str, name: str) -> list[Any]:
    data = yamlfile.parse(text, name)
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise BadRequest(f"{name}: an items file is a mapping with a list 'items:'")
    return [dict(row) if isinstance(row, dict) else row for row in data["items"]]


def _csv_rows(text: str) -> list[dict[str, Any]]:
    """Rows of a CSV with a header; relations are lists separated by ``;``; empty: none."""
    rows = []
    for row in csv.DictReader(io.StringIO(text)):
        clean: dict[str, Any] = {key: value.strip() for key, value in row.items()
                                 if key and value and value.strip()}
        for relation in RELATIONS:
            if relation in clean:
                clean[relation] = [part.strip() for part in clean[relation].split(";")
                                   if part.strip()]
        rows.append(clean)
    return rows


def read_items(path: str | Path) -> list[Item]:
    """Items from a YAML or CSV file."""
    return parse_items(yamlfile.read_text(path), str(path))


def check_items(new: list[Item], known: Iterable[Item]) -> None:
    """Refuse a batch naming an item twice, relating an item to itself or to an item that
    is neither in the batch nor on the desk."""
    names = [item.name for item in new]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise BadRequest(f"items named twice: {', '.join(twice)}")
    every = set(names) | {item.name for item in known}
    for item in new:
        for relation, target in item.targets():
            if target == item.name:
                raise BadRequest(f"item {item.name!r} cannot be related to itself")
            if target not in every:
                raise BadRequest(f"item {item.name!r} {relation} {target!r}, which is not an "
                                 "item")


def impact(name: str, items: Iterable[Item]) -> list[Impact]:
    """Every item that runs on or depends on ``name``, directly or through others, nearest
    first (each once, by its shortest path)."""
    dependents: dict[str, list[tuple[str, Item]]] = {}
    for item in items:
        for relation, target in item.targets():
            dependents.setdefault(target, []).append((relation, item))
    found: list[Impact] = []
    seen, frontier = {name}, [(name, list[str]())]
    while frontier:
        current, path = frontier.pop(0)
        for relation, item in sorted(dependents.get(current, []), key=lambda d: d[1].name):
            if item.name not in seen:
                seen.add(item.name)
                step = [*path, f"{relation} {current}"]
                found.append(Impact(item, step))
                frontier.append((item.name, step))
    return found


class Items:
    """The CMDB's service: load, list, find an item and its impact."""

    def __init__(self, store: ItemStore, clock: Clock) -> None:
        self.store, self.clock = store, clock

    def load(self, items: list[Item], actor: Account) -> list[Item]:
        """Add or replace these items (with their relations), journaled (admins only)."""
        require_any(actor, ("admin",), "changing configuration items")
        check_items(items, self.store.list_items())
        self.store.save_items(items, AdminEntry(
            at=self.clock.now(), actor=actor.username, kind=ITEMS_LOADED,
            subject=f"{len(items)} items",
            details={"items": [item.as_dict() for item in items]}))
        return items

    def all(self) -> list[Item]:
        return self.store.list_items()

    def get(self, name: str) -> Item:
        for item in self.store.list_items():
            if item.name == name:
                return item
        raise NotFound(f"no configuration item {name!r}")

    def impact(self, name: str) -> list[Impact]:
        self.get(name)
        return impact(name, self.store.list_items())
