"""The queues an account sees, and the ``/`` search that narrows one (``printer
state:handling``): words and filters as :mod:`engine.desk.search` reads them."""

from __future__ import annotations

from dataclasses import dataclass

from engine.accounts import vendor
from engine.core.model import TicketQuery
from engine.desk.search import SEARCH_HELP
from tui.screens.session import Session

FILTER_HELP = f"{SEARCH_HELP}; #ID opens a ticket"


@dataclass(frozen=True)
class Queue:
    """A named queue: a base query over tickets."""

    key: str
    title: str
    query: TicketQuery


def queues_for(session: Session) -> list[Queue]:
    """My tickets, my post's, unassigned, overdue, all and at risk — scoped to the account's
    post — and for supervisors the approvals inbox."""
    account = session.account
    post = account.post
    is_open = True
    queues = []
    if session.works_tickets:
        queues.append(Queue("mine", "My tickets", TicketQuery(assignee=account.username,
                                                              is_open=is_open)))
    if post:
        queues.append(Queue("post", f"Post {post}", TicketQuery(post=post, is_open=is_open)))
    queues += [
        Queue("unassigned", "Unassigned", TicketQuery(post=post, unassigned=True,
                                                      is_open=is_open)),
        Queue("overdue", "Overdue", TicketQuery(post=post, is_open=is_open,
                                                overdue_at=session.now())),
        Queue("all", "All open", TicketQuery(is_open=is_open)),
        Queue("at_risk", "At risk", TicketQuery(post=post, is_open=is_open,
                                                at_risk_at=session.now())),
    ]
    if session.has("supervisor"):
        queues.append(Queue("approvals", "Approvals", TicketQuery(
            process=vendor.PROCESS, is_open=is_open,
            states=vendor.AWAITING_APPROVAL + vendor.AWAITING_WRITTEN)))
    return queues
