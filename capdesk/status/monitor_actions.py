"""What a monitor's result changes: its counters, and past the threshold, an incident.

N consecutive failed runs open an automatic incident on the component (or join one a
person already opened); the first passing run afterwards moves it to ``monitoring`` and
puts the component back to operational, but never resolves it: a person confirms
(Statuspage's advice, and a flapping service should not close and reopen incidents).
Once every monitor on the incident has stayed up for ``CAPDESK_STATUS_RESOLVE_AFTER``
minutes, admins are asked to resolve it (an email and a notice in the console with a
one-click "Resolve"); a failure before they answer withdraws the question.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission, User
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from capdesk.core.translations import Translations, merged
from capdesk.notify.actions import queue_email, render_email
from capdesk.status import actions, incident_templates
from capdesk.status.models import (
    UNRESOLVED_INCIDENT,
    Component,
    ComponentStatus,
    Incident,
    IncidentStatus,
    IncidentUpdate,
    Monitor,
    MonitorResult,
    ResolutionProposal,
)
from capdesk.status.probes import Outcome

RESULTS_KEPT_DAYS = 30
# Stored in English, with their .po translations beside them (stock texts, as actions' are);
# the component is named as each language's readers know it.
RECOVERED_BODY = gettext_noop(
    "Our automatic checks pass again and the service looks healthy. We are monitoring; "
    "the incident will be resolved once we have confirmed it."
)
FAILING_NAME = gettext_noop("%(component)s is not responding")
FAILING_BODY = gettext_noop(
    "Our automatic checks of %(component)s are failing (%(error)s). We are investigating."
)
FAILING_AGAIN_BODY = gettext_noop("Our automatic checks of %(component)s are failing again (%(error)s).")


def _failing(component: Component, outcome: Outcome) -> Callable[[str], dict[str, str]]:
    """What a failure text says, for a reader in a language ("" is the original's)."""
    return lambda language: {"component": component.text_in("name", language), "error": outcome.error}


def _open_incident_of(monitor: Monitor) -> Incident | None:
    incident = monitor.incident
    if incident is not None and incident.status in UNRESOLVED_INCIDENT:
        return incident
    return None


def _fail(monitor: Monitor, outcome: Outcome, at: datetime) -> None:
    if monitor.consecutive_failures < monitor.failure_threshold:
        return
    component = monitor.component
    incident = _open_incident_of(monitor)
    if incident is None:
        # A person may already be on it: join their incident rather than open a second one.
        incident = component.incidents.filter(
            kind=Incident.Kind.INCIDENT, status__in=UNRESOLVED_INCIDENT
        ).first()
        if incident is None:
            values = _failing(component, outcome)
            incident = actions.open_incident(
                name=FAILING_NAME % values(""),
                body=FAILING_BODY % values(""),
                impact="major" if monitor.failure_status != ComponentStatus.DEGRADED_PERFORMANCE else "minor",
                components={component: monitor.failure_status},
                automatic=True,
                at=at,
                translations=merged(
                    actions.stock_translations(FAILING_NAME, "name", values),
                    actions.stock_translations(FAILING_BODY, "body", values),
                ),
            )
        monitor.incident = incident
        return
    if incident.status == IncidentStatus.MONITORING:
        # It failed again while we watched: back to investigating, component down again.
        values = _failing(component, outcome)
        actions.post_incident_update(
            incident,
            status=IncidentStatus.INVESTIGATING,
            body=FAILING_AGAIN_BODY % values(""),
            components={component: monitor.failure_status},
            at=at,
            translations=actions.stock_translations(FAILING_AGAIN_BODY, "body", values),
        )


def _recover(monitor: Monitor, at: datetime) -> None:
    incident = _open_incident_of(monitor)
    if incident is None or incident.status == IncidentStatus.MONITORING:
        return
    component = monitor.component
    back = {component: ComponentStatus.OPERATIONAL} if component.status != ComponentStatus.OPERATIONAL else {}
    actions.post_incident_update(
        incident, status=IncidentStatus.MONITORING, body=RECOVERED_BODY, components=back, at=at, stock=True
    )


@transaction.atomic
def record_result(monitor: Monitor, outcome: Outcome, *, at: datetime | None = None) -> MonitorResult:
    """Store one run's outcome and move the monitor's incident accordingly."""
    moment = at or timezone.now()
    locked = (
        Monitor.objects.select_for_update(of=("self",))
        .select_related("component", "incident")
        .get(pk=monitor.pk)
    )
    result = MonitorResult.objects.create(
        monitor=locked, at=moment, ok=outcome.ok, latency_ms=outcome.latency_ms, error=outcome.error[:500]
    )
    locked.last_checked_at = moment
    locked.last_ok = outcome.ok
    locked.last_error = outcome.error[:500]
    if outcome.ok:
        locked.consecutive_failures = 0
        _recover(locked, moment)
    else:
        locked.consecutive_failures += 1
        if locked.incident is not None:
            # Down again, even once: the quiet period is broken and the question is stale.
            withdraw_proposals(locked.incident, reason=f"{locked.name} failed again", at=moment)
        _fail(locked, outcome, moment)
    if locked.incident is not None and locked.incident.status not in UNRESOLVED_INCIDENT:
        withdraw_proposals(locked.incident, reason="resolved without the proposal", at=moment)
        locked.incident = None  # a person resolved it: the next outage is a new incident
    locked.save()
    if outcome.ok and locked.incident is not None:
        propose_resolution_if_quiet(locked.incident, at=moment)
    return result


# Proposing resolution ----------------------------------------------------------------


def up_since(monitor: Monitor) -> datetime | None:
    """The first passing run after the monitor's last failure; None while it is failing."""
    runs = MonitorResult.objects.filter(monitor=monitor)
    last_failure = runs.filter(ok=False).order_by("-at").values_list("at", flat=True).first()
    passing = runs.filter(ok=True)
    if last_failure is not None:
        passing = passing.filter(at__gt=last_failure)
    return passing.order_by("at").values_list("at", flat=True).first()


def quiet_period() -> timedelta:
    return timedelta(minutes=settings.CAPDESK_STATUS_RESOLVE_AFTER)


def incident_admins() -> list[User]:
    """Staff who may resolve incidents (the permission the admin and the console ask for)."""
    permission = Permission.objects.filter(
        content_type__app_label="status", codename="change_incident"
    ).first()
    rights = Q(is_superuser=True)
    if permission is not None:
        rights |= Q(user_permissions=permission) | Q(groups__permissions=permission)
    users = get_user_model().objects.filter(rights, is_active=True, is_staff=True).exclude(email="")
    return [u for u in users.distinct().order_by("pk") if isinstance(u, User)]


@transaction.atomic
def propose_resolution_if_quiet(
    incident: Incident, *, at: datetime | None = None
) -> ResolutionProposal | None:
    """Ask admins to resolve a monitoring incident whose monitors have all been up long enough."""
    moment = at or timezone.now()
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if incident.status != IncidentStatus.MONITORING:
        return None
    if incident.resolution_proposals.filter(state=ResolutionProposal.State.PENDING).exists():
        return None
    monitors = list(Monitor.objects.filter(incident=incident, enabled=True))  # a paused one has no say
    if not monitors:
        return None
    starts = [up_since(m) for m in monitors]
    if any(s is None for s in starts):
        return None
    since = max(s for s in starts if s is not None)
    if moment - since < quiet_period():
        return None
    try:
        with transaction.atomic():
            proposal = ResolutionProposal.objects.create(
                incident=incident,
                body=incident_templates.resolved_body(incident),
                up_since=since,
                created_at=moment,
            )
    except IntegrityError:
        return None  # another monitor's run asked at the same moment
    _email_admins(proposal)
    return proposal


def _email_admins(proposal: ResolutionProposal) -> None:
    incident = proposal.incident
    context = {
        "incident": incident,
        "proposal": proposal,
        "minutes": settings.CAPDESK_STATUS_RESOLVE_AFTER,
        "console_url": settings.BASE_URL + reverse("console:incident", args=[incident.public_id]),
    }
    subject, body = render_email("status/email/resolve_proposal", context)
    for admin in incident_admins():
        queue_email(
            to=admin.email,
            subject=subject,
            body_text=body,
            kind="status_resolve_proposal",
            headers={"Auto-Submitted": "auto-generated"},  # RFC 3834: not to be answered by robots
        )


def withdraw_proposals(incident: Incident, *, reason: str, at: datetime | None = None) -> int:
    """Mark pending proposals stale: their one-click "Resolve" no longer works."""
    return ResolutionProposal.objects.filter(
        incident=incident, state=ResolutionProposal.State.PENDING
    ).update(state=ResolutionProposal.State.WITHDRAWN, closed_at=at or timezone.now(), reason=reason[:200])


class StaleProposal(actions.StatusError):
    """The proposal was withdrawn (the monitor failed again) or already answered."""


@transaction.atomic
def resolve_incident(
    incident: Incident,
    *,
    body: str,
    user: User,
    proposal: ResolutionProposal | None = None,
    translations: Translations | None = None,
) -> IncidentUpdate:
    """A person resolves an incident, from a proposal or not; its pending proposals are answered."""
    if proposal is not None:
        locked = ResolutionProposal.objects.select_for_update().get(pk=proposal.pk)
        if locked.incident_id != incident.pk or locked.state != ResolutionProposal.State.PENDING:
            raise StaleProposal(
                "this proposal is no longer current: the monitor failed again or it was answered"
            )
    update = actions.resolve_incident(incident, body=body, user=user, translations=translations)
    ResolutionProposal.objects.filter(incident=incident, state=ResolutionProposal.State.PENDING).update(
        state=ResolutionProposal.State.ACCEPTED, closed_at=update.created_at, resolved_by=user
    )
    return update


def pending_proposals() -> list[ResolutionProposal]:
    """Questions waiting for an admin, on incidents still being monitored."""
    return list(
        ResolutionProposal.objects.filter(
            state=ResolutionProposal.State.PENDING, incident__status=IncidentStatus.MONITORING
        ).select_related("incident")
    )


def prune_results(now: datetime | None = None) -> int:
    """Keep a month of raw results; incidents and component history keep the long record."""
    cutoff = (now or timezone.now()) - timedelta(days=RESULTS_KEPT_DAYS)
    deleted, _ = MonitorResult.objects.filter(at__lt=cutoff).delete()
    return deleted
