"""Every outcome of DESIGN.md's Decisions table, reached as a customer reaches it: portal and email."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

import pytest
from django.core import mail

from capdesk.directory.models import Plan, SubscriptionStatus
from capdesk.intake.confirmation import confirm_sender
from capdesk.policy import sources
from capdesk.policy.types import IncidentFacts
from capdesk.testing.requests import file_portal_request, send_plain_email
from capdesk.tickets.models import Decision, Ticket

TECHNICAL = (
    "Live update not applied",
    "We call notifyAppReady() in main.ts but the new bundle 1.4.2 is never downloaded on the production "
    "channel. Device log: [CapacitorUpdater] No new version available. How do we debug the updater?",
)
BILLING = (
    "Invoice charged twice",
    "Our card was charged twice for invoice INV-2026-0042. Please refund the duplicate.",
)
OWN_CODE = (
    "Please review our Angular router code",
    "After the update our own app.routes.ts throws 'Cannot match any routes' on /orders/123. "
    "Could your team debug our application code and fix our lazy-loaded modules?",
)
PREMIUM = (
    "Premium Support offer",
    "We would like to buy the Premium Support retainer with monthly hours for our team. Who do we talk to about pricing?",
)


def portal(person, subject_body, *, project=None, severity="normal"):
    return file_portal_request(person, *subject_body, project=project, severity=severity)


def email(sender, subject_body):
    request = send_plain_email(sender, *subject_body)
    assert request.ticket is not None, request.reason
    return request.ticket


def decision(ticket: Ticket) -> Decision:
    return ticket.decisions.latest("created_at")


def test_a_developer_on_a_paid_project_is_accepted_with_the_clauses(cast):
    ticket = portal(cast.developer, TECHNICAL, project="com.acme.shop")
    d = decision(ticket)
    assert d.outcome == "accept"
    assert {"E1", "E2", "E3", "E4"} <= set(d.clauses)
    assert ticket.status == "new" and ticket.queue.slug == "support"
    reply = ticket.messages.get(author_kind="system")
    assert ticket.reference in reply.body_text


def test_a_billing_question_is_accepted_for_a_billing_admin_without_any_app_role(cast):
    ticket = portal(cast.billing_admin, BILLING)
    assert decision(ticket).outcome == "accept_billing"
    assert decision(ticket).clauses == ["B1"]
    assert ticket.queue.slug == "billing"


def test_a_billing_question_is_accepted_during_a_trial(cast):
    cast.org.subscription_status = SubscriptionStatus.TRIALING
    cast.org.save()
    assert decision(portal(cast.billing_admin, BILLING)).outcome == "accept_billing"


def test_technical_help_on_a_trial_is_redirected_to_the_community_citing_e1(cast, run_worker):
    cast.org.subscription_status = SubscriptionStatus.TRIALING
    cast.org.save()
    ticket = portal(cast.developer, TECHNICAL, project="com.acme.shop")
    d = decision(ticket)
    assert d.outcome == "redirect_community"
    assert "E1" in d.clauses
    assert ticket.status == "solved"
    run_worker()
    (reply,) = mail.outbox
    assert "discord.capgo.app" in reply.body and "github.com/Cap-go" in reply.body
    assert reply.subject.count(ticket.reference) == 1


def test_a_reader_is_denied_and_told_who_can_grant_app_developer(cast):
    ticket = portal(cast.reader, TECHNICAL, project="com.acme.shop")
    d = decision(ticket)
    assert d.outcome == "deny_role"
    assert "E4" in d.clauses
    reply = ticket.messages.get(author_kind="system").body_text
    assert "Ana Admin" in reply  # the org admin can grant App Developer
    assert "Bima Billing" not in reply  # a billing admin cannot


def test_a_technical_request_without_a_project_asks_which_one(cast):
    ticket = portal(cast.developer, TECHNICAL)
    assert decision(ticket).outcome == "need_project"
    assert ticket.status == "pending"
    assert "com.acme.shop" in ticket.messages.get(author_kind="system").body_text


def test_out_of_scope_app_code_is_redirected_citing_x1(cast):
    d = decision(portal(cast.developer, OWN_CODE, project="com.acme.shop"))
    assert d.outcome == "redirect_community"
    assert "X1" in d.clauses


def test_a_premium_support_retainer_turns_app_code_help_into_accept(cast):
    cast.org.premium_support = True
    cast.org.save()
    d = decision(portal(cast.developer, OWN_CODE, project="com.acme.shop"))
    assert d.outcome == "accept"
    assert "X1" in d.clauses and "R1" in d.clauses


def test_a_team_customer_asking_for_premium_support_becomes_a_sales_lead(cast, run_worker):
    ticket = portal(cast.org_admin, PREMIUM)
    assert decision(ticket).outcome == "premium_lead"
    assert ticket.queue.slug == "sales"
    run_worker()
    [lead] = [m for m in mail.outbox if m.to == ["martin@capgo.app"]]
    # Enough to prepare the call: who, their plan, what they wrote; the answer goes from the ticket.
    assert "Ana Admin <ana@acme.test> (Acme Apps: Team, active) asks about Premium Support" in lead.body
    assert lead.subject == f"[{ticket.reference}] Premium Support request from Acme Apps"
    assert PREMIUM[0] in lead.body and PREMIUM[1] in lead.body
    assert f"/console/tickets/{ticket.reference}/" in lead.body


def test_a_maker_customer_asking_for_premium_support_is_told_what_it_requires(cast, run_worker):
    cast.org.plan = Plan.MAKER
    cast.org.save()
    ticket = portal(cast.org_admin, PREMIUM)
    assert decision(ticket).outcome == "premium_lead"
    run_worker()
    assert not any(m.to == ["martin@capgo.app"] for m in mail.outbox)


def test_an_ongoing_incident_refers_to_the_status_page(cast, monkeypatch):
    incident = IncidentFacts(
        key="inc-1",
        title="Live update API degraded",
        url="https://status.capgo.app/incidents/1",
        started_at=datetime(2026, 11, 27, 9, tzinfo=UTC),
        areas=frozenset({"live_updates"}),
    )
    monkeypatch.setattr(sources, "_INCIDENT_SOURCES", [lambda: [incident]])
    ticket = portal(cast.developer, TECHNICAL, project="com.acme.shop")
    d = decision(ticket)
    assert d.outcome == "refer_status"
    assert set(d.clauses) >= {"M1", "M2"}
    assert "https://status.capgo.app/incidents/1" in ticket.messages.get(author_kind="system").body_text


def test_an_unknown_sender_is_told_to_write_from_the_registered_address(cast):
    ticket = email("stranger@nowhere.test", TECHNICAL)
    assert decision(ticket).outcome == "deny_unregistered"
    assert decision(ticket).clauses == ["E3", "C2"]


def test_an_unauthenticated_email_is_held_until_the_registered_address_confirms(cast, client, run_worker):
    ticket = email("dewi@acme.test", (TECHNICAL[0], TECHNICAL[1] + " App: com.acme.shop"))
    assert decision(ticket).outcome == "verify_sender"
    assert ticket.status == "on_hold"
    run_worker()
    (confirmation,) = mail.outbox
    assert confirmation.to == ["dewi@acme.test"]
    assert "Dewi" not in confirmation.body  # nothing about the account before confirmation (E3)
    link = re.search(r"/confirm/[\w-]+/", str(confirmation.body))
    assert link is not None
    # Only the mailbox reads the link: an agent who saw it on the ticket could confirm for the customer.
    kept = ticket.messages.get(author_kind="system").body_text
    assert "/confirm/" not in kept and "link sent only to the requester's email address" in kept
    assert client.get(link.group(0)).status_code == 200  # a scanner's GET confirms nothing
    assert decision(Ticket.objects.get()).outcome == "verify_sender"
    assert client.post(link.group(0)).status_code == 200
    ticket.refresh_from_db()
    assert decision(ticket).outcome == "accept"
    assert ticket.status == "new"
    assert client.post(link.group(0)).status_code == 410
    run_worker()
    answer = mail.outbox[-1]
    assert answer.subject.startswith(f"[{ticket.reference}] ")
    assert answer.subject.count(ticket.reference) == 1


@pytest.mark.parametrize("language", ["en", "id"])
def test_every_reply_reads_in_both_languages(cast, language):
    cast.developer.language = language
    cast.developer.save()
    ticket = portal(cast.developer, TECHNICAL)
    body = ticket.messages.get(author_kind="system").body_text
    assert ("Capgo Support" in body) if language == "en" else ("Dukungan Capgo" in body)


def test_a_request_the_classifier_cannot_read_goes_to_triage_not_to_a_decline(cast):
    ticket = portal(cast.reader, ("Question", "Hello, I have a question."))
    assert decision(ticket).outcome == "triage"
    assert ticket.queue.slug == "triage"
    assert ticket.status == "new"


def confirmed_email(client, sender, subject_body):
    """An email from a registered address, then the sender confirms it (E3) as a customer would."""
    ticket = email(sender, subject_body)
    assert decision(ticket).outcome == "verify_sender"
    confirmation = ticket.sender_confirmations.get()
    # The token itself is only in the email; here the stored hash is swapped for a known one.
    confirmation.token_hash = hashlib.sha256(b"known-token").hexdigest()
    confirmation.save()
    assert confirm_sender("known-token") is not None
    ticket.refresh_from_db()
    return ticket


SCENARIOS = {
    # outcome: (persona, request, project named)
    "accept": ("developer", TECHNICAL, True),
    "accept_billing": ("billing_admin", BILLING, False),
    "redirect_community": ("developer", OWN_CODE, True),
    "need_project": ("developer", TECHNICAL, False),
    "deny_role": ("reader", TECHNICAL, True),
    "premium_lead": ("org_admin", PREMIUM, False),
    "triage": ("reader", ("Question", "Hello, I have a question."), False),
}
MARKERS = {"en": "Capgo Support", "id": "Dukungan Capgo"}


@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize("channel", ["portal", "email"])
@pytest.mark.parametrize("outcome", sorted(SCENARIOS))
def test_each_outcome_is_reached_through_the_portal_and_email_in_both_languages(
    cast, client, outcome, channel, language
):
    who, (subject, body), named = SCENARIOS[outcome]
    person = getattr(cast, who)
    person.language = language
    person.save()
    if channel == "portal":
        ticket = portal(person, (subject, body), project="com.acme.shop" if named else None)
    else:
        text = f"{body}\n\nApp: com.acme.shop" if named else body
        ticket = confirmed_email(client, person.primary_email, (subject, text))
    assert decision(ticket).outcome == outcome
    reply = ticket.messages.filter(author_kind="system").latest("created_at").body_text
    assert MARKERS[language] in reply
