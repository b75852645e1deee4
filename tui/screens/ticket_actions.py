"""What an agent does on a ticket: fire a trigger through its form, claim, assign, record.

On a conflict (someone changed the ticket first) the screen says so, reloads, and opens
the form again with what the agent typed — drafts live in the session until a step succeeds.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from engine.core.errors import Conflict, Forbidden, GuardFailed, MissingField, TicketflowError
from engine.core.model import Ticket
from engine.desk import plan
from engine.desk.articles import article_choices
from engine.desk.problems import Problems, is_problem
from engine.process.compiler import CompiledProcess
from engine.process.spec import ANY, EventSpec, FieldSpec, TransitionSpec
from tui.output import safe
from tui.screens.base import DeskScreen
from tui.screens.choice import ChoiceScreen
from tui.screens.field_form import FieldFormScreen, FormField, FormResult
from tui.widgets.field_input import as_text

RETRY = (Conflict, MissingField, GuardFailed)
"""Refusals after which the form opens again with what the agent typed."""


def destination(transition: TransitionSpec) -> str:
    """Where a transition goes: its state, or the gateway's choices."""
    return transition.to or " | ".join(b.to for b in transition.choose or [])


class TicketActions(DeskScreen[None]):
    """The ticket screen's actions; the subclass loads ``ticket`` and ``compiled``."""

    ticket: Ticket | None
    compiled: CompiledProcess | None
    ticket_id: int

    def reload(self) -> None:
        raise NotImplementedError

    # -- what may be done ----------------------------------------------------------------

    def allowed_events(self) -> dict[str, EventSpec]:
        """The journaled events this account may record on the ticket (comment included)."""
        ticket, compiled = self.ticket, self.compiled
        if ticket is None or compiled is None:
            return {}
        found = {}
        for name in dict.fromkeys(["comment", *compiled.spec.events]):
            spec = plan.event_spec(compiled.spec, name)
            if spec is not None and self._may_record(spec, ticket):
                found[name] = spec
        return found

    def _may_record(self, spec: EventSpec, ticket: Ticket) -> bool:
        try:
            plan.check_roles(spec.roles or plan.EVENT_ROLES, spec.posts or [ANY], ticket,
                              self.session.account, "recording")
        except Forbidden:
            return False
        return True

    def allowed_triggers(self) -> list[TransitionSpec]:
        """The triggers this account may fire now (guards are checked when firing)."""
        ticket = self.ticket
        if ticket is None or not ticket.is_open or not self.session.works_tickets:
            return []
        return self.attempt(lambda: self.desk.actions(ticket, self.session.account)) or []

    def show_actions(self) -> None:
        """List the actions in the actions pane."""
        options = []
        for t in self.allowed_triggers():
            options.append(Option(Content(f"▶ {t.title or t.trigger}  → {destination(t)}"),
                                  id=f"fire:{t.trigger}"))
            if t.approve is not None:
                options.append(Option(Content(f"✗ Reject: {t.title or t.trigger}  → "
                                              f"{t.approve.rejected}"), id=f"reject:{t.trigger}"))
        if self.check_action("claim", ()):
            options.append(Option("⇄ Claim", id="claim"))
        if self.check_action("assign", ()):
            options.append(Option("⇄ Assign…", id="assign"))
        options += [Option(Content(f"✎ {spec.title or name}"), id=f"event:{name}")
                    for name, spec in self.allowed_events().items()]
        options += self.link_options()
        pane = self.query_one("#ticket-actions", OptionList)
        pane.border_title = "Actions"
        pane.clear_options()
        pane.add_options(options or [Option("nothing you may do here now", disabled=True)])
        pane.highlighted = 0 if options else None

    @on(OptionList.OptionSelected, "#ticket-actions")
    def act(self, event: OptionList.OptionSelected) -> None:
        kind, _, name = (event.option.id or "").partition(":")
        if kind == "fire":
            self.start_fire(name)
        elif kind == "reject":
            self.start_reject(name)
        elif kind == "event":
            self.start_record(name)
        elif kind == "claim":
            self.action_claim()
        elif kind == "assign":
            self.action_assign()
        elif kind == "link":
            self.start_link()
        elif kind == "unlink":
            self.finish_link(None)

    # -- problems --------------------------------------------------------------------------

    def link_options(self) -> list[Option]:
        """Unlink from the ticket's problem, or link it to one of the open problems (for
        agents and supervisors; docs/problems.md)."""
        ticket = self.ticket
        if ticket is None or is_problem(ticket) or not self.session.works_tickets:
            return []
        link = self.attempt(lambda: Problems(self.desk).of(ticket.id))
        if link is not None:
            return [Option(f"⛓ Unlink from problem #{link.problem_id}", id="unlink")]
        if not self.open_problems():
            return []
        return [Option("⛓ Link to a problem…", id="link")]

    def open_problems(self) -> list[Ticket]:
        return self.attempt(lambda: Problems(self.desk).all(open_only=True)) or []

    def start_link(self) -> None:
        choices = [(str(p.id), f"#{p.id} {p.state} · {safe(p.data.get('summary'), 60)}")
                   for p in self.open_problems()]
        self.app.push_screen(ChoiceScreen(f"Link #{self.ticket_id} to the problem", choices),
                             lambda chosen: self.finish_link(chosen) if chosen else None)

    def finish_link(self, problem: str | None) -> None:
        """Link the ticket to a problem (its id), or unlink it (None); journaled on both."""
        problems, actor = Problems(self.desk), self.session.account
        if problem is None:
            done = self.attempt(lambda: problems.unlink(self.ticket_id, actor))
            what = "unlinked from"
        else:
            done = self.attempt(lambda: problems.link(self.ticket_id, int(problem), actor))
            what = "linked to"
        if done is not None:
            self.notify(f"#{self.ticket_id} {what} problem #{done.problem_id}", title="Problem")
        self.reload()

    # -- firing --------------------------------------------------------------------------

    def start_fire(self, trigger: str) -> None:
        """Open the trigger's form; its draft survives conflicts and refusals."""
        ticket, compiled = self.ticket, self.compiled
        if ticket is None or compiled is None:
            return
        transition = compiled.step_for(ticket.state, ticket.branches, trigger)
        if transition is None:
            self.notify(f"{trigger!r} is not possible in {ticket.state!r} any more",
                        title="Not possible now", severity="warning")
            return
        fields = self._form_fields(transition, ticket, compiled)
        draft = self.session.drafts.setdefault((ticket.id, trigger), {})
        version = ticket.version
        self.app.push_screen(
            FieldFormScreen(transition.title or trigger, fields, draft=draft,
                            explain=f"{ticket.state} → {destination(transition)}"),
            lambda result: self.finish_fire(trigger, version, result))

    def _form_fields(self, transition: TransitionSpec, ticket: Ticket,
                     compiled: CompiledProcess) -> list[FormField]:
        fields = compiled.spec.fields
        names = list(dict.fromkeys([*transition.requires, *transition.accepts]))
        return [self._form_field(name, fields[name], required=name in transition.requires
                                 and ticket.data.get(name) in (None, ""),
                                 current=as_text(ticket.data.get(name))) for name in names]

    def _form_field(self, name: str, spec: FieldSpec, *, required: bool,
                    current: str) -> FormField:
        """A field of the form; an article field offers the published articles."""
        if spec.type != "article":
            return FormField(name, spec, required=required, current=current)
        published = article_choices(self.desk.store)
        return FormField(name, FieldSpec(type="choice", title=spec.title,
                                         choices=[ident for ident, _ in published]),
                         required=required, current=current,
                         labels={ident: f"{ident}  {title}" for ident, title in published})

    def finish_fire(self, trigger: str, version: int, result: FormResult | None) -> None:
        """Fire with what the form gave, as of the version the form was opened on."""
        if result is not None:
            self._submit(lambda: self.desk.fire(
                self.ticket_id, trigger, self.session.account, data=result.values,
                note=result.note or None, expected_version=version),
                lambda: self.start_fire(trigger), trigger, f"#{self.ticket_id}: {trigger}", "Done")

    def _submit(self, act: Callable[[], object], again: Callable[[], None], draft: str,
                done: str, title: str) -> None:
        """Take a step from a form: on success the draft is dropped; on a refusal the form
        opens again with the agent's input (or the refusal is told)."""
        try:
            act()
        except RETRY as exc:
            self.refused_with_draft(exc, again)
            return
        except TicketflowError as exc:
            self.report(exc)
            self.reload()
            return
        self.session.drafts.pop((self.ticket_id, draft), None)
        self.notify(done, title=title)
        self.reload()

    def refused_with_draft(self, error: TicketflowError, again: object) -> None:
        """Say why, reload (on a conflict), and reopen the form with the agent's input."""
        if isinstance(error, Conflict):
            self.notify("Someone else changed this ticket first. It is reloaded; "
                        "your input is kept — check it and submit again.",
                        title=error.title, severity="warning", timeout=10)
        else:
            self.report(error)
        self.reload()
        if callable(again):
            self.call_after_refresh(again)

    def start_reject(self, trigger: str) -> None:
        """A vote against an approval: only a note, no fields."""
        draft = self.session.drafts.setdefault((self.ticket_id, "reject:" + trigger), {})
        self.app.push_screen(FieldFormScreen(f"Reject: {trigger}", [], draft=draft,
                                             explain="A vote against: say why in the note"),
                             lambda result: self.finish_reject(trigger, result))

    def finish_reject(self, trigger: str, result: FormResult | None) -> None:
        if result is not None:
            self._submit(lambda: self.desk.approve(
                self.ticket_id, self.session.account, reject=True, trigger=trigger,
                note=result.note or None), lambda: self.start_reject(trigger),
                "reject:" + trigger, f"#{self.ticket_id}: voted against {trigger}", "Rejected")

    # -- recording, claiming, assigning -------------------------------------------------

    def start_record(self, name: str) -> None:
        spec = self.allowed_events().get(name)
        if spec is None:
            self.notify(f"you may not record {name!r} here", title="Not allowed",
                        severity="warning")
            return
        draft = self.session.drafts.setdefault((self.ticket_id, "event:" + name), {})
        self.app.push_screen(FieldFormScreen(spec.title or name, [], note=spec.note, draft=draft),
                             lambda result: self.finish_record(name, result))

    def finish_record(self, name: str, result: FormResult | None) -> None:
        if result is not None:
            self._submit(lambda: self.desk.record(
                self.ticket_id, name, self.session.account, note=result.note or None),
                lambda: self.start_record(name), "event:" + name,
                f"#{self.ticket_id}: {name} recorded", "Recorded")

    def action_comment(self) -> None:
        self.start_record("comment")

    def action_record(self) -> None:
        events = self.allowed_events()
        choices = [(name, spec.title or name) for name, spec in events.items()]
        self.app.push_screen(ChoiceScreen("Record an event", choices),
                             lambda name: self.start_record(name) if name else None)

    def action_complaint(self) -> None:
        for name, spec in self.allowed_events().items():
            if "complaint" in spec.tags:
                self.start_record(name)
                return
        self.notify("this process records no complaints, or not by you",
                    title="Complaint", severity="warning")

    def action_claim(self) -> None:
        if self.attempt(lambda: self.desk.claim(self.ticket_id, self.session.account)):
            self.notify(f"#{self.ticket_id} is yours", title="Claimed")
        self.reload()

    def action_assign(self) -> None:
        ticket = self.ticket
        if ticket is None:
            return
        accounts = self.attempt(self.desk.store.list_accounts) or []
        now, group = self.session.now(), self.desk.group_of(ticket)
        choices = [(a.username, f"{a.username}  {a.display_name}") for a in accounts
                   if a.post == ticket.post and a.can_act(now)
                   and {"agent", "supervisor"} & set(a.roles)
                   and (None in (group, a.group) or a.group == group)]
        self.app.push_screen(ChoiceScreen(f"Assign #{ticket.id} to", [*choices,
                                                                       ("-", "nobody")]),
                             self.finish_assign)

    def finish_assign(self, username: str | None) -> None:
        if username is None:
            return
        target = None if username == "-" else username
        if self.attempt(lambda: self.desk.assign(self.ticket_id, target, self.session.account)):
            self.notify(f"#{self.ticket_id} → {username}", title="Assigned")
        self.reload()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Show the keys this account may use on this ticket."""
        ticket, session = self.ticket, self.session
        if action == "claim":
            return session.may_claim(ticket)
        if action == "assign":
            return session.may_assign(ticket)
        if action in ("comment", "record"):
            return bool(self.allowed_events())
        if action == "complaint":
            return any("complaint" in s.tags for s in self.allowed_events().values())
        if action == "replay":
            return session.has("auditor") or session.has("admin")
        return super().check_action(action, parameters)
