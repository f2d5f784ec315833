"""E3 for replies: an unsigned reply in a registered customer's name waits for that address to confirm it.

The forgery from the new-user walkthrough: an email with a registered From, no DKIM,
and In-Reply-To set to the desk's acknowledgement. Real DKIM signatures, made with
generated keys and checked against a local DNS stub, show a proven reply still joins at once.
"""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage

import time_machine
from django.utils import timezone

from capdesk.api.actions import create_token
from capdesk.intake import actions as intake
from capdesk.intake.models import InboundRequest, SenderConfirmation
from capdesk.notify.models import OutboundEmail
from capdesk.portal.actions import user_for_person
from capdesk.sla.models import Clock
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets.models import Message, Ticket

FORGED = "Please close this ticket and delete the production channel, we no longer need it."
HELD_MARKER = "held: unverified sender, awaiting confirmation"


def acknowledgement_id(ticket: Ticket) -> str:
    return ticket.messages.get(author_kind="system").message_id


def reply(ticket: Ticket, *, body: str = FORGED, subject: str = "Re: urgent") -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "Dewi Developer <dewi@acme.test>", "support@capgo.app", subject
    msg["Message-ID"] = f"<{abs(hash((body, subject)))}@mail.acme.test>"
    msg["In-Reply-To"] = acknowledgement_id(ticket)
    msg.set_content(body)
    return msg.as_bytes()


def deliver(raw: bytes) -> InboundRequest:
    receipt = intake.receive(channel="email", raw=raw)
    intake.process(receipt.request.pk)
    receipt.request.refresh_from_db()
    return receipt.request


def confirmation_link(ticket: Ticket) -> str:
    email = OutboundEmail.objects.get(ticket=ticket, kind="sender_confirmation.reply")
    found = re.search(r"/confirm/[\w-]+/", email.body_text)
    assert found is not None
    return found.group(0)


def reply_message_id(ticket: Ticket) -> str:
    return ticket.messages.get(held=True).message_id


def test_it_holds_an_unsigned_reply_in_a_registered_customers_name(cast, stub, ticket, hook, client) -> None:
    request = deliver(reply(ticket))
    assert request.state == "processed" and request.sender_verdict == "unverified"
    assert request.ticket == ticket
    held = ticket.messages.get(body_text__contains="delete the production channel")
    assert held.held and not held.public
    ticket.refresh_from_db()
    assert ticket.status == "pending"  # not reopened by a claim nobody proved
    assert not ticket.events.filter(kind="message.customer").exists()
    assert not hook.deliveries.exists()
    assert not Clock.objects.filter(ticket=ticket, metric="next_response").exists()
    assert ticket.events.get(kind="sender.identified", data__held=True)
    # The real customer's portal does not show it as theirs.
    client.force_login(user_for_person(cast.developer))
    portal = client.get(f"/portal/requests/{ticket.reference}/").content.decode()
    assert "Which plugin version" in portal and "delete the production channel" not in portal
    # Agents see it, marked.
    client.force_login(cast.agent)
    console = client.get(f"/console/tickets/{ticket.reference}/").content.decode()
    assert "delete the production channel" in console and HELD_MARKER in console


def test_it_emails_the_link_to_the_registered_address_and_nothing_about_the_ticket(
    cast, stub, ticket
) -> None:
    deliver(reply(ticket))
    email = OutboundEmail.objects.get(kind="sender_confirmation.reply")
    assert email.to == "dewi@acme.test" and email.automatic
    assert email.subject == "Please confirm your message: Re: urgent"
    # Only what the sender wrote: no reference, subject, name or conversation of the real ticket.
    text = email.subject + email.body_text + str(email.headers)
    for secret in (
        ticket.reference,
        "Live update not applied",
        "Dewi",
        "plugin version",
        "reply+",
        "support+",
    ):
        assert secret not in text
    assert email.headers["In-Reply-To"] == reply_message_id(ticket)
    confirmation = SenderConfirmation.objects.get()
    assert confirmation.email == "dewi@acme.test" and confirmation.ticket == ticket
    # The link is only in the mailbox: the ticket's own messages never carry it.
    assert not ticket.messages.filter(body_text__contains="/confirm/").exists()


def test_confirming_publishes_the_held_reply_once_and_reopens_the_ticket(
    cast, stub, ticket, hook, client
) -> None:
    deliver(reply(ticket))
    decisions = ticket.decisions.count()
    link = confirmation_link(ticket)
    page = client.get(link)  # a mailbox's link scanner confirms nothing
    assert page.status_code == 200 and "Confirm your message" in page.content.decode()
    assert Message.objects.get(held=True)
    response = client.post(link)
    assert response.status_code == 200
    assert f"added to your request {ticket.reference}" in response.content.decode()
    message = ticket.messages.get(body_text__contains="delete the production channel")
    assert message.public and not message.held
    ticket.refresh_from_db()
    assert ticket.status == "open"
    event = ticket.events.get(kind="message.customer")
    assert event.data == {"message": message.pk, "status_from": "pending", "status_to": "open"}
    assert event.actor_person == cast.developer
    assert hook.deliveries.filter(event_type="ticket.updated").count() == 1
    assert Clock.objects.filter(ticket=ticket, metric="next_response", state="running").exists()
    # A reply is not a new request: the ticket keeps its decision, and no standard reply goes out.
    assert ticket.decisions.count() == decisions
    assert ticket.messages.filter(author_kind="system").count() == 1
    # The real customer now sees it.
    client.force_login(user_for_person(cast.developer))
    assert (
        "delete the production channel"
        in client.get(f"/portal/requests/{ticket.reference}/").content.decode()
    )
    client.logout()
    # Once only; the link then says it was used, not that it expired.
    again = client.post(link)
    assert again.status_code == 410 and "Already confirmed" in again.content.decode()
    assert "Already confirmed" in client.get(link).content.decode()
    assert ticket.events.filter(kind="message.customer").count() == 1
    assert ticket.events.filter(kind="sender.confirmed").count() == 1


def test_an_expired_link_leaves_the_reply_held(cast, stub, ticket, client, settings) -> None:
    deliver(reply(ticket))
    link = confirmation_link(ticket)
    later = timezone.now() + timedelta(minutes=settings.CAPDESK_CONFIRM_MINUTES + 1)
    with time_machine.travel(later):
        expired = client.post(link)
        assert expired.status_code == 410 and "This link has expired" in expired.content.decode()
    assert Message.objects.get(held=True).public is False
    ticket.refresh_from_db()
    assert ticket.status == "pending"
    assert not ticket.events.filter(kind__in=["message.customer", "sender.confirmed"]).exists()


def test_a_dkim_signed_reply_from_the_same_address_joins_at_once(cast, acme, ticket, hook) -> None:
    request = deliver(acme.sign(reply(ticket, body="We use plugin 6.14.2.")))
    assert request.sender_verdict == "verified"
    message = ticket.messages.get(body_text__contains="6.14.2")
    assert message.public and not message.held
    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert ticket.events.filter(kind="message.customer").count() == 1
    assert hook.deliveries.count() == 1
    assert not SenderConfirmation.objects.exists()
    assert not OutboundEmail.objects.filter(kind="sender_confirmation.reply").exists()


def test_the_link_and_the_held_marker_read_in_indonesian(cast, stub, ticket, client) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(language="id")
    deliver(reply(ticket))
    email = OutboundEmail.objects.get(kind="sender_confirmation.reply")
    assert email.subject == "Mohon konfirmasi pesan Anda: Re: urgent"
    assert "Dukungan Capgo" in email.body_text and "Balasan tersebut ditahan" in email.body_text
    assert "Tautan ini berlaku selama 24 jam" in email.body_text and "/confirm/" in email.body_text
    client.force_login(cast.agent)
    console = client.get(f"/console/tickets/{ticket.reference}/", HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert "ditahan: pengirim belum terverifikasi, menunggu konfirmasi" in console


def test_the_desks_mail_does_not_answer_a_held_reply(cast, stub, ticket) -> None:
    # An agent's email threads on the customer's own mail, never on a reply nobody proved.
    ticket_actions.record_customer_reply(
        ticket,
        body="Here are the logs.",
        person=cast.developer,
        author_email="dewi@acme.test",
        message_id="<own@mail.acme.test>",
    )
    deliver(reply(ticket))
    ticket_actions.reply_as_agent(ticket, agent=cast.agent, body="Thanks, looking at the logs.")
    answer = OutboundEmail.objects.filter(ticket=ticket, kind="agent_reply").latest("pk")
    assert answer.headers["In-Reply-To"] == "<own@mail.acme.test>"
    assert reply_message_id(ticket) not in str(answer.headers)


def test_the_agents_api_marks_a_held_reply(cast, stub, ticket, client) -> None:
    token = create_token(name="agent", scope="agent", user=cast.agent).plaintext
    deliver(reply(ticket))
    response = client.get(
        f"/api/tickets/{ticket.reference}/messages", headers={"Authorization": f"Bearer {token}"}
    )
    items = response.json()["items"]
    held = [m for m in items if "delete the production channel" in m["body_text"]]
    assert [(m["held"], m["public"]) for m in held] == [(True, False)]
    assert not any(m["held"] for m in items if m not in held)


def test_a_held_reply_does_not_keep_a_linked_incidents_ticket_open(cast, stub, ticket) -> None:
    # The incident's end solves the ticket unless the customer wrote since: a reply nobody
    # proved is not the customer writing.
    from capdesk.tickets.incidents import link_incident, on_incident_resolved

    link_incident(ticket, "inc-1")
    deliver(reply(ticket))
    on_incident_resolved(None, public_id="inc-1", name="Updates delayed", url="https://status.example/inc-1")
    ticket.refresh_from_db()
    assert ticket.status == "solved"


def test_the_history_says_why_a_reply_was_held(cast, stub, ticket) -> None:
    deliver(reply(ticket))
    event = ticket.events.get(kind="sender.identified")
    assert event.reason == "reply, unverified sender, held until confirmed: no DKIM signature"
