"""The weekly security review (seed §4–5)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.audit.security_report import week_bounds, weekly_report
from engine.core.errors import AuthenticationFailed, BadRequest
from tests.audit.conftest import tour
from tests.desk.conftest import PASSWORD, DeskWorld


def test_the_review_of_the_tour_week(world: DeskWorld) -> None:
    with pytest.raises(AuthenticationFailed):
        world.workspace.accounts.login("ann", "not-Her-pass1")
    ids = tour(world)
    world.clock.advance(timedelta(days=4))
    world.workspace.accounts.login("ann", PASSWORD)
    review = weekly_report(world.workspace.store, "2026-W41", dormant_days=3)
    assert [(f["username"], f["reason"]) for f in review.failed_logins] == [
        ("ann", "wrong password for 'ann'")]
    assert [(a["username"], a["action"], a["ticket"]) for a in review.vendor_accesses] == [
        ("vendor_acme", "opened", ids["vendor_child"]),
        ("vendor_acme", "closed", ids["vendor_child"]),
        ("vendor_beta", "opened", ids["vendor_verbal"])]
    assert [(v["ticket"], v["state"]) for v in review.unconfirmed_verbal] == [
        (ids["vendor_verbal"], "confirmation_overdue")]
    assert [a["username"] for a in review.powerful_accounts] == ["root", "sue"]
    dormant = {a["username"] for a in review.dormant_accounts}
    assert "ann" not in dormant and {"aud", "hal"} <= dormant


def test_a_confirmed_verbal_approval_no_longer_waits(world: DeskWorld) -> None:
    ids = tour(world)
    world.desk.fire(ids["vendor_verbal"], "confirm_in_writing", world.people["sue"],
                    data={"approval_reference": "memo-late"})
    assert weekly_report(world.workspace.store, "2026-W41").unconfirmed_verbal == []


def test_weeks_are_iso_weeks() -> None:
    start, end = week_bounds("2026-W41")
    assert (start.isoformat(), end - start) == ("2026-10-05T00:00:00+00:00", timedelta(days=7))
    with pytest.raises(BadRequest):
        week_bounds("2026-41")
