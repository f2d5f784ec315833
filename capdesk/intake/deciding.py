"""From a request to a policy decision: classify it, gather the facts, call ``policy.decide``.

``decide`` is pure; this module is the impure edge that reads the directory, the
classifier and the status page for it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils import timezone

from capdesk.core import appends
from capdesk.directory.models import Person, Project
from capdesk.directory.queries import developer_projects_for, projects_for
from capdesk.intake.quoting import split_text
from capdesk.policy.classifier import classify_many
from capdesk.policy.decide import decide
from capdesk.policy.facts import facts_for
from capdesk.policy.language import reply_language
from capdesk.policy.loader import get_policy
from capdesk.policy.sources import ongoing_incidents
from capdesk.policy.types import Classification, Decision, Identity, Outcome, RequestFacts, Severity
from capdesk.sla import actions as sla_actions
from capdesk.tickets import audit
from capdesk.tickets.decisions import apply_decision
from capdesk.tickets.models import Channel, Event, Message, Ticket
from capdesk.tickets.retainer import used_this_month

# The audit event that records what an email declared of its severity (email_channel).
DECLARED = "severity.declared"


@dataclass(frozen=True)
class Decided:
    decision: Decision
    identity: Identity
    language: str


def project_named_in(person: Person, text: str, *, among: Iterable[Project] | None = None) -> Project | None:
    """The one project of the person's (or of ``among``) whose app id the request mentions (``com.example.app``).

    Email has no project field; customers usually name the app. Two or more named
    projects are ambiguous, so none is assumed (``need_project`` asks).
    """
    projects = projects_for(person) if among is None else among
    named = [p for p in projects if re.search(rf"(?<![\w.]){re.escape(p.app_id)}(?![\w])", text)]
    return named[0] if len(named) == 1 else None


@dataclass(frozen=True)
class Question:
    """Everything ``decide`` needs to know about one request, except what the classifier says."""

    channel: str
    identity: Identity
    person: Person | None
    project: Project | None
    subject: str
    body: str
    declared_severity: str | None = None
    production_impact: bool = False
    # The channel reads the declared severity from the text (email: intake.declared_severity).
    severity_from_text: bool = False
    # Given when the channel itself says what the request is (the Premium Support form).
    classification: Classification | None = None


def decide_requests(questions: Sequence[Question]) -> list[Decided]:
    """Decide several requests; the classifier reads all their texts in one call.

    Reads only (the directory, retainer bookings, the status page), so intake calls it
    before taking the write lock. One classifier call per request costs about 4 ms of
    fixed overhead; one call for a batch costs little more than one (BENCHMARKS.md).
    """
    if not questions:
        return []
    policy = get_policy()
    incidents = ongoing_incidents()  # the same for the whole batch: one read
    to_classify = [(q.subject, q.body) for q in questions if q.classification is None]
    guessed = iter(classify_many(to_classify))
    out = []
    for q in questions:
        classification = q.classification or next(guessed)
        org_ids = list(q.person.bindings.values_list("organization_id", flat=True)) if q.person else []
        requester, project_facts = facts_for(
            q.person,
            q.project,
            policy=policy,
            retainer_minutes_used=used_this_month(org_ids) if org_ids else {},
        )
        request = RequestFacts(
            channel=q.channel,
            identity=q.identity,
            declared_severity=Severity(q.declared_severity) if q.declared_severity else None,
            production_impact=q.production_impact,
            severity_from_text=q.severity_from_text,
        )
        decision = decide(request, requester, project_facts, incidents, classification, policy)
        language = reply_language(
            q.person.language if q.person else None, f"{q.subject}\n{q.body}", policy.languages
        )
        out.append(Decided(decision=decision, identity=q.identity, language=language))
    return out


def decide_request(
    *,
    channel: str,
    identity: Identity,
    person: Person | None,
    project: Project | None,
    subject: str,
    body: str,
    declared_severity: str | None = None,
    production_impact: bool = False,
    severity_from_text: bool = False,
    classification: Classification | None = None,
) -> Decided:
    """One request: ``classification`` is given when the channel itself says what the request
    is (the Premium Support form); otherwise the classifier reads the text."""
    question = Question(
        channel=channel,
        identity=identity,
        person=person,
        project=project,
        subject=subject,
        body=body,
        declared_severity=declared_severity,
        production_impact=production_impact,
        severity_from_text=severity_from_text,
        classification=classification,
    )
    return decide_requests([question])[0]


@dataclass(frozen=True)
class DeclaredAtIntake:
    """What a ticket's request declared of its severity, for deciding it again as it was decided first."""

    severity: str | None = None
    production_impact: bool = False
    from_text: bool = False


def declared_at_intake(ticket: Ticket, first: Message | None = None) -> DeclaredAtIntake:
    """The severity the request that opened ``ticket`` declared: an email's ``severity.declared``
    event, or the fields of a form's request (``first``, the ticket's first customer message).

    Deciding a request again (its sender confirmed, its project named) decides the same
    request: what it declared counts again, now for a proven sender. A follow-up read no
    declaration (an answer's tag is not one; a reply form has no severity field).
    """
    if ticket.follow_up_of_id is not None:
        return DeclaredAtIntake()
    if ticket.channel != Channel.EMAIL:
        return _declared_on_form(first)
    # The event may still wait in the write batch that opened the ticket (core.appends).
    pending = [e.data for e in appends.pending(Event) if e.ticket_id == ticket.pk and e.kind == DECLARED]
    stored = pending or list(ticket.events.filter(kind=DECLARED).values_list("data", flat=True)[:1])
    data = stored[0] if stored and isinstance(stored[0], dict) else {}
    return DeclaredAtIntake(
        severity=data.get("severity") or None,
        production_impact=bool(data.get("production_impact")),
        from_text=True,
    )


def _declared_on_form(first: Message | None) -> DeclaredAtIntake:
    """A form's request (portal, dashboard, API) carries its severity and production checkbox
    as fields of the JSON document stored for it (``web_channel``)."""
    source = first.source if first is not None else None
    try:
        payload = json.loads(bytes(source.raw)) if source is not None else {}
    except (UnicodeDecodeError, json.JSONDecodeError):
        payload = {}
    if not isinstance(payload, dict):
        return DeclaredAtIntake()
    severity = payload.get("severity")
    return DeclaredAtIntake(
        severity=severity if severity in {s.value for s in Severity} else None,
        production_impact=bool(payload.get("production_impact")),
    )


def decide_again_if_project_named(
    ticket: Ticket, *, person: Person | None, identity: Identity, text: str, answers_mail: bool = True
) -> bool:
    """The requester answered ``need_project`` by naming one of their apps: the ticket takes
    that project and is decided again in it, as the standard reply promised. Whether it was.

    Only the proven requester's answer counts, naming one app on which they qualify (E4)
    in its own text (the quoted reply lists every app), and only while no agent has taken
    the ticket in hand: their severity, queue and answer stand. The SLA clock starts at the
    answer: the days the desk waited for it are not the desk's. ``answers_mail``: as
    ``apply_decision``'s (False when the answer was confirmed on a page).
    """
    if (
        person is None
        or identity != Identity.VERIFIED
        or ticket.requester_id != person.pk
        or ticket.project_id is not None
        or ticket.outcome != Outcome.NEED_PROJECT
    ):
        return False
    own_text, _quoted = split_text(text)
    project = project_named_in(person, own_text, among=developer_projects_for(person))
    if project is None or ticket.events.filter(actor_user__isnull=False).exists():
        return False
    ticket.project, ticket.organization = project, project.organization
    ticket.save(update_fields=["project", "organization"])
    audit.record(ticket, "project.named", person=person, data={"project": project.app_id})
    sla_actions.on_ticket_opened(ticket, received_at=timezone.now())
    # The request itself: the first customer message, which a write batch may not have
    # inserted yet (core.appends) while the answer already is.
    customer = Message.Author.CUSTOMER
    stored = list(ticket.messages.filter(author_kind=customer).order_by("created_at", "id")[:1])
    pending = [m for m in appends.pending(Message) if m.ticket_id == ticket.pk and m.author_kind == customer]
    first = min(stored + pending, key=lambda m: m.created_at, default=None)
    declared = declared_at_intake(ticket, first)
    decided = decide_request(
        channel=ticket.channel,
        identity=identity,
        person=person,
        project=project,
        subject=ticket.subject,
        body=first.body_text if first is not None else own_text,
        declared_severity=declared.severity,
        production_impact=declared.production_impact,
        severity_from_text=declared.from_text,
    )
    apply_decision(
        ticket, decided.decision, identity=identity, language=decided.language, answers_mail=answers_mail
    )
    return True
