"""The composition root of the HTTP front end: the one place it reaches the storage layer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.accounts.tokens import ApiTokens
from engine.assessment.report import Assessor, find_assessment
from engine.desk.desk import Desk
from engine.desk.intake import AlertIntake, find_alert_rules
from engine.desk.links import LinkSigner
from engine.desk.requesters import Requesters
from engine.time.clock import Clock, SystemClock
from storage import SqlStore, open_store


@dataclass(frozen=True)
class Services:
    """What the routes use, built for one database URL."""

    url: str
    store: SqlStore
    desk: Desk
    tokens: ApiTokens
    intake: AlertIntake
    assessor: Assessor
    requesters: Requesters
    signer: LinkSigner | None
    """Checks the requester's links; None when the desk has no link secret."""

    def close(self) -> None:
        self.store.close()


def open_services(url: str, *, alerts: Path | None = None, assessment: Path | None = None,
                  clock: Clock | None = None, link_secret: bytes | None = None) -> Services:
    """Open (creating or upgrading the schema of) the database at ``url`` for the API.

    ``alerts``: the alert rules file (default: ./flows/intake/alerts.yaml, else the shipped one);
    ``assessment``: the assessment file (default as ``ticketflow assess``);
    ``link_secret``: the secret of the requester's links (none: the page answers 404).
    """
    signer = LinkSigner(link_secret) if link_secret else None
    rules = find_alert_rules(alerts)
    rules_of_assessment = find_assessment(assessment)
    store = open_store(url)
    clock = clock or SystemClock()
    desk = Desk(store, clock)
    return Services(url=url, store=store, desk=desk, tokens=ApiTokens(store, clock),
                    intake=AlertIntake(desk, store, rules),
                    assessor=Assessor(store, rules_of_assessment),
                    requesters=Requesters(desk), signer=signer)

