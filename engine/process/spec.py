"""The process language: one pydantic model per YAML mapping (immutable definitions).

A process file is validated in two passes: these models check the shape of every
mapping (unknown keys, wrong types), then :mod:`engine.process.validate` checks the meaning
(names that refer to nothing, unreachable states, unsafe expressions).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
"""A lower-case identifier: letters, digits and underscores, starting with a letter."""
Source = Annotated[str, StringConstraints(pattern=r"^(\*|[a-z][a-z0-9_]*)$", max_length=64)]
"""A source state's name, or ``"*"`` for every state that is not an end state."""

FieldType = Literal["text", "integer", "number", "boolean", "choice", "timestamp", "account",
                    "article"]
StateKind = Literal["start", "task", "waiting", "end"]
SYSTEM_ROLE = "system"
"""The role of the engine's own account, which fires timers; no person can hold it."""
ANY = "*"
ACTIONS = ("open_vendor_account", "close_vendor_account")
"""The only actions a process may name in ``do``; the desk implements each."""
REQUESTER_ROLE = "requester"
"""The role of a ticket's requester (the customer); reserved, like ``system``."""
REQUESTER_ANSWERS = ("confirm", "reopen")
"""The ``requester`` marks of the requester's own answers: solved, or not solved."""


class Model(BaseModel):
    """Base of the spec models: immutable, strict about unknown keys."""

    # The attribute docstrings document each field here; use_attribute_docstrings would
    # re-read this file's source for every model at import (a third of building them, paid
    # by every command) only to fill JSON-schema descriptions that nothing reads.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True,
                              strict=True)


class FieldSpec(Model):
    """One field of a ticket's data."""

    type: FieldType
    """The kind of value: text, integer, number, boolean, choice, timestamp, account or
    article (a knowledge-base article ``KB-<n>`` that must exist and be published when a
    step gives it)."""
    title: str | None = None
    """A human label; the field name is shown when absent."""
    required: bool = False
    """Whether the field must be given when the ticket is opened."""
    default: Any = None
    """The value a new ticket starts with when none is given."""
    choices: list[str | int] | None = None
    """For type choice: the allowed values."""
    min: float | None = None
    """For integer and number: the smallest allowed value."""
    max: float | None = None
    """For integer and number: the largest allowed value."""
    max_length: int | None = Field(default=None, gt=0)
    """For text: the longest allowed value, in characters (default 10,000)."""
    long: bool | None = None
    """For text: several lines (a description, a reason); forms edit it in a text area."""
    pattern: str | None = None
    """For text and account: a regular expression the whole value must match."""


class LimitTable(Model):
    """A time limit that depends on a field, such as the fault level."""

    by: Name
    """The field whose value selects the limit."""
    values: dict[str, str]
    """Field value → ISO 8601 duration."""
    default: str | None = None
    """The duration used when the field's value is not in the table (none: no limit)."""
    groups: dict[str, dict[str, str]] = {}
    """Group → its own table (field value → duration), for the groups whose limits differ;
    the group is the ticket's group at the post (``groups:`` at the top of the file)."""


Limit = str | LimitTable
"""An ISO 8601 duration (``PT30M``) or a table keyed by a field."""


class GroupsSpec(Model):
    """How a post is divided into groups: the field whose value names the ticket's group."""

    by: Name
    """The field (text or choice) whose value is the group holding a ticket at the post."""
    names: list[str] | None = None
    """The post's groups, when they are a fixed list (none: any value, e.g. vendors by
    company)."""


class ItemLinkSpec(Model):
    """How a ticket links to a configuration item, and what the item fills in."""

    field: Name
    """The text field that holds the item's name."""
    fills: dict[Name, Literal["owner_group", "vendor", "kind", "criticality"]] = {}
    """Field → the item's attribute it takes when the ticket opens without a value."""


class StateSpec(Model):
    """One state a ticket can be in."""

    kind: StateKind = "task"
    """start (where tickets open), task (a post must act), waiting (pending) or end."""
    title: str | None = None
    """A human label for the state."""
    description: str | None = None
    """What happens in this state."""
    post: Name | None = None
    """The post responsible for tickets in this state."""
    limit: Limit | None = None
    """How long the post may take here: an ISO 8601 duration or a table keyed by a field."""
    sla: Literal["run", "pause"] | None = None
    """Whether the SLA clock runs or pauses here (default: pause in waiting, run elsewhere)."""
    fork: dict[Name, BranchSpec] | None = None
    """Parallel branches entered together when a ticket enters this state (a fork)."""
    join: str | None = None
    """For a fork: a condition that joins the branches before all of them are done."""
    then: Name | None = None
    """For a fork: the state the ticket goes to when its branches join."""

    @property
    def sla_runs(self) -> bool:
        """Whether the SLA clock counts time spent in this state."""
        return self.sla == "run" if self.sla else self.kind not in ("waiting", "end")


class BranchSpec(Model):
    """One parallel branch of a fork: its own states, post and SLA clock."""

    title: str | None = None
    """A human label for the branch."""
    post: Name | None = None
    """The post working on the branch (its states' post unless they name one)."""
    limit: Limit | None = None
    """The branch's SLA clock: how long it may take from the fork to its end."""
    states: dict[Name, StateSpec]
    """The branch's states: it starts in the first; an end state finishes it."""


StateSpec.model_rebuild()


class Branch(Model):
    """One way out of an exclusive gateway: the first branch whose condition holds wins."""

    when: str | None = None
    """The condition; a branch without one is the default and must come last."""
    to: Name
    """The destination state."""


class ChildStart(Model):
    """A child process (call activity) that a transition starts."""

    process: Name
    """The name of the process the child ticket runs."""
    data: dict[str, Any] = {}
    """The child's fields: literal values, or expressions written ``= expr``."""
    on_end: Name | None = None
    """A trigger fired on this ticket when the child reaches an end state."""


Quorum = int | str
"""How many votes settle an approval: a number, ``all``, a percentage ``"50%"`` of the
accounts holding the approving role, or an expression ``"= expr"`` giving a number."""


class ApprovalSpec(Model):
    """A transition taken when enough distinct accounts approve it (a quorum)."""

    by: Name
    """The role whose holders vote; each account votes once per round."""
    quorum: Quorum = 1
    """Approvals that take the transition."""
    reject_on: Quorum = 1
    """Rejections that end the round at ``rejected``."""
    rejected: Name
    """The state the round leads to when rejected."""


class TransitionSpec(Model):
    """A trigger that moves a ticket from one or more states to a destination."""

    trigger: Name
    """The name agents and timers fire."""
    source: Source | list[Source] = Field(alias="from")
    """The state or states it may be fired from; ``"*"`` for every non-end state."""
    to: Name | None = None
    """The destination state (omit when ``choose`` routes instead)."""
    choose: list[Branch] | None = None
    """An exclusive gateway: ordered conditional destinations ending with a default."""
    title: str | None = None
    """A human label for the action."""
    roles: list[Name] | None = None
    """Roles allowed to fire it (default: agent)."""
    posts: list[str] | None = None
    """Posts allowed to fire it (default: the ticket's current post; ``"*"``: any post)."""
    when: str | None = None
    """A guard condition that must hold on the ticket's data."""
    requires: list[Name] = []
    """Fields that must have a value once the actor's input is applied."""
    accepts: list[Name] = []
    """Further fields the actor may supply."""
    set: dict[str, Any] = {}
    """Fields this transition sets: literal values, or expressions written ``= expr``."""
    assign: str | None = None
    """Who holds the ticket afterwards: ``actor``, ``nobody``, or ``= expr`` naming an account."""
    start: ChildStart | None = None
    """A child ticket this transition opens."""
    do: list[Name] = []
    """Built-in actions to run with the step (see ``ACTIONS``), e.g. open_vendor_account."""
    tags: list[Name] = []
    """What the step means for the assessment: return, reopen, resolve, reply, confirm, ..."""
    approve: ApprovalSpec | None = None
    """An approval by several people: each firing is one account's vote; the transition
    is taken when the quorum approves (or leads to ``rejected`` when enough reject)."""
    requester: Literal["reply", "confirm", "reopen"] | None = None
    """A requester-facing step: ``reply`` mails the step's note to the ticket's requester;
    ``confirm`` and ``reopen`` are the requester's own answers (solved, not solved), which
    the ticket's requester may fire besides the roles."""

    @property
    def sources(self) -> list[str]:
        """The source states as a list."""
        return [self.source] if isinstance(self.source, str) else list(self.source)


class TimerSpec(Model):
    """Fires a trigger when a ticket has stayed in a state for a while."""

    state: Name
    """The state that arms the timer; leaving it cancels the timer."""
    after: Limit | None = None
    """How long after entering the state: a duration or a table keyed by a field."""
    at: Name | None = None
    """Alternatively, a timestamp field whose value is the due time."""
    fire: Name
    """The trigger to fire (as the system account)."""


class EventSpec(Model):
    """Something journaled that changes no state: a comment, a reply, a complaint."""

    title: str | None = None
    """A human label."""
    roles: list[Name] | None = None
    """Roles allowed to record it (default: agent and supervisor)."""
    posts: list[str] | None = None
    """Posts allowed to record it (default: any)."""
    note: Literal["required", "optional"] = "optional"
    """Whether a free-text note must accompany it."""
    set: dict[str, Any] = {}
    """Fields it sets, like a transition's ``set``."""
    tags: list[Name] = []
    """What it means for the assessment: complaint, escalated_complaint, reply, ..."""


class DecisionSpec(Model):
    """A decision table: typed inputs, one typed output, rules matched by a hit policy."""

    title: str | None = None
    """A human label."""
    hit: Literal["first", "unique"] = "unique"
    """``first``: the first matching rule wins; ``unique``: rules may not overlap."""
    inputs: dict[Name, FieldSpec]
    """The inputs, in the order a call gives them, each typed like a field."""
    output: FieldSpec
    """The type of the result, like a field's."""
    rules: list[list[Any]]
    """Each rule: one cell per input (a value, a list of values, ``"a..b"``, or ``"-"``
    for any), then the output value."""
    default: Any = None
    """The result when no rule matches (none: the evaluation fails, refusing the step)."""


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class HolidaySource(Model):
    """Public holidays taken from the ``holidays`` package."""

    country: str
    """An ISO 3166 country code such as CN, TW or HK."""
    subdivision: str | None = None
    """A province, state or region code the country's holidays know (optional)."""


class CalendarSpec(Model):
    """Business hours: limits and timer delays count working time on it."""

    timezone: str
    """An IANA time zone such as Asia/Shanghai; working hours are local to it."""
    hours: dict[Weekday, list[str] | list[list[str]]]
    """Weekday → ``["09:00", "18:00"]`` or several such pairs; days not listed are off."""
    holidays: HolidaySource | None = None
    """Public holidays (and make-up working days) of a country."""
    dates: list[str] = []
    """Further days off, as YYYY-MM-DD."""
    working_dates: list[str] = []
    """Days worked although off by the rules above (a weekend takes Monday's hours)."""


class BreachSpec(Model):
    """What missing a tier's limit does, besides journaling the breach."""

    hand_to: Name | None = None
    """The state the ticket moves to (the next tier), by the ladder's trigger."""
    notify: list[Name] = []
    """Posts that get a notification in their outbox."""
    raise_: Name | None = Field(default=None, alias="raise")
    """An integer or choice field raised one step (a priority, an escalation count)."""


class TierSpec(Model):
    """One tier of the escalation ladder: a state, or every state of a post."""

    state: Name | None = None
    """The state that is the tier (its ``limit`` applies unless the tier gives one)."""
    post: Name | None = None
    """Alternatively a post: the tier is every state of it, timed as one stint."""
    limit: Limit | None = None
    """The tier's time limit: a duration or a table keyed by a field such as ``level``."""
    breach: BreachSpec = BreachSpec()
    """What happens when the limit is missed."""


class EscalationSpec(Model):
    """The declarative escalation ladder (四級故障): tiers, limits and hand-offs."""

    trigger: Name = "escalate"
    """The trigger of the hand-offs the ladder adds (journaled like any other)."""
    tiers: list[TierSpec]
    """The tiers, first to last."""


class ProcessSpec(Model):
    """A whole process: the top level of a process file."""

    process: Name
    """The process name tickets refer to."""
    title: str
    """A human title."""
    description: str | None = None
    """What the process is for."""
    roles: list[Name]
    """Every role the process mentions."""
    posts: list[Name]
    """Every post (lane) the process mentions."""
    groups: dict[Name, GroupsSpec] = {}
    """Post → how it is divided into groups (handling groups, vendors by company)."""
    item: ItemLinkSpec | None = None
    """The field linking a ticket to a configuration item, and what the item fills in."""
    fields: dict[Name, FieldSpec] = {}
    """The ticket's data fields."""
    states: dict[Name, StateSpec]
    """The states, by name."""
    transitions: list[TransitionSpec]
    """The ways from state to state."""
    timers: list[TimerSpec] = []
    """Triggers fired when tickets wait too long."""
    events: dict[Name, EventSpec] = {}
    """Journaled events that change no state."""
    calendar: CalendarSpec | None = None
    """Business hours and holidays (none: limits run around the clock)."""
    sla_warning: float = Field(default=0.75, gt=0, lt=1)
    """The share of a limit after which a pre-breach warning is journaled."""
    escalation: EscalationSpec | None = None
    """The escalation ladder: what missing each tier's limit does."""
    decisions: dict[Name, DecisionSpec] = {}
    """Decision tables, called in expressions by name with their inputs."""

    def start_state(self) -> str:
        """The state new tickets open in."""
        return next(name for name, state in self.states.items() if state.kind == "start")
