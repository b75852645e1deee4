"""The home screen: the account's queues on the left, the chosen queue as a virtual list."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Header, Input, OptionList
from textual.widgets.option_list import Option

from engine.core.errors import ServiceError
from engine.core.model import SavedView, Ticket, TicketQuery
from engine.desk.articles import Articles
from engine.desk.reading import check_read, readable
from engine.desk.search import search_kinds, search_query, ticket_number
from tui.screens.accounts import AccountsScreen
from tui.screens.articles import ArticlesScreen
from tui.screens.assessment import AssessmentScreen
from tui.screens.base import DeskScreen
from tui.screens.choice import ChoiceScreen
from tui.screens.graph import GraphScreen
from tui.screens.notices import NoticesScreen
from tui.screens.open_ticket import open_ticket
from tui.screens.problems import ProblemsScreen
from tui.screens.processes import ProcessesScreen
from tui.screens.queue_bulk import act_on_each, summary
from tui.screens.queue_columns import LABELS, cells, headed, next_sort
from tui.screens.queue_filter import FILTER_HELP, Queue, queues_for
from tui.screens.replay import ReplayScreen
from tui.screens.ticket import TicketScreen
from tui.widgets.key_lists import KeyList
from tui.widgets.queue_list import QueueList
from tui.widgets.status_line import StatusLine

PAGE = 100


class QueueScreen(DeskScreen[None]):
    """The account's queues; Enter opens a ticket."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "queue(0)", "Queue 1", show=False),
        Binding("2", "queue(1)", "Queue 2", show=False),
        Binding("3", "queue(2)", "Queue 3", show=False),
        Binding("4", "queue(3)", "Queue 4", show=False),
        Binding("5", "queue(4)", "Queue 5", show=False),
        Binding("6", "queue(5)", "Queue 6", show=False),
        Binding("7", "queue(6)", "Queue 7", show=False),
        Binding("slash", "filter", "Search", key_display="/"),
        Binding("n", "new_ticket", "New ticket"),
        Binding("space", "pick", "Select"),
        Binding("c", "claim", "Claim"),
        Binding("a", "assign", "Assign"),
        Binding("f", "fire", "Fire"),
        Binding("s", "graph", "Graph"),
        Binding("greater_than_sign", "sort(1)", "Sort", key_display=">"),
        Binding("less_than_sign", "sort(-1)", "Sort back", show=False, key_display="<"),
        Binding("o", "order", "Order", show=False),
        Binding("v", "save_view", "Save view"),
        Binding("d", "delete_view", "Delete view"),
        Binding("r", "reload", "Reload", show=False),
        Binding("p", "problems", "Problems"),
        Binding("P", "processes", "Processes"),
        Binding("U", "accounts", "Accounts"),
        Binding("R", "replay", "Replay"),
        Binding("K", "assessment", "Assessment"),
        Binding("b", "articles", "Articles"),
        Binding("N", "notices", "Notices", show=False),
        Binding("L", "logout", "Log out", show=False),
        Binding("q", "app.quit", "Quit", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.queues: list[Queue] = []
        self.queue_index = 0
        self.filter_text = ""
        self.sort = "id"
        self.descending = True
        self.views: list[SavedView] = []
        self.requesters: dict[int, str] = {}
        """The requester names of the tickets fetched (for the requester column)."""

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="queue-body"):
            yield KeyList(id="queue-nav")
            with Vertical(id="queue-main"):
                yield Input(placeholder=FILTER_HELP, id="queue-filter")
                yield QueueList(headed(self.sort, self.descending), self.cells, page=PAGE,
                                id="queue-list")
                yield StatusLine(id="queue-status")
        yield Footer()

    def on_mount(self) -> None:
        account = self.session.account
        self.title = "ticketflow"
        self.sub_title = f"{account.display_name} · {', '.join(account.roles)}" + (
            f" · {account.post}" if account.post else "")
        self.queues = queues_for(self.session)
        self.show_nav()
        self.query_one("#queue-nav", OptionList).highlighted = 0
        self.load()
        self.query_one(QueueList).focus()

    # -- the list ------------------------------------------------------------------------

    def cells(self, ticket: Ticket) -> list[str]:
        """One ticket's cells, as the columns show them."""
        session = self.session
        return cells(ticket, now=session.now(), due=session.due,
                     requester=self.requesters.get(ticket.id))

    def show_nav(self) -> None:
        """The queues, numbered, then the account's saved views."""
        nav = self.query_one("#queue-nav", OptionList)
        self.views = self.desk.store.saved_views(self.session.account.username)
        nav.clear_options()
        nav.add_options([Option(f"{n + 1} {q.title}", id=q.key)
                         for n, q in enumerate(self.queues)])
        nav.add_options([Option(f"★ {view.name}", id=f"view:{view.name}")
                         for view in self.views])

    def query_now(self) -> TicketQuery:
        """The current queue's query with the search, the order and the clock of this moment,
        narrowed to the tickets the account may read."""
        query = self.queues[self.queue_index].query
        if self.filter_text:
            query = search_query(self.filter_text, query)
        if query.overdue_at is not None:
            query = replace(query, overdue_at=self.session.now())
        if query.at_risk_at is not None:
            query = replace(query, at_risk_at=self.session.now())
        return readable(self.session.account,
                        replace(query, sort=self.sort, descending=self.descending))

    def load(self) -> None:
        """Show the current queue from its first page."""
        query = self.query_now()
        queue_list = self.query_one(QueueList)
        queue_list.columns = headed(self.sort, self.descending)
        self.requesters.clear()
        desk = self.desk

        def fetch(after: int | None, limit: int, backwards: bool) -> list[Ticket]:
            tickets = desk.tickets(replace(query, after=after, limit=limit,
                                           descending=query.descending != backwards))
            self.requesters.update(desk.store.requester_names([t.id for t in tickets]))
            return tickets

        def count(at_most: int | None) -> int:
            return desk.store.count_tickets(query, at_most=at_most)

        self.attempt(lambda: self.query_one(QueueList).show(fetch, count))

    def desk_changed(self) -> None:
        self.attempt(self.query_one(QueueList).reload)

    @on(QueueList.Highlighted)
    def show_position(self, event: QueueList.Highlighted) -> None:
        queue = self.queues[self.queue_index].title
        shown = (f"{event.position:,} of {event.queue_list.total_text}" if event.ticket
                 else "empty")
        search = self.filter_text
        order = (("newest first" if self.descending else "oldest first") if self.sort == "id"
                 else f"by {LABELS[self.sort]} {'▼' if self.descending else '▲'}")
        self.query_one(StatusLine).text = (
            f"{queue} · {shown} · {order}" + (f" · search {search}" if search else ""))
        self.refresh_bindings()  # Claim is offered for a ticket one may claim

    @on(QueueList.Selected)
    def open_ticket(self, event: QueueList.Selected) -> None:
        self.open_ticket_id(event.ticket.id)

    def open_ticket_id(self, ticket_id: int) -> None:
        if self.attempt(lambda: check_read(self.session.account,
                                           self.desk.ticket(ticket_id))) is not None:
            self.app.push_screen(TicketScreen(ticket_id), lambda _: self.desk_changed())

    @on(OptionList.OptionSelected, "#queue-nav")
    def pick_queue(self, event: OptionList.OptionSelected) -> None:
        index = event.option_index
        if index < len(self.queues):
            self.action_queue(index)
        else:
            self.apply_view(self.views[index - len(self.queues)])
        self.query_one(QueueList).focus()

    def apply_view(self, view: SavedView) -> None:
        """Show a saved view: its queue with its search, sort and order."""
        keys = [queue.key for queue in self.queues]
        self.queue_index = keys.index(view.queue) if view.queue in keys else 0
        self.filter_text, self.sort, self.descending = view.search, view.sort, view.descending
        box = self.query_one("#queue-filter", Input)
        box.value = view.search
        box.set_class(bool(view.search), "shown")
        self.load()

    # -- actions -------------------------------------------------------------------------

    def action_queue(self, index: int) -> None:
        if 0 <= index < len(self.queues):
            self.queue_index = index
            self.query_one("#queue-nav", OptionList).highlighted = index
            self.load()

    def action_filter(self) -> None:
        box = self.query_one("#queue-filter", Input)
        box.add_class("shown")
        box.focus()

    @on(Input.Submitted, "#queue-filter")
    def apply_filter(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        ticket_id = ticket_number(text)
        if ticket_id is not None:  # not a search: back to the list, then the ticket
            event.input.value = self.filter_text
            event.input.set_class(bool(self.filter_text), "shown")
            self.query_one(QueueList).focus()
            self.open_ticket_id(ticket_id)
            return
        try:
            search_query(text)
            kinds, _rest, words = search_kinds(text)
        except ServiceError as exc:  # an unknown key: said, and the list stays as it was
            self.notify(str(exc), title="Search", severity="error")
            return
        if kinds == ("article",):  # only articles: the knowledge base, searched
            event.input.value = self.filter_text
            self.app.push_screen(ArticlesScreen(words))
            return
        if "article" in kinds and words:
            self.tell_articles(words)
        self.filter_text = text
        if not text:
            event.input.remove_class("shown")
        self.load()
        self.query_one(QueueList).focus()

    def tell_articles(self, words: tuple[str, ...]) -> None:
        """Say which articles have the words too (``kind:article`` lists them)."""
        found = self.attempt(lambda: Articles(self.desk.store, self.desk.clock).find(
            words=words, limit=4)) or []
        if found:
            self.notify("; ".join(f"{a.id} {a.title}" for a in found[:3])
                        + (" …" if len(found) > 3 else "")
                        + "  (kind:article or b lists them)", title="Articles")

    def action_order(self) -> None:
        self.descending = not self.descending
        self.load()

    def action_sort(self, step: int) -> None:
        """Sort on the next column (``>``) or the one before (``<``): the opening order
        newest first, the others the most pressing first (▲)."""
        self.sort = next_sort(self.sort, step)
        self.descending = self.sort == "id"
        self.load()

    def action_save_view(self) -> None:
        """Keep the queue as it stands — search, sort, order — under a name made of them."""
        queue = self.queues[self.queue_index]
        name = " · ".join(part for part in (queue.title, self.filter_text,
                                             f"by {LABELS[self.sort]}") if part)[:200]
        view = SavedView(self.session.account.username, name, queue.key, self.filter_text,
                         self.sort, self.descending)
        def save() -> bool:
            self.desk.store.save_view(view)
            return True

        if self.attempt(save):
            self.show_nav()
            self.notify(name, title="View saved")

    def action_delete_view(self) -> None:
        """Delete the saved view highlighted in the list of queues and views."""
        view = self.highlighted_view()
        if view is None:
            return
        username = self.session.account.username
        if self.attempt(lambda: self.desk.store.delete_view(username, view.name)) is not None:
            self.show_nav()
            self.notify(view.name, title="View deleted")
            self.refresh_bindings()

    def highlighted_view(self) -> SavedView | None:
        """The saved view highlighted in the focused list of queues and views, if any."""
        nav = self.query_one("#queue-nav", OptionList)
        at = (nav.highlighted if nav.highlighted is not None else -1) - len(self.queues)
        return self.views[at] if nav.has_focus and 0 <= at < len(self.views) else None

    @on(OptionList.OptionHighlighted, "#queue-nav")
    def nav_moved(self) -> None:
        self.refresh_bindings()  # Delete view is offered on a saved view

    def action_reload(self) -> None:
        self.load()

    def action_pick(self) -> None:
        queue_list = self.query_one(QueueList)
        queue_list.toggle()
        self.refresh_bindings()

    def picked(self) -> list[int]:
        """The selected tickets, by id."""
        return sorted(self.query_one(QueueList).selected)

    def action_claim(self) -> None:
        account, queue_list = self.session.account, self.query_one(QueueList)
        if queue_list.selected:
            self.bulk("claimed", lambda ticket_id: self.desk.claim(ticket_id, account))
            return
        ticket = queue_list.current
        if ticket is None:
            return
        if self.attempt(partial(self.desk.claim, ticket.id, account)) is not None:
            self.notify(f"#{ticket.id} is yours", title="Claimed")
            self.desk_changed()

    def action_assign(self) -> None:
        accounts = self.attempt(self.desk.store.list_accounts) or []
        now, post = self.session.now(), self.session.account.post
        choices = [(a.username, f"{a.username}  {a.display_name}") for a in accounts
                   if a.post == post and a.can_act(now) and {"agent", "supervisor"} & set(a.roles)]

        def chosen(username: str | None) -> None:
            if username is not None:
                target, account = None if username == "-" else username, self.session.account
                self.bulk(f"assigned to {username}",
                          lambda ticket_id: self.desk.assign(ticket_id, target, account))

        self.app.push_screen(ChoiceScreen(f"Assign {len(self.picked())} ticket(s) to",
                                          [*choices, ("-", "nobody")]), chosen)

    def action_fire(self) -> None:
        account, names = self.session.account, []
        for ticket_id in self.picked():
            ticket = self.attempt(partial(self.desk.ticket, ticket_id))
            names += [t.trigger for t in self.desk.actions(ticket, account)] if ticket else []

        def chosen(trigger: str | None) -> None:
            if trigger is not None:
                self.bulk(f"{trigger} fired on",
                          lambda ticket_id: self.desk.fire(ticket_id, trigger, account))

        choices = [(name, name) for name in dict.fromkeys(names)]
        self.app.push_screen(ChoiceScreen("Fire on each selected ticket", choices), chosen)

    def bulk(self, verb: str, act: Callable[[int], object]) -> None:
        """Act on each picked ticket, its own change each; one summary of what was refused."""
        done, refused = act_on_each(self.picked(), act)
        self.notify(summary(verb, done, refused), title="Done" if not refused else "Some refused",
                    severity="warning" if refused else "information", timeout=10)
        self.query_one(QueueList).selected.clear()
        self.desk_changed()

    def action_new_ticket(self) -> None:
        def opened(ticket_id: int) -> None:
            self.load()
            self.open_ticket_id(ticket_id)

        open_ticket(self, opened)

    def action_graph(self) -> None:
        ticket = self.query_one(QueueList).current
        if ticket is not None:
            self.app.push_screen(GraphScreen(ticket.digest, ticket.state))

    def action_problems(self) -> None:
        self.app.push_screen(ProblemsScreen())

    def action_processes(self) -> None:
        self.app.push_screen(ProcessesScreen())

    def action_accounts(self) -> None:
        self.app.push_screen(AccountsScreen())

    def action_replay(self) -> None:
        ticket = self.query_one(QueueList).current
        if ticket is not None:
            self.app.push_screen(ReplayScreen(ticket.id))

    def action_articles(self) -> None:
        self.app.push_screen(ArticlesScreen())

    def action_assessment(self) -> None:
        self.app.push_screen(AssessmentScreen())

    def action_notices(self) -> None:
        self.app.push_screen(NoticesScreen())

    def action_logout(self) -> None:
        self.app.call_later(self.app.run_action, "logout")

    def action_back(self) -> None:
        """Esc in the filter returns to the list (and hides an empty filter)."""
        box = self.query_one("#queue-filter", Input)
        if box.has_focus:
            box.set_class(bool(box.value.strip()), "shown")
            self.query_one(QueueList).focus()
        else:
            super().action_back()

    def describe(self, binding: Binding) -> str:
        """A number key names its queue: ``1`` My tickets, ``2`` Post service_desk, …"""
        if binding.action.startswith("queue("):
            index = int(binding.action[len("queue("):-1])
            if index < len(self.queues):
                return self.queues[index].title
        return super().describe(binding)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Show each role the keys it may use."""
        if action == "queue":  # the numbers go as far as the account's queues
            return isinstance(parameters[0], int) and parameters[0] < len(self.queues)
        if action == "back" and self.query_one("#queue-filter", Input).has_focus:
            return True
        session = self.session
        needs = {"processes": "admin", "accounts": "admin", "replay": "auditor",
                 "assessment": "auditor"}
        if action in needs:
            return session.has(needs[action])
        selected = bool(self.query_one(QueueList).selected)
        if action == "claim":
            return selected or session.may_claim(self.query_one(QueueList).current)
        if action in ("assign", "fire"):
            return selected
        if action == "new_ticket":
            return session.works_tickets or session.has("admin")
        if action == "delete_view":
            return self.highlighted_view() is not None
        return super().check_action(action, parameters)
