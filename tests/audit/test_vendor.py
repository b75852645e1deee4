"""Vendor accounts (seed §4): opened by the step, limited, expiring, closed and rotated."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.accounts.accounts import verify_password
from engine.accounts.vendor import Credential
from engine.audit.audit import Audit
from engine.core.errors import AuthenticationFailed, Forbidden, GuardFailed, MissingField
from tests.desk.conftest import DeskWorld


def requested(world: DeskWorld, rights: str = "operator") -> int:
    ticket = world.desk.open("vendor_access", world.people["hal"], {
        "summary": "patch the database", "vendor_name": "Acme", "rights": rights})
    return ticket.id


def open_access(world: DeskWorld, ticket_id: int, hours: float = 4) -> list[Credential]:
    world.desk.fire(ticket_id, "approve", world.people["sue"],
                    data={"approval_reference": "memo-7"})
    received: list[Credential] = []
    expires = (world.clock.now() + timedelta(hours=hours)).isoformat()
    world.desk.fire(ticket_id, "open_access", world.people["sue"], deliver=received.append,
                    data={"vendor_account": "vendor_acme", "access_expires_at": expires})
    return received


def test_opening_access_creates_a_limited_expiring_account_and_hands_the_password_once(
        world: DeskWorld) -> None:
    ticket_id = requested(world)
    [credential] = open_access(world, ticket_id)
    account = world.workspace.store.get_account("vendor_acme")
    assert (account.vendor, account.roles, account.post, account.disabled) == (
        True, ["vendor", "vendor_operator"], "vendor", False)
    assert account.expires_at == world.clock.now() + timedelta(hours=4)
    assert "admin" not in account.roles and credential.password not in account.password_hash
    assert verify_password(account, credential.password)
    assert credential.password not in repr(credential)
    journal = [e.details for e in world.desk.history(ticket_id)] + [
        e.details for e in world.workspace.store.admin_entries()]
    assert credential.password not in repr(journal)
    world.workspace.accounts.login("vendor_acme", credential.password)


def test_ending_access_disables_the_account_and_rotates_its_password(world: DeskWorld
                                                                     ) -> None:
    ticket_id = requested(world)
    [credential] = open_access(world, ticket_id)
    world.desk.fire(ticket_id, "end_access", world.people["hal"])
    account = world.workspace.store.get_account("vendor_acme")
    assert account.disabled and not verify_password(account, credential.password)
    with pytest.raises(AuthenticationFailed):
        world.workspace.accounts.login("vendor_acme", credential.password)
    episode = [(e.kind, e.actor, e.details["ticket"]) for e in
               world.workspace.store.admin_entries() if e.subject == "vendor_acme"
               and e.kind.startswith("vendor")]
    assert episode == [("vendor_account_opened", "sue", ticket_id),
                       ("vendor_account_closed", "hal", ticket_id)]
    assert Audit(world.workspace.store, world.clock).verify().ok


def test_the_expiry_timer_closes_the_account_as_the_system(world: DeskWorld) -> None:
    ticket_id = requested(world)
    open_access(world, ticket_id, hours=2)
    world.clock.advance(timedelta(hours=2, minutes=1))
    world.desk.fire_due()
    assert world.desk.ticket(ticket_id).state == "registering"
    assert world.workspace.store.get_account("vendor_acme").disabled
    closed = world.workspace.store.admin_entries()[-1]
    assert (closed.kind, closed.actor) == ("vendor_account_closed", "system")
    report = Audit(world.workspace.store, world.clock).verify()
    assert report.ok, report.violations


def test_superuser_rights_and_past_expiries_are_refused(world: DeskWorld) -> None:
    ticket_id = requested(world, rights="superuser")
    with pytest.raises(GuardFailed):
        world.desk.fire(ticket_id, "approve", world.people["sue"],
                        data={"approval_reference": "memo-7"})
    ticket_id = requested(world)
    world.desk.fire(ticket_id, "approve", world.people["sue"],
                    data={"approval_reference": "memo-8"})
    with pytest.raises(MissingField, match="in the future"):
        world.desk.fire(ticket_id, "open_access", world.people["sue"], data={
            "vendor_account": "vendor_acme",
            "access_expires_at": (world.clock.now() - timedelta(hours=1)).isoformat()})


def test_a_regular_account_cannot_be_taken_over_as_a_vendor_account(world: DeskWorld
                                                                      ) -> None:
    world.workspace.accounts.add(world.people["root"], username="vendor_x", password="Pa55-word",
                                 roles=["agent"], post="service_desk")
    ticket_id = requested(world)
    world.desk.fire(ticket_id, "approve", world.people["sue"],
                    data={"approval_reference": "memo-9"})
    with pytest.raises(Forbidden, match="regular account"):
        world.desk.fire(ticket_id, "open_access", world.people["sue"], data={
            "vendor_account": "vendor_x",
            "access_expires_at": (world.clock.now() + timedelta(hours=1)).isoformat()})
    assert world.workspace.store.get_account("vendor_x").roles == ["agent"]
    assert world.desk.ticket(ticket_id).state == "approved"
