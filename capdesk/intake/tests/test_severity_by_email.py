"""A severity declared by email, through intake: a proven sender's sets the ticket's severity and
its SLA target as the portal's would; an unsigned or spoofed sender's is only a claim (E3);
an answer on a ticket declares nothing (agents own the severity after intake)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client

from capdesk.directory.models import Plan
from capdesk.intake.models import InboundRequest
from capdesk.intake.tests.test_sender_authentication import Signer, deliver
from capdesk.notify.models import OutboundEmail
from capdesk.sla.models import Clock
from capdesk.testing.factories import Personas
from capdesk.testing.requests import confirm_sender
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets.models import Status, Ticket

# Saturday 13 June 2026, 10:00 in Jakarta: outside business hours, where only a 24/7
# target (Enterprise Urgent: 1 hour) falls due the same morning.
SATURDAY = datetime(2026, 6, 13, 3, 0, tzinfo=UTC)
DOWN = "Since 09:40 no device of com.acme.shop gets bundle 4.2.1; the updater logs a 503."


def email(
    subject: str,
    body: str,
    *,
    sender: str = "Dewi Developer <dewi@acme.test>",
) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "support@capgo.app", subject
    msg["Message-ID"] = f"<{abs(hash((sender, subject, body)))}@mail.acme.test>"
    msg.set_content(body)
    return msg.as_bytes()


def arrives(raw: bytes, signer: Signer | None = None, at: datetime = SATURDAY) -> InboundRequest:
    with time_machine.travel(at, tick=False):
        return deliver(signer.sign(raw) if signer else raw)


def opened(request: InboundRequest) -> Ticket:
    assert request.ticket is not None, request.reason
    return request.ticket


def acknowledgement(ticket: Ticket) -> OutboundEmail:
    return OutboundEmail.objects.filter(ticket=ticket, kind__startswith="reply.").latest("pk")


def agent(cast: Personas) -> User:
    return User.objects.get(pk=cast.agent.pk)


def history(cast: Personas, ticket: Ticket) -> str:
    client = Client()
    client.force_login(agent(cast))
    return client.get(f"/console/tickets/{ticket.reference}/").content.decode()


@pytest.fixture
def enterprise(cast: Personas) -> Personas:
    cast.org.plan = Plan.ENTERPRISE
    cast.org.save()
    return cast


def test_a_proven_customers_urgent_email_starts_the_one_hour_clock(
    enterprise: Personas, acme: Signer
) -> None:
    ticket = opened(arrives(email("[Urgent] Live updates down", f"Production: down\n\n{DOWN}"), acme))
    assert (ticket.outcome, ticket.severity) == ("accept", "urgent")
    clock = Clock.objects.get(ticket=ticket)
    assert (clock.severity, clock.target_text, clock.business_hours) == ("urgent", "1 hour", False)
    assert clock.due_at == SATURDAY + timedelta(hours=1)
    assert ticket.subject == "Live updates down"  # the tag is an instruction, not the title
    decision = ticket.decisions.get()
    assert {"E1", "E2", "E3", "E4", "L1"} <= set(decision.clauses)
    assert any("declared by the customer in the email" in line for line in decision.explanation)
    page = history(enterprise, ticket)
    assert "Severity Urgent declared by the customer by email: “[Urgent]”, “Production: down”" in page
    reply = acknowledgement(ticket)
    assert reply.subject.startswith(f"[{ticket.reference}] ") and reply.subject.endswith("Live updates down")
    assert "with severity Urgent (P1)" in reply.body_text
    assert "It is the severity your email declared." in reply.body_text


def test_an_urgent_email_without_production_down_is_high_and_says_how_to_state_it(
    enterprise: Personas, acme: Signer
) -> None:
    ticket = opened(arrives(email("Live updates down", f"Priority: P1\n{DOWN}"), acme))
    assert ticket.severity == "high"
    clock = Clock.objects.get(ticket=ticket)
    assert (clock.severity, clock.business_hours) == ("high", True)  # 2 business hours: Monday
    assert clock.due_at is not None and clock.due_at > SATURDAY + timedelta(days=1)
    body = acknowledgement(ticket).body_text
    assert "You marked this request Urgent (P1)" in body and '"Production: down"' in body


def test_an_indonesian_urgent_email_is_acknowledged_in_indonesian(enterprise: Personas, acme: Signer) -> None:
    enterprise.developer.language = "id"
    enterprise.developer.save()
    body = "Tingkat: mendesak\nProduksi: mati\n\nSejak pukul 09.40 tidak ada perangkat com.acme.shop yang menerima bundle 4.2.1."
    ticket = opened(arrives(email("[Mendesak] Pembaruan langsung mati", body), acme))
    assert ticket.severity == "urgent" and ticket.subject == "Pembaruan langsung mati"
    reply = acknowledgement(ticket).body_text
    assert "Mendesak (P1)" in reply and "sesuai dengan yang Anda nyatakan dalam email" in reply


def test_a_proven_email_that_declares_nothing_is_told_how_to(enterprise: Personas, acme: Signer) -> None:
    ticket = opened(arrives(email("Live updates down", DOWN), acme))
    assert ticket.severity == "normal"
    body = acknowledgement(ticket).body_text
    assert "[Urgent], [High], [Normal] or [Low]" in body and '"Severity: high"' in body


def test_an_unsigned_senders_urgent_is_a_claim_until_they_confirm(enterprise: Personas, stub) -> None:
    ticket = opened(arrives(email("[Urgent] Live updates down", f"Production: down\n\n{DOWN}")))
    assert (ticket.outcome, ticket.severity) == ("verify_sender", "normal")
    assert not Clock.objects.filter(ticket=ticket, severity="urgent").exists()
    assert "claimed by email (“[Urgent]”, “Production: down”), not taken" in history(enterprise, ticket)
    # The held reply teaches nothing and names no severity: nothing is disclosed before E3.
    assert "Urgent" not in acknowledgement(ticket).body_text
    with time_machine.travel(SATURDAY + timedelta(minutes=10), tick=False):
        confirm_sender(ticket)
    ticket.refresh_from_db()
    assert (ticket.outcome, ticket.severity) == ("accept", "urgent")
    assert "It is the severity your email declared." in acknowledgement(ticket).body_text


def test_a_spoofed_from_signed_by_another_domain_raises_nothing(enterprise: Personas, stub) -> None:
    evil = Signer(stub.records, "evil.test")
    ticket = opened(arrives(email("[P1] Live updates down", f"Production: down\n\n{DOWN}"), evil))
    assert (ticket.outcome, ticket.severity) == ("verify_sender", "normal")
    assert ticket.events.get(kind="severity.declared").data["taken"] is False


def test_an_unregistered_senders_claim_is_not_taken(enterprise: Personas, stub) -> None:
    raw = email("[Urgent] Our app is down", DOWN, sender="Mallory <mallory@gmail.test>")
    ticket = opened(arrives(raw))
    assert (ticket.outcome, ticket.severity) == ("deny_unregistered", "normal")


def test_a_reply_with_a_tag_threads_and_changes_no_severity(enterprise: Personas, acme: Signer) -> None:
    first = email("Live updates slow", DOWN)
    ticket = opened(arrives(first, acme))
    assert ticket.severity == "normal"
    reply = email(
        f"Re: [{ticket.reference}] [Urgent] Live updates slow",
        "Severity: urgent\nProduction: down\n\nNow nothing updates at all.",
    )
    threaded = arrives(reply, acme, at=SATURDAY + timedelta(minutes=30))
    assert threaded.ticket == ticket
    ticket.refresh_from_db()
    assert ticket.severity == "normal"
    assert not ticket.events.filter(kind="severity.declared").exists()
    assert ticket.decisions.count() == 1


def test_an_answer_to_a_closed_ticket_opens_a_follow_up_that_declares_nothing(
    enterprise: Personas, acme: Signer
) -> None:
    ticket = opened(arrives(email("Live updates slow", DOWN), acme))
    with time_machine.travel(SATURDAY + timedelta(hours=2), tick=False):
        ticket_actions.change_status(ticket, Status.CLOSED, agent=agent(enterprise))
    answer = email(f"Re: [{ticket.reference}] [Urgent] Live updates slow", f"Severity: urgent\n\n{DOWN}")
    follow_up = opened(arrives(answer, acme, at=SATURDAY + timedelta(days=1)))
    assert follow_up.follow_up_of == ticket
    assert follow_up.severity == "normal"
    assert not follow_up.events.filter(kind="severity.declared").exists()


def test_naming_the_app_later_keeps_the_declared_severity(enterprise: Personas, acme: Signer) -> None:
    ticket = opened(
        arrives(email("[Urgent] Updates down", "Production: down\n\nNo device gets the bundle."), acme)
    )
    assert ticket.outcome == "need_project"
    answer = email(f"Re: [{ticket.reference}] Updates down", "It is com.acme.shop.")
    arrives(answer, acme, at=SATURDAY + timedelta(minutes=5))
    ticket.refresh_from_db()
    assert (ticket.outcome, ticket.severity) == ("accept", "urgent")
    assert Clock.objects.get(ticket=ticket).due_at == SATURDAY + timedelta(minutes=5, hours=1)
