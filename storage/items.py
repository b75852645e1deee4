"""Configuration items in SQL: one row per item, one per relation; a load replaces the
items it names (and their relations) in one transaction, journaled in the admin journal."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, delete, insert, select

from engine.core.admin_journal import AdminEntry
from engine.desk.items import RELATIONS, Item
from storage.models import metadata
from storage.rows import Rows

ITEMS, RELATED = metadata.tables["items"], metadata.tables["item_relations"]


class ItemRows(Rows):
    """The CMDB half of the store (mixed into :class:`storage.store.SqlStore`)."""

    _admin_write: Callable[[Connection, list[AdminEntry]], list[AdminEntry]]

    def save_items(self, items: list[Item], entry: AdminEntry) -> None:
        """Add or replace items and their relations, with their admin journal entry."""
        names = [item.name for item in items]
        with self._writing(lock=ITEMS.name) as connection:
            connection.execute(delete(RELATED).where(RELATED.c.item.in_(names)))
            existing = {row[0] for row in connection.execute(
                select(ITEMS.c.name).where(ITEMS.c.name.in_(names)))}
            for item in items:
                values = {"kind": item.kind, "owner_group": item.owner_group,
                          "vendor": item.vendor, "criticality": item.criticality}
                if item.name in existing:
                    connection.execute(ITEMS.update().where(ITEMS.c.name == item.name)
                                       .values(values))
                else:
                    connection.execute(insert(ITEMS).values(name=item.name, **values))
            relations = [{"item": item.name, "relation": relation, "target": target}
                         for item in items for relation, target in item.targets()]
            if relations:
                connection.execute(insert(RELATED), relations)
            self._admin_write(connection, [entry])

    def list_items(self) -> list[Item]:
        """Every item with its relations, by name."""
        related: dict[str, dict[str, list[str]]] = {}
        for item, relation, target in self._read(select(
                RELATED.c.item, RELATED.c.relation, RELATED.c.target)
                .order_by(RELATED.c.item, RELATED.c.relation, RELATED.c.target)):
            related.setdefault(item, {}).setdefault(relation, []).append(target)
        return [Item(row.name, row.kind, row.owner_group, row.vendor, row.criticality,
                     *(tuple(related.get(row.name, {}).get(r, [])) for r in RELATIONS))
                for row in self._read(select(ITEMS).order_by(ITEMS.c.name))]
