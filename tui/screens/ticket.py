"""The ticket view: its card, running SLAs, children, notices, actions and journal."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from engine.core.errors import Forbidden
from engine.core.journal import Event
from engine.core.model import Ticket, TicketQuery, Timer
from engine.desk.problems import Problems, workaround
from engine.desk.reading import check_read, readable
from engine.desk.requesters import Requesters
from engine.process.compiler import CompiledProcess
from tui.output import safe
from tui.screens.graph import GraphScreen
from tui.screens.item import ItemScreen
from tui.screens.replay import ReplayScreen
from tui.screens.requester import RequesterScreen
from tui.screens.ticket_actions import TicketActions
from tui.widgets.key_lists import KeyList
from tui.widgets.sla_panel import Deadline, SlaPanel
from tui.widgets.ticket_card import TicketCard
from tui.widgets.timeline import Timeline


def timer_deadlines(timers: list[Timer]) -> list[Deadline]:
    """Pending timers as deadlines (SLA timers carry their kind)."""
    return [Deadline(timer.trigger, timer.due_at, timer.kind) for timer in timers
            if timer.status == "pending"]


def sla_deadlines(slas: Any) -> list[Deadline]:
    """The desk's running SLA clocks (``Desk.slas``) as deadlines."""
    found = []
    for sla in slas or []:
        due, left = getattr(sla, "due_at", None), getattr(sla, "remaining", None)
        if not isinstance(due, datetime):
            continue
        kind = ("sla breached" if getattr(sla, "breached", False) else
                "sla warned" if getattr(sla, "warned", False) else "sla")
        label = f"{getattr(sla, 'clock', 'SLA')} ({getattr(sla, 'post', None) or '-'})"
        found.append(Deadline(label, due, kind, paused=not getattr(sla, "running", True),
                              left=left if isinstance(left, timedelta) else None))
    return found


def problem_lines(problem: Ticket, workaround: str | None) -> str:
    """What a linked ticket shows of its problem (plain text)."""
    closed = "" if problem.is_open else " (closed)"
    head = f"#{problem.id} · {problem.state}{closed} · {safe(problem.data.get('summary'), 60)}"
    return head + (f"\nWorkaround (known error): {safe(workaround, 400)}" if workaround
                   else "")


class TicketScreen(TicketActions):
    """One ticket; Enter on an action fires it through its form."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "claim", "Claim"),
        Binding("a", "assign", "Assign"),
        Binding("m", "comment", "Comment"),
        Binding("e", "record", "Record event"),
        Binding("x", "complaint", "Complaint"),
        Binding("s", "graph", "State graph"),
        Binding("R", "replay", "Replay"),
        Binding("u", "requester", "Requester"),
        Binding("i", "item", "Item"),
        Binding("r", "reload", "Reload"),
    ]

    def __init__(self, ticket_id: int) -> None:
        super().__init__()
        self.ticket_id = ticket_id
        self.ticket: Ticket | None = None
        self.compiled: CompiledProcess | None = None
        self.events: list[Event] = []
        self.shown: set[int] = {ticket_id}
        """The tickets this view shows: the ticket and its children."""

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="ticket-body"):
            with VerticalScroll(id="ticket-left"):
                yield TicketCard(id="ticket-card")
                yield SlaPanel(self.session.now, self.session.due, id="ticket-slas")
                yield KeyList(id="ticket-children")
                yield Static(id="ticket-problem")
                yield Static(id="ticket-notices")
            with Vertical(id="ticket-right"):
                yield KeyList(id="ticket-actions")
                with VerticalScroll(id="ticket-journal"):
                    yield Timeline(id="ticket-timeline")
        yield Footer()

    def on_mount(self) -> None:
        self.reload()
        if self.ticket is not None:
            self.query_one("#ticket-actions", OptionList).focus()

    def desk_changed(self) -> None:
        self.reload()

    def tickets_changed(self, tickets: frozenset[int]) -> None:
        if not tickets or not self.shown.isdisjoint(tickets):
            self.reload()

    def action_reload(self) -> None:
        self.reload()

    def reload(self) -> None:
        """Read the ticket, its journal, timers and children again, and redraw."""
        loaded = self.attempt(self._load)
        if loaded is None:
            if self.ticket is None and self.is_current:  # not the account's to read: back
                self.dismiss()
            return
        ticket, compiled = loaded
        local = self.session.local
        version = self.attempt(lambda: self.desk.store.get_version(ticket.digest).number) or 0
        self.title = f"#{ticket.id} {safe(ticket.data.get('summary', ''), 80)}"
        self.sub_title = f"{ticket.process} · {ticket.where()}"
        self.query_one(TicketCard).show(ticket, compiled.spec, version, local)
        journal = self.query_one("#ticket-journal", VerticalScroll)
        journal.border_title = self.query_one(Timeline).show(self.events, local)
        journal.scroll_end(animate=False)
        self.query_one(SlaPanel).show(self.attempt(lambda: self._deadlines(ticket)) or [])
        self._show_children(ticket)
        self._show_problem(ticket)
        self._show_notices(ticket)
        self.show_actions()
        self.refresh_bindings()  # the footer offers only what this ticket now allows

    def _load(self) -> tuple[Ticket, CompiledProcess]:
        try:
            ticket = check_read(self.session.account, self.desk.ticket(self.ticket_id))
        except Forbidden:  # never readable, or handed on out of the account's reach
            self.ticket = None
            raise
        self.compiled = self.desk.compiled(ticket.digest)
        self.events = self.desk.history(self.ticket_id)
        self.ticket = ticket
        return ticket, self.compiled

    def _deadlines(self, ticket: Ticket) -> list[Deadline]:
        found = sla_deadlines(self.desk.slas(ticket.id))
        timers = timer_deadlines(self.desk.timers(ticket.id))
        return found + [d for d in timers if not d.kind.startswith("sla")]

    def _show_children(self, ticket: Ticket) -> None:
        children = self.attempt(lambda: self.desk.tickets(readable(
            self.session.account, TicketQuery(parent_id=ticket.id, limit=50)))) or []
        box = self.query_one("#ticket-children", OptionList)
        box.border_title = f"Child tickets · {len(children)}"
        box.clear_options()
        box.add_options([Option(f"#{c.id} {c.process} · {c.state}"
                                + ("" if c.is_open else " (closed)"), id=str(c.id))
                         for c in children])
        box.display = bool(children)
        self.shown = {ticket.id, *(c.id for c in children)}

    def _show_problem(self, ticket: Ticket) -> None:
        """The problem behind the ticket, with its workaround while it is a known error."""
        problem = self.attempt(lambda: Problems(self.desk).problem_of(ticket))
        box = self.query_one("#ticket-problem", Static)
        box.display = problem is not None
        if problem is None:
            return
        box.border_title = "Problem"
        shown = workaround(problem)
        box.update(Content(problem_lines(problem, shown)))  # plain: no markup in data

    def _show_notices(self, ticket: Ticket) -> None:
        notices = [n for n in self.session.notices if n.ticket_id == ticket.id]
        box = self.query_one("#ticket-notices", Static)
        box.border_title = "Notifications"
        box.update(Content("\n".join(f"{self.session.local(n.at)}  {n.title}: {n.message}"
                                     for n in notices[-10:])))  # plain: no markup in data
        box.display = bool(notices)

    @on(OptionList.OptionSelected, "#ticket-children")
    def open_child(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.app.push_screen(TicketScreen(int(event.option.id)))

    def action_graph(self) -> None:
        if self.ticket is not None:
            self.app.push_screen(GraphScreen(self.ticket.digest, self.ticket.state,
                                             list(self.ticket.branches.values())))

    def action_replay(self) -> None:
        self.app.push_screen(ReplayScreen(self.ticket_id))

    def action_item(self) -> None:
        """The ticket's configuration item: its impact and its other open tickets."""
        name = self.desk.item_of(self.ticket) if self.ticket is not None else None
        if name is None:
            self.notify("This ticket names no configuration item.", title="No item")
            return
        self.app.push_screen(ItemScreen(name))

    def action_requester(self) -> None:
        """The ticket's requester and their other tickets."""
        requester = self.attempt(lambda: Requesters(self.desk).of_ticket(self.ticket_id))
        if requester is None:
            self.notify("This ticket is not for a requester.", title="No requester")
            return
        self.app.push_screen(RequesterScreen(requester))
