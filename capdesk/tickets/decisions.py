"""Applying a policy decision to a ticket: record it, route it, answer with the standard reply.

One transaction writes the decision, the ticket's new queue/severity/status, the
audit event, the reply as a public message and the email in the outbox.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from capdesk.core import appends
from capdesk.core.per_transaction import PerTransaction
from capdesk.directory.models import Organization
from capdesk.notify.actions import queue_email
from capdesk.policy import replies
from capdesk.policy.loader import get_policy
from capdesk.policy.types import Decision as PolicyDecision
from capdesk.policy.types import Outcome
from capdesk.sla import actions as sla_actions
from capdesk.tickets import audit, mailboxes
from capdesk.tickets.actions import add_system_message, assign, ticket_arrived
from capdesk.tickets.incidents import link_incident
from capdesk.tickets.models import Channel, Decision, Event, Message, Queue, Status, Ticket
from capdesk.tickets.reply_address import threading_headers
from capdesk.tickets.scoping import works_queue

# What the ticket's status becomes after each outcome: open work for people, waiting
# on the customer, held until the sender confirms, or answered (deflected) at once.
STATUS_AFTER = {
    Outcome.ACCEPT: Status.NEW,
    Outcome.ACCEPT_BILLING: Status.NEW,
    Outcome.TRIAGE: Status.NEW,
    Outcome.PREMIUM_LEAD: Status.NEW,
    Outcome.NEED_PROJECT: Status.PENDING,
    Outcome.VERIFY_SENDER: Status.ON_HOLD,
    # Held until the incident resolves: then the requester is told and it is solved (M2).
    Outcome.REFER_STATUS: Status.ON_HOLD,
    Outcome.REDIRECT_COMMUNITY: Status.SOLVED,
    Outcome.DENY_ROLE: Status.SOLVED,
    Outcome.DENY_UNREGISTERED: Status.SOLVED,
}


# The queues found by slug, kept for the rest of the write transaction: intake routes a
# batch of tickets in one, mostly to the same few queues.
_queues_found: PerTransaction[dict[str, Queue]] = PerTransaction(dict)


def queue_for(slug: str) -> Queue:
    found = _queues_found.get()
    if slug in found:
        return found[slug]
    # A savepoint rolled back after a queue was created here also drops what is kept
    # (core.per_transaction), so a queue that no longer exists is never handed out.
    found[slug], _ = Queue.objects.get_or_create(
        slug=slug, defaults={"name": get_policy().queues.get(slug, slug)}
    )
    return found[slug]


def _queue_named(ticket: Ticket, slug: str) -> Queue:
    """The queue ``slug``: the ticket's own when it is already there (a new ticket's, just loaded)."""
    if Ticket.queue.is_cached(ticket) and ticket.queue is not None and ticket.queue.slug == slug:
        return ticket.queue
    return queue_for(slug)


@transaction.atomic(savepoint=False)
def apply_decision(
    ticket: Ticket,
    decision: PolicyDecision,
    *,
    identity: str,
    language: str,
    reply_context: Mapping[str, str] | None = None,
    agent: User | None = None,
    reason: str = "",
    send_reply: bool = True,
    customer_message_ids: Sequence[str] | None = None,
    answers_mail: bool = True,
    reply_note: str = "",
) -> Decision:
    """Record ``decision`` on the ticket, route it, and send its standard reply.

    ``customer_message_ids``: the Message-IDs of the customer's mail on the ticket, oldest
    first, from a caller that just stored them; the reply cites them (else they are read).
    ``answers_mail`` is False when the decision follows a person's action on a page (a
    sender confirmation link, the portal), not mail received: its reply then answers no
    mail, so the RFC 3834 limit on automatic replies neither counts nor stops it.
    ``reply_note``: a paragraph the standard reply gets before its signature, in its
    language (which files of the request were not accepted, intake.files_left_out).
    """
    # Only an agent's decision overrides the one before; the desk's own needs no read of it.
    previous = ticket.decisions.order_by("-created_at", "-id").first() if agent is not None else None
    record = Decision(
        ticket=ticket,
        outcome=decision.outcome,
        scope=decision.scope,
        group=decision.group,
        confidence=decision.confidence,
        severity=decision.severity,
        queue=decision.queue,
        reply=decision.reply,
        clauses=list(decision.clauses),
        explanation=list(decision.explanation),
        identity=identity,
        book_retainer=decision.book_retainer,
        overrides=previous if agent is not None else None,
        decided_by=agent,
        reason=reason,
    )
    appends.save(record)  # with the rest of a write batch, if one is open (core.appends)
    status_from, severity_from = ticket.status, ticket.severity
    ticket.outcome = decision.outcome
    ticket.scope = decision.scope
    ticket.severity = decision.severity
    queue_from = ticket.queue_id
    ticket.queue = _queue_named(ticket, decision.queue)
    ticket.language = language
    ticket.status = STATUS_AFTER[Outcome(decision.outcome)]
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["outcome", "scope", "severity", "queue", "language", "status", "updated_at"])
    if ticket.queue_id != queue_from:
        _unassign_outside_queue(ticket, agent)
    sla_actions.on_decision_applied(ticket, previous_status=status_from)
    audit.record(
        ticket,
        "decision.overridden" if agent else "decision.made",
        user=agent,
        reason=reason,
        data={
            "outcome": decision.outcome,
            "scope": decision.scope,
            "confidence": round(decision.confidence, 3),
            "clauses": list(decision.clauses),
            "status_from": status_from,
            "status_to": ticket.status,
            "severity_from": severity_from,
            "severity_to": ticket.severity,
            "queue": ticket.queue.name,
            **({"overrides": previous.outcome} if agent and previous else {}),
        },
    )
    if decision.incident is not None:
        link_incident(ticket, decision.incident.key)
    if send_reply:
        automatic = answers_mail and ticket.channel == Channel.EMAIL
        _standard_reply(
            ticket, decision, language, reply_context or {}, customer_message_ids, automatic, reply_note
        )
    if decision.outcome == Outcome.PREMIUM_LEAD and decision.premium_offer:
        _notify_sales(ticket)
    if agent is None:
        ticket_arrived(ticket)  # e.g. the queue's automatic round-robin
    return record


def _standard_reply(
    ticket: Ticket,
    decision: PolicyDecision,
    language: str,
    extra: Mapping[str, str],
    customer_message_ids: Sequence[str] | None,
    automatic: bool,
    note: str = "",
) -> None:
    context = {
        "reference": ticket.reference,
        "subject": ticket.subject,
        "portal_url": f"{settings.BASE_URL}/portal/requests/{ticket.reference}/",
        "name": ticket.requester.name if ticket.requester else ticket.requester_name,
        **extra,
    }
    subject, body = replies.render(decision, language, context)
    if note:
        body = _with_note(body, note)
    email = None
    if ticket.requester_email and mailboxes.is_no_reply(ticket.requester_email):
        # A mailbox nobody reads (noreply@, a bounce handler): the answer would only bounce, or
        # feed a robot that answers back (RFC 3834 2). Agents see why nothing went out.
        audit.record(ticket, "email.withheld", data={"address": ticket.requester_email, "no_reply": True})
    elif ticket.requester_email:
        email = queue_email(
            to=ticket.requester_email,
            # The reference threads the customer's answer back onto this ticket.
            subject=subject if f"[{ticket.reference}]" in subject else f"[{ticket.reference}] {subject}",
            body_text=body,
            kind=f"reply.{decision.reply}",
            ticket_id=ticket.pk,
            # RFC 3834: an automatic answer says so, so autoresponders do not answer it back.
            headers={"Auto-Submitted": "auto-replied", **threading_headers(ticket, customer_message_ids)},
            # RFC 3834's limit guards against answering mail in a loop or a forged flood: only
            # an answer to an email counts. A request filed signed in (portal, dashboard, API),
            # or confirmed by its sender on our page, is acknowledged every time, and does not
            # use up the limit a held email's confirmation link needs.
            automatic=automatic,
        )
        if email is None:
            # The daily limit of automatic replies to the address (RFC 3834 loop guard): agents
            # must know the customer did not get it (the message says so too).
            audit.record(
                ticket,
                "email.withheld",
                data={
                    "address": ticket.requester_email,
                    "limit": settings.CAPDESK_AUTO_REPLIES_PER_DAY,
                    # The reply was a sender confirmation link: the address's next list takes it.
                    **({"link": True} if extra.get("confirm_url") else {}),
                },
            )
    # The message records the Message-ID its email went out with, so a bounce or an answer finds it.
    add_system_message(
        ticket,
        _without_secrets(body, extra, language),
        public=True,
        message_id=email.headers["Message-ID"] if email is not None else "",
    )


def _with_note(body: str, note: str) -> str:
    """The reply with ``note`` as its last paragraph before the signature (every reply ends with one)."""
    text, _, signature = body.rstrip().rpartition("\n\n")
    return f"{text}\n\n{note}\n\n{signature}\n" if text else f"{signature}\n\n{note}\n"


# Reply placeholders whose values only the requester's mailbox may read: a sender
# confirmation link proves control of the registered address, so an agent who could read
# it on the ticket could confirm for the customer.
_SECRET_PLACEHOLDERS = ("confirm_url",)


def _without_secrets(body: str, context: Mapping[str, str], language: str) -> str:
    """The reply as the ticket keeps it: each secret link replaced by a note that it was emailed."""
    for name in _SECRET_PLACEHOLDERS:
        if context.get(name):
            with translation.override(language):
                body = body.replace(
                    context[name], gettext("[link sent only to the requester's email address]")
                )
    return body


# The request's words in the sales contact's email: enough to prepare the call, not a thread.
_LEAD_TEXT_CHARS = 3000


def _notify_sales(ticket: Ticket) -> None:
    """R1: a Premium Support request from a Team or Enterprise customer reaches the sales contact,
    with who asks, their plan and what they wrote; the answer goes from the ticket."""
    policy = get_policy()
    # A request about Premium Support names no app, so often no organization: then the
    # requester's organizations, each with its plan.
    if ticket.organization is not None:
        orgs = [ticket.organization]
    elif ticket.requester_id is not None:
        orgs = list(Organization.objects.filter(bindings__person_id=ticket.requester_id).distinct())
    else:
        orgs = []
    where = "; ".join(
        f"{o.name}: {policy.plans[o.plan].name if o.plan in policy.plans else o.plan}, {o.subscription_status}"
        for o in sorted(orgs, key=lambda o: o.name)
    )
    who = (
        f"{ticket.requester.name} <{ticket.requester_email}>" if ticket.requester else ticket.requester_email
    )
    # The request's message may still wait in the write batch (core.appends) with the ticket.
    written = [m for m in appends.pending(Message) if m.ticket_id == ticket.pk] or list(
        ticket.messages.filter(author_kind=Message.Author.CUSTOMER).order_by("created_at", "id")[:1]
    )
    text = written[0].body_text.strip() if written else ""
    if len(text) > _LEAD_TEXT_CHARS:
        text = text[:_LEAD_TEXT_CHARS].rstrip() + " […]"
    queue_email(
        to=policy.premium.sales_address,
        subject=f"[{ticket.reference}] Premium Support request from "
        f"{orgs[0].name if len(orgs) == 1 else '(no organization)'}",
        body_text=(
            f"{who} ({where or 'no organization'}) asks about Premium Support.\n\n"
            f"Subject: {ticket.subject}\n\n{text}\n\n"
            f"Answer from the ticket, so the customer's conversation stays in one place:\n"
            f"{settings.BASE_URL}/console/tickets/{ticket.reference}/\n"
        ),
        kind="premium_lead",
        ticket_id=ticket.pk,
    )


def _unassign_outside_queue(ticket: Ticket, agent: User | None) -> None:
    """A ticket moved to a queue its assignee does not work (restricted to others) is given to nobody.

    Left assigned, it would wait on an agent who can no longer open it; unassigned, the new
    queue's agents see it as theirs to take (and its rotation, if it assigns on arrival).
    """
    if ticket.assignee is not None and not works_queue(ticket.assignee, ticket.queue_id):
        assign(ticket, None, agent=agent)


# Where an overridden ticket goes when the agent does not say: the work queue for work,
# otherwise it stays where it is.
_QUEUE_FOR_OUTCOME = {
    Outcome.ACCEPT: "support",
    Outcome.ACCEPT_BILLING: "billing",
    Outcome.PREMIUM_LEAD: "sales",
    Outcome.TRIAGE: "triage",
}


@transaction.atomic
def override_decision(ticket: Ticket, *, outcome: str, reason: str, agent: User) -> Decision:
    """An agent replaces the decision; the original, the override and the reason all stay visible."""
    if outcome not in Outcome.__members__.values():
        raise ValueError(f"unknown outcome {outcome!r}")
    if not reason.strip():
        raise ValueError("an override needs a reason")
    previous = ticket.decisions.order_by("-created_at", "-id").first()
    new_outcome = Outcome(outcome)
    queue = _QUEUE_FOR_OUTCOME.get(new_outcome, ticket.queue.slug)
    record = Decision.objects.create(
        ticket=ticket,
        outcome=new_outcome,
        scope=previous.scope if previous else ticket.scope,
        group=previous.group if previous else "",
        confidence=1.0,
        severity=ticket.severity,
        queue=queue,
        reply="",
        clauses=[],
        explanation=[f"Overridden by {agent.get_username()}: {reason.strip()}"],
        identity=previous.identity if previous else "",
        overrides=previous,
        decided_by=agent,
        reason=reason.strip(),
    )
    status_from = ticket.status
    ticket.outcome = new_outcome
    ticket.queue = queue_for(queue)
    new_status = STATUS_AFTER[new_outcome]
    # Overriding into work reopens the ticket for people; the agent writes the reply.
    ticket.status = Status.OPEN if new_status == Status.NEW else new_status
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["outcome", "queue", "status", "updated_at"])
    _unassign_outside_queue(ticket, agent)
    sla_actions.on_decision_applied(
        ticket,
        previous_status=status_from,
        was_untimed=previous is not None and previous.outcome == Outcome.PREMIUM_LEAD,
    )
    Event.objects.create(
        ticket=ticket,
        kind="decision.overridden",
        actor_user=agent,
        reason=reason.strip(),
        data={
            "outcome_from": previous.outcome if previous else "",
            "outcome_to": new_outcome,
            "status_from": status_from,
            "status_to": ticket.status,
            "queue": ticket.queue.name,
        },
    )
    return record
