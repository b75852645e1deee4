"""Planning what a due SLA timer does, as one change: the warning or breach journaled, its
notifications for the outbox, a raised field, and the ladder's hand-off to the next tier.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from engine.core.errors import GuardFailed, InvalidTrigger, MissingField
from engine.core.model import Account, Change, Ticket, Timer
from engine.desk import plan
from engine.process.compiler import CompiledProcess
from engine.time import sla

ALARM_KIND = "sla"
"""The journal event kind of SLA warnings and breaches (their trigger says which)."""


def plan_alarm(compiled: CompiledProcess, ticket: Ticket, timer: Timer, actor: Account,
               now: datetime) -> Change:
    """The change a due ``sla_warning``/``sla_breach`` timer makes; InvalidTrigger if stale."""
    alarm = sla.clocks_for(compiled.process).alarm(ticket, timer, now)
    if alarm is None:
        raise InvalidTrigger(f"the SLA clock {timer.trigger!r} is not running",
                             ticket=ticket.id, state=ticket.state)
    flagged = plan.replace_fields(ticket, sla=alarm.sla, data=alarm.data)
    event = plan.new_event(flagged, at=now, actor=actor.username, kind=ALARM_KIND,
                            trigger=alarm.kind, source=ticket.state, details=alarm.details,
                            changes=plan.changes_between(ticket.data, alarm.data))
    change = Change(ticket=plan.advanced(flagged, event, now), events=[event],
                    expected_version=ticket.version, fired_timer=timer.id,
                    notifications=alarm.notifications)
    if alarm.hand_off is None:
        return change
    return hand_off(compiled, change, alarm.hand_off, timer, actor, now)


def hand_off(compiled: CompiledProcess, change: Change, trigger: str, timer: Timer,
             actor: Account, now: datetime) -> Change:
    """The breach's change followed by the ladder's hand-off, committed as one change."""
    try:
        step = plan.plan_fire(compiled, change.ticket, trigger, actor, {}, None, now, timer)
    except (InvalidTrigger, GuardFailed, MissingField):
        return change  # the breach stays journaled; the ticket stays where it is
    return replace(step.change, expected_version=change.expected_version,
                   events=[*change.events, *step.change.events],
                   notifications=change.notifications)
