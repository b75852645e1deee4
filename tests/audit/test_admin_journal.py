"""The admin journal: account changes, logins, deploys and seals, chained, never a password."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from engine.audit.audit import Audit
from engine.core.admin_journal import entry_hash
from engine.core.errors import AuthenticationFailed, BadRequest, Forbidden
from engine.core.journal import GENESIS
from tests.audit.conftest import KEY
from tests.desk.conftest import PASSWORD, DeskWorld


def kinds(world: DeskWorld) -> list[tuple[str, str | None, str]]:
    return [(e.kind, e.subject, e.actor) for e in world.workspace.store.admin_entries()]


def test_accounts_and_deploys_are_journaled_in_a_chain(world: DeskWorld) -> None:
    entries = world.workspace.store.admin_entries()
    assert [(e.kind, e.subject, e.actor) for e in entries[:2]] == [
        ("account_created", "root", "-"), ("account_created", "ann", "root")]
    assert {e.subject for e in entries if e.kind == "deploy"} >= {"mini", "service_desk"}
    previous = GENESIS
    for number, entry in enumerate(entries, start=1):
        assert (entry.seq, entry.prev_hash, entry.hash) == (number, previous,
                                                            entry_hash(entry))
        previous = entry.hash
    assert world.workspace.store.admin_head() == (len(entries), previous)


def test_account_changes_record_the_account_never_the_password(world: DeskWorld) -> None:
    book, root = world.workspace.accounts, world.people["root"]
    book.update(root, "ann", roles=["agent", "supervisor"])
    book.set_password(root, "ann", "N3w-secret")
    book.update(root, "ann", disabled=True)
    changed = [e for e in world.workspace.store.admin_entries() if e.subject == "ann"][1:]
    assert [e.kind for e in changed] == ["account_changed", "password_changed",
                                         "account_changed"]
    assert changed[0].details["account"]["roles"] == ["agent", "supervisor"]
    assert changed[2].details["account"]["disabled"] is True
    text = json.dumps([e.details for e in world.workspace.store.admin_entries()])
    hashed = world.workspace.store.get_account("ann").password_hash
    assert "N3w-secret" not in text and hashed not in text and PASSWORD not in text


def test_logins_and_failed_logins_are_journaled_with_the_reason(world: DeskWorld) -> None:
    book = world.workspace.accounts
    book.login("ann", PASSWORD)
    for name, password in (("ann", "wrong-Pass1"), ("nobody", "x")):
        with pytest.raises(AuthenticationFailed):
            book.login(name, password)
    book.update(world.people["root"], "hal", disabled=True)
    with pytest.raises(AuthenticationFailed):
        book.login("hal", PASSWORD)
    logins = [(e.kind, e.subject, e.details.get("reason"))
              for e in world.workspace.store.admin_entries() if "login" in e.kind]
    assert logins == [("login", "ann", None),
                      ("login_failed", "ann", "wrong password for 'ann'"),
                      ("login_failed", "nobody", "unknown account"),
                      ("login_failed", "hal", "account 'hal' is disabled")]
    assert world.workspace.store.get_account("ann").last_login_at == world.clock.now()


def test_entries_since_a_moment(world: DeskWorld) -> None:
    world.clock.advance(timedelta(hours=1))
    since = world.clock.now()
    world.workspace.accounts.login("sue", PASSWORD)
    assert [(e.kind, e.subject) for e in Audit(world.workspace.store, world.clock).log(since)
            ] == [("login", "sue")]


def test_sealing_needs_a_role_and_a_key_and_is_journaled(world: DeskWorld) -> None:
    audit = Audit(world.workspace.store, world.clock)
    with pytest.raises(Forbidden):
        audit.seal(world.people["ann"], KEY)
    with pytest.raises(BadRequest, match="at least 16 bytes"):
        audit.seal(world.people["aud"], b"short")
    entry = audit.seal(world.people["aud"], KEY)
    assert (entry.kind, entry.actor) == ("seal", "aud")
    assert entry.details["admin"] == [entry.seq - 1, world.workspace.store.admin_entries()[
        entry.seq - 2].hash]
    assert len(entry.details["mac"]) == 64 and KEY.decode() not in json.dumps(entry.details)
