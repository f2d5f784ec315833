"""What became of each email of the conversation: shown on the agent's message, never to the customer."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from django.test import Client

from capdesk.intake import actions as intake
from capdesk.notify import suppressions
from capdesk.notify.actions import deliver
from capdesk.notify.models import OutboundEmail, Suppression
from capdesk.portal.actions import user_for_person
from capdesk.testing.requests import open_for
from capdesk.tickets import actions as tickets
from capdesk.tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db


def _ticket(cast) -> Ticket:
    return open_for(cast.developer, "Bundle stuck", email="dewi@acme.test", project=cast.project, body="Help")


def _line(client: Client, ticket: Ticket, message: Message) -> str:
    page = client.get(f"/console/tickets/{ticket.reference}/").content.decode()
    at = page.find(f'id="delivery-{message.pk}"')
    return page[page.rfind("<p ", 0, at) : page.find("</p>", at)] if at >= 0 else ""


def _reply(ticket: Ticket, cast, body: str = "Try channel set.") -> tuple[Message, OutboundEmail]:
    message = tickets.reply_as_agent(ticket, agent=cast.agent, body=body)
    email = OutboundEmail.objects.get(ticket=ticket, **{"headers__Message-ID": message.message_id})
    return message, email


def _bounced(email: OutboundEmail, said: str) -> None:
    """A genuine report that ``email`` failed for good, saying ``said``."""
    suppressions.record_bounce(
        email.to, OutboundEmail.objects.filter(pk=email.pk), said=said, at=email.created_at
    )


def test_each_replys_email_shows_queued_then_sent(client: Client, cast) -> None:
    ticket = _ticket(cast)
    client.force_login(cast.agent)
    message, email = _reply(ticket, cast)
    assert "Waiting to be emailed to dewi@acme.test." in _line(client, ticket, message)
    assert deliver(email.pk)
    assert "Emailed to dewi@acme.test at " in _line(client, ticket, message)


def test_a_bounce_a_suppression_and_a_failure_show_on_their_message(client: Client, cast) -> None:
    ticket = _ticket(cast)
    client.force_login(cast.agent)
    bounced, email = _reply(ticket, cast, "First")
    deliver(email.pk)
    _bounced(email, "5.1.1 no such user")
    line = _line(client, ticket, bounced)
    assert "Not delivered to dewi@acme.test:" in line and "5.1.1 no such user" in line and "warn" in line
    event = ticket.events.get(kind="email.undelivered")
    assert (event.reason, event.data["email"]) == ("5.1.1 no such user", email.pk)
    assert (
        "The email to dewi@acme.test did not arrive"
        in client.get(f"/console/tickets/{ticket.reference}/").content.decode()
    )

    held, email = _reply(ticket, cast, "Second")
    deliver(email.pk)  # the bounce put the address on the list
    assert "Not emailed: dewi@acme.test was on the suppression list." in _line(client, ticket, held)

    suppressions.lift("dewi@acme.test", why="test")
    failed, email = _reply(ticket, cast, "Third")
    OutboundEmail.objects.filter(pk=email.pk).update(state="failed", last_error="SMTPRecipientsRefused: 550")
    assert "Could not be emailed to dewi@acme.test:" in _line(client, ticket, failed)
    assert not Suppression.objects.exists()


def test_the_standard_reply_shows_its_email_and_the_customers_message_none(client: Client, cast) -> None:
    raw = (
        b"From: Omar <omar@unknown.test>\r\nTo: support@capgo.app\r\nSubject: Help\r\n"
        b"Message-ID: <m1@unknown.test>\r\n\r\nOur bundle does not apply.\r\n"
    )
    receipt = intake.receive(channel="email", raw=raw)
    intake.process(receipt.request.pk)
    ticket = Ticket.objects.get()
    client.force_login(cast.agent)
    system = ticket.messages.get(author_kind=Message.Author.SYSTEM)
    customer = ticket.messages.get(author_kind=Message.Author.CUSTOMER)
    assert "Waiting to be emailed to omar@unknown.test." in _line(client, ticket, system)
    assert _line(client, ticket, customer) == ""


def test_the_customer_never_sees_the_delivery_lines(client: Client, cast) -> None:
    ticket = _ticket(cast)
    _reply(ticket, cast)
    client.force_login(user_for_person(cast.developer))
    page = client.get(f"/portal/requests/{ticket.reference}/").content.decode()
    assert "Try channel set." in page and "emailed" not in page.lower()


def test_an_answer_citing_only_the_agents_email_joins_its_ticket(cast) -> None:
    ticket = _ticket(cast)
    _message, email = _reply(ticket, cast)
    answer = EmailMessage()
    answer["From"], answer["To"], answer["Subject"] = (
        "dewi@acme.test",
        "support@capgo.app",
        "Re: your question",
    )
    answer["Message-ID"], answer["In-Reply-To"] = "<a1@acme.test>", email.headers["Message-ID"]
    answer.set_content("Version 6.2.1, on iOS.")
    receipt = intake.receive(channel="email", raw=answer.as_bytes())
    intake.process(receipt.request.pk)
    assert Ticket.objects.count() == 1
    assert ticket.messages.filter(body_text__contains="Version 6.2.1").exists()


def test_the_agents_page_is_in_indonesian(client: Client, cast) -> None:
    ticket = _ticket(cast)
    _message, _email = _reply(ticket, cast)
    client.force_login(cast.agent)
    page = client.get(f"/console/tickets/{ticket.reference}/", HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert "Menunggu dikirim lewat email ke dewi@acme.test." in page


def test_the_delivery_line_follows_a_merged_message(client: Client, cast) -> None:
    from capdesk.tickets.merging import merge_tickets

    ticket = _ticket(cast)
    message, email = _reply(ticket, cast)
    deliver(email.pk)
    kept = _ticket(cast)
    merge_tickets(ticket, kept, agent=cast.agent)
    client.force_login(cast.agent)
    assert "Emailed to dewi@acme.test at " in _line(client, kept, message)


def test_a_customer_message_reusing_our_message_id_shows_no_line(client: Client, cast) -> None:
    ticket = _ticket(cast)
    _message, email = _reply(ticket, cast)
    copy = tickets.record_customer_reply(
        ticket,
        body="Quoting you",
        person=cast.developer,
        author_email="dewi@acme.test",
        message_id=email.headers["Message-ID"],
    )
    client.force_login(cast.agent)
    assert _line(client, ticket, copy) == ""


def test_a_reply_posted_with_htmx_shows_its_line_at_once(client: Client, cast) -> None:
    ticket = _ticket(cast)
    client.force_login(cast.agent)
    fragment = client.post(
        f"/console/tickets/{ticket.reference}/reply/", {"body": "On its way."}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Waiting to be emailed to dewi@acme.test." in fragment


def test_an_agent_sends_again_an_email_that_did_not_arrive_once(client: Client, cast) -> None:
    ticket = _ticket(cast)
    message, email = _reply(ticket, cast)
    deliver(email.pk)
    _bounced(email, "5.2.2 mailbox full")
    client.force_login(cast.agent)
    line = _line(client, ticket, message)
    assert "Send again" in line  # 5.2.2 is no dead address: nothing suppressed, the button is there
    url = f"/console/tickets/{ticket.reference}/emails/{email.pk}/send-again/"
    page = client.post(url, follow=True).content.decode()
    assert "The email to dewi@acme.test goes out again." in page
    assert "Waiting to be emailed to dewi@acme.test." in _line(client, ticket, message)
    client.post(url)  # a second click queues nothing twice
    assert ticket.events.filter(kind="email.sent_again").count() == 1
    assert deliver(email.pk) is True
    email.refresh_from_db()
    assert (email.state, email.bounced_at, email.attempts) == ("sent", None, 1)


def test_no_button_while_the_address_is_suppressed_and_none_for_another_tickets_email(
    client: Client, cast
) -> None:
    ticket = _ticket(cast)
    message, email = _reply(ticket, cast)
    suppressions.suppress("dewi@acme.test", reason=Suppression.Reason.BOUNCE)
    deliver(email.pk)
    client.force_login(cast.agent)
    assert "Send again" not in _line(client, ticket, message)
    other = _ticket(cast)
    assert client.post(f"/console/tickets/{other.reference}/emails/{email.pk}/send-again/").status_code == 404
    assert _state_of(email) == "suppressed"


def _state_of(email: OutboundEmail) -> str:
    email.refresh_from_db()
    return email.state
