"""Every change to an SLA clock: start, pause, resume, stop, recompute, warn, breach.

Called from ``capdesk.tickets.actions`` inside its transactions (one call per ticket
action), and from the scheduler's sweep. Deadlines are recomputed from a clock's
spans with the pure maths in ``timeline``, then copied to ``Ticket.next_deadline``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from capdesk.directory.models import Organization
from capdesk.policy.types import Outcome
from capdesk.sla import alerts
from capdesk.sla.models import Clock
from capdesk.sla.policies import Metric, SlaConfig, SlaPolicy, Target, capgo_sla
from capdesk.sla.timeline import instant_reached, running_spans
from capdesk.tickets.models import OPEN_STATUSES, Event, Message, Status, Ticket

logger = logging.getLogger(__name__)

OPEN = (Clock.State.RUNNING, Clock.State.PAUSED)
RESPONSES = (Metric.FIRST_RESPONSE, Metric.NEXT_RESPONSE)
CLOSING = (Status.SOLVED, Status.CLOSED)


def sla_config() -> SlaConfig:
    return capgo_sla()


# --- the hooks tickets.actions calls ---------------------------------------------------


def on_ticket_opened(ticket: Ticket, *, received_at: datetime | None = None) -> None:
    """The first-response clock starts when the request was received, not when it was processed.

    ``received_at`` is the channel's receipt of the first message when the caller has it
    at hand; otherwise it is read from that message's stored request.
    """
    if ticket.organization_id is None:
        _remember_open_clocks(ticket, [])
        return  # no organization, no SLA target: no clock, no deadline
    # A new ticket has no other clock, so the one started here is all the deadline depends on.
    started = _start(ticket, Metric.FIRST_RESPONSE, received_at or _received_at(ticket))
    _refresh_ticket(ticket, [started] if started else [])
    _remember_open_clocks(ticket, [started] if started else [])


def on_status_changed(ticket: Ticket, previous: str) -> None:
    """Pause while the ticket waits (configurable statuses); end the clocks when it is solved or closed."""
    clocks = list(_open_clocks(ticket))
    _follow_status(ticket, clocks)
    _refresh_ticket(ticket, clocks)


def pauses(status: str) -> bool:
    """Whether the clocks stand still while a ticket has ``status`` (the policy's pause_statuses)."""
    return status in sla_config().pause_statuses


def _follow_status(ticket: Ticket, clocks: list[Clock]) -> None:
    """The status part of ``on_status_changed`` on clocks already read (and saved) by the caller."""
    now = timezone.now()
    pausing = sla_config().pause_statuses
    for clock in clocks:
        if ticket.status in pausing and clock.paused_since is None:
            clock.paused_since = now
        elif ticket.status not in pausing and clock.paused_since is not None:
            _close_pause(clock, now)
        _schedule(clock, now)
        if ticket.status in CLOSING:
            _record_breach_if_due(clock, now)
            _finish(clock, Clock.State.CANCELLED, now)
        clock.save()


def on_agent_reply(ticket: Ticket, message: Message) -> None:
    """A public agent reply stops the response clocks; an internal note or a message from the desk does not."""
    if not message.public or message.author_kind != Message.Author.AGENT:
        return
    at = message.created_at
    clocks = list(_open_clocks(ticket))
    for clock in (c for c in clocks if c.metric in RESPONSES):
        if clock.paused_since is not None:
            _close_pause(clock, at)
        _schedule(clock, at)
        _record_breach_if_due(clock, at)
        _finish(clock, Clock.State.STOPPED, at)
        clock.responder = message.author_user
        clock.save()
        Event.objects.create(
            ticket=ticket,
            kind="sla.met" if clock.met else "sla.missed",
            actor_user=message.author_user,
            data={"metric": clock.metric, "due_at": _iso(clock.due_at), "replied_at": _iso(at)},
        )
    _refresh_ticket(ticket, clocks)


def on_customer_reply(ticket: Ticket, message: Message, *, previous_status: str) -> None:
    """The customer wrote: resume paused clocks, and time the next response if none is being timed."""
    # One read of the open clocks serves the status change, the check and the deadline.
    clocks = list(_open_clocks(ticket))
    if ticket.status != previous_status:
        _follow_status(ticket, clocks)
    timed = any(c.metric in RESPONSES for c in clocks if c.state in OPEN)
    if ticket.status in OPEN_STATUSES and not timed:
        started = _start(ticket, Metric.NEXT_RESPONSE, message.created_at)
        clocks += [started] if started else []
    _refresh_ticket(ticket, clocks)


def on_severity_changed(ticket: Ticket) -> None:
    recompute_clocks(ticket)


def on_decision_applied(ticket: Ticket, *, previous_status: str, was_untimed: bool = False) -> None:
    """A policy decision (or an agent's override) set severity and status in one go: follow both.

    ``was_untimed``: the ticket was, until this decision, one the SLA does not time (a
    Premium Support lead); its cancelled clocks timed nothing, so its first response is
    timed now, from the request's arrival, if nobody has answered it yet.
    """
    # One read of the open clocks and one deadline for both steps, as if run one after the other
    # (the ticket actions that call this hold the transaction).
    clocks = _recompute(ticket, was_untimed=was_untimed)
    if ticket.status != previous_status:
        _follow_status(ticket, clocks)
    _refresh_ticket(ticket, clocks)


# The organization's fields an SLA target depends on (policy choice and business-hours zone).
ORGANIZATION_FIELDS = frozenset(
    {"plan", "subscription_status", "priority_plus", "premium_support", "timezone"}
)


def on_organization_changed(organization: Organization, changed: Iterable[str]) -> int:
    """For directory sync: recompute clocks only if a field the targets depend on changed. Returns how many tickets."""
    return on_plan_changed(organization) if ORGANIZATION_FIELDS.intersection(changed) else 0


def on_plan_changed(organization: Organization) -> int:
    """The organization's plan or add-ons changed: recompute its open tickets' clocks. Returns how many tickets."""
    tickets = list(Ticket.objects.filter(organization=organization, status__in=OPEN_STATUSES))
    for ticket in tickets:
        ticket.organization = organization
        recompute_clocks(ticket)
    return len(tickets)


@transaction.atomic
def recompute_clocks(ticket: Ticket) -> None:
    """Re-derive every open clock's target from the ticket's severity and organization as they are now."""
    _refresh_ticket(ticket, _recompute(ticket))


def _recompute(ticket: Ticket, *, was_untimed: bool = False) -> list[Clock]:
    """``recompute_clocks`` without the deadline copy; returns the clocks still open afterwards."""
    now = timezone.now()
    clocks = list(_open_clocks(ticket))
    for clock in clocks:
        target = _target(ticket, Metric(clock.metric))
        if target is None:
            _finish(clock, Clock.State.CANCELLED, now)
        else:
            _apply_target(clock, target, _zone(ticket))
            _schedule(clock, now)
        clock.save()
    # Asked only when it matters: a ticket with open clocks never needs these two reads.
    if (
        not clocks
        and ticket.organization_id is not None  # else there is no target to start a clock for
        and ticket.is_open
        and not Message.objects.filter(ticket=ticket, author_kind=Message.Author.AGENT, public=True).exists()
        and not _ever_timed(ticket, was_untimed=was_untimed)
    ):
        started = _start(
            ticket, Metric.FIRST_RESPONSE, _received_at(ticket)
        )  # the organization gained a policy
        clocks = [started] if started else []
    return [clock for clock in clocks if clock.state in OPEN]


def _ever_timed(ticket: Ticket, *, was_untimed: bool) -> bool:
    """Whether a clock ever timed ``ticket``. One cancelled by a solve did: a reopened ticket
    is not timed again from its arrival. A former lead's cancelled clocks timed nothing."""
    clocks = Clock.objects.filter(ticket=ticket)
    if was_untimed:
        clocks = clocks.exclude(state=Clock.State.CANCELLED)
    return clocks.exists()


# --- the sweep -----------------------------------------------------------------------


def sweep_alerts(*, limit: int = 100) -> int:
    """Warn about clocks nearing their target, record the ones past it; one batch, by index.

    A breach is recorded at the instant the target was missed, however late the sweep
    runs, so a worker that was down catches up without rewriting history. Returns how
    many clocks it handled; run it until it returns 0 to catch up completely.
    """
    now = timezone.now()
    with transaction.atomic():
        due = list(
            Clock.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(next_alert_at__lte=now)
            .select_related("ticket", "ticket__assignee", "ticket__queue")
            .order_by("next_alert_at", "id")[:limit]
        )
        for clock in due:
            if clock.warned_at is None and clock.warn_at is not None and clock.warn_at <= now:
                clock.warned_at = now
                if clock.due_at is None or clock.due_at > now:  # past due already: the breach says it all
                    alerts.send(clock, alerts.WARNING)
                    _event(clock, "sla.warning", at=clock.warn_at)
            if _record_breach_if_due(clock, now):
                alerts.send(clock, alerts.BREACH)
            clock.next_alert_at = _next_alert(clock)
            clock.save()
    return len(due)


# --- internals -----------------------------------------------------------------------


# A ticket opened in this transaction carries the clocks on_ticket_opened started (maybe
# none): they are all its open clocks, so the decision applied right after (intake, the
# portal) needs no read of them. Kept on the instance with the transaction's identity
# (the connection's on-commit list, replaced on every commit, rollback and savepoint
# rollback) and taken by the first read, so it never outlives what it describes.
_STARTED = "_sla_started_clocks"


def _remember_open_clocks(ticket: Ticket, clocks: list[Clock]) -> None:
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        setattr(ticket, _STARTED, (connection.run_on_commit, clocks))


def _open_clocks(ticket: Ticket) -> list[Clock]:
    known = ticket.__dict__.pop(_STARTED, None)
    if known is not None and known[0] is transaction.get_connection().run_on_commit:
        return [clock for clock in known[1] if clock.state in OPEN]
    return list(Clock.objects.filter(ticket=ticket, state__in=OPEN))


def _received_at(ticket: Ticket) -> datetime:
    """When the first message arrived at the desk (the channel's receipt), else when the ticket was made."""
    first = (
        Message.objects.filter(ticket=ticket, source__isnull=False)
        .order_by("created_at", "id")
        .values_list("source__received_at", flat=True)
        .first()
    )
    return first or ticket.created_at


def _target(ticket: Ticket, metric: Metric) -> Target | None:
    org = ticket.organization
    if org is None:
        return None
    # L1: the SLA is support response times. A Premium Support lead is an enquiry for the
    # sales contact (R1), not a support request: no clock of it is contractual, or a goal.
    # Its clock started on arrival, before the decision, ends (cancelled) when it is decided.
    if ticket.outcome == Outcome.PREMIUM_LEAD:
        return None
    policy = organization_policy(org)
    return policy.targets.get((metric, ticket.severity)) if policy else None


def organization_policy(org: Organization) -> SlaPolicy | None:
    """The first policy whose "when" matches the organization: a plan while paid, an add-on while active."""
    addons = frozenset(
        name
        for name, on in (("priority_plus", org.priority_plus), ("premium_support", org.premium_support))
        if on
    )
    return sla_config().policy_for(plan=org.plan, paid=org.has_paid_subscription, addons=addons)


def new_clock(target: Target, *, zone: str, started_at: datetime, paused: bool = False) -> Clock:
    """A clock timing ``target`` from ``started_at``, scheduled but not saved.

    Every clock the desk starts is made here; the console's deadline calculator asks it
    too, so the deadline it shows is the one a ticket would get.
    """
    clock = Clock(metric=target.metric, started_at=started_at, paused_since=started_at if paused else None)
    _apply_target(clock, target, zone)
    _schedule(clock, timezone.now())
    return clock


def _start(ticket: Ticket, metric: Metric, at: datetime) -> Clock | None:
    target = _target(ticket, metric)
    if target is None:
        return None
    paused = ticket.status in sla_config().pause_statuses
    clock = new_clock(target, zone=_zone(ticket), started_at=at, paused=paused)
    clock.ticket = ticket
    clock.save()
    return clock


def _zone(ticket: Ticket) -> str:
    """The zone business hours are counted in: the customer's (Organization.timezone)."""
    return ticket.organization.timezone if ticket.organization else "UTC"


def _apply_target(clock: Clock, target: Target, zone: str) -> None:
    clock.policy = target.policy
    clock.tier = target.tier
    clock.severity = target.severity
    clock.target_seconds = int(target.duration.total_seconds())
    clock.target_text = target.text
    clock.business_hours = target.business_hours
    clock.timezone = zone


def _schedule(clock: Clock, now: datetime) -> None:
    """Deadline and warning instant from the clock's spans; alerts that moved into the future are re-armed."""
    config = sla_config()
    calendar = config.calendar_for(business_hours=clock.business_hours, timezone=clock.timezone)
    spans = running_spans(clock.started_at, clock.closed_pauses(), clock.paused_since)
    target = timedelta(seconds=clock.target_seconds)
    clock.due_at = instant_reached(calendar, spans, target)
    clock.warn_at = instant_reached(calendar, spans, target * config.warn_at)
    if clock.state in OPEN:
        clock.state = Clock.State.PAUSED if clock.paused_since is not None else Clock.State.RUNNING
    # A longer target (severity lowered) can move a recorded warning or breach into the future.
    if clock.breached_at is not None and (clock.due_at is None or clock.due_at > now):
        clock.breached_at = None
    if clock.warned_at is not None and (clock.warn_at is None or clock.warn_at > now):
        clock.warned_at = None
    clock.next_alert_at = _next_alert(clock)


def _next_alert(clock: Clock) -> datetime | None:
    if clock.state not in OPEN:
        return None
    pending = [
        instant
        for instant, done in ((clock.warn_at, clock.warned_at), (clock.due_at, clock.breached_at))
        if instant is not None and done is None
    ]
    return min(pending, default=None)


def _close_pause(clock: Clock, at: datetime) -> None:
    assert clock.paused_since is not None
    clock.pauses = [*clock.pauses, [_iso(clock.paused_since), _iso(at)]]
    clock.paused_since = None


def _finish(clock: Clock, state: str, at: datetime) -> None:
    clock.state = state
    clock.stopped_at = at
    clock.paused_since = None
    clock.next_alert_at = None


def _record_breach_if_due(clock: Clock, now: datetime) -> bool:
    """Record a missed target, dated when it was missed. Returns whether this call recorded it."""
    if clock.breached_at is not None or clock.due_at is None or clock.due_at > now:
        return False
    clock.breached_at = clock.due_at
    _event(clock, "sla.breached", at=clock.due_at)
    logger.info(
        "sla.breached", extra={"ticket": clock.ticket_id, "metric": clock.metric, "policy": clock.policy}
    )
    return True


def _event(clock: Clock, kind: str, *, at: datetime | None) -> None:
    Event.objects.create(
        ticket_id=clock.ticket_id,
        kind=kind,
        data={"metric": clock.metric, "policy": clock.policy, "tier": clock.tier, "at": _iso(at)},
    )


def _refresh_ticket(ticket: Ticket, clocks: Iterable[Clock]) -> None:
    """Copy the earliest open deadline to the ticket's indexed column (queues sort on it).

    ``clocks`` are all the ticket's clocks that were open, as the caller left them: every
    caller has just read (or started) them, so the deadline needs no query of its own.
    """
    deadline = min((c.due_at for c in clocks if c.state in OPEN and c.due_at is not None), default=None)
    if ticket.next_deadline != deadline:
        ticket.next_deadline = deadline
        # An update, not save(): the ticket action around us saves only its own fields.
        Ticket.objects.filter(pk=ticket.pk).update(next_deadline=deadline)


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None
