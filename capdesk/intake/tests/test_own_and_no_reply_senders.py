"""Mail from the desk's own addresses is a loop: no ticket, no reply. Mail from a no-reply
mailbox may open a ticket, but is never answered automatically (tickets.mailboxes)."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from django.contrib.auth.models import User
from django.test import Client
from pytest_django.fixtures import Settings

from capdesk.console import history
from capdesk.intake import actions
from capdesk.intake.models import InboundRequest
from capdesk.notify.models import OutboundEmail
from capdesk.testing.factories import Personas
from capdesk.tickets.models import Ticket
from capdesk.tickets.reply_address import reply_address

pytestmark = pytest.mark.django_db


def deliver(
    sender: str, subject: str = "Loop test", *, message_id: str = "<m-1@example.test>"
) -> InboundRequest:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, "support@capgo.app", subject
    mail["Message-ID"] = message_id
    mail.set_content("Hello, this is a message.")
    request = actions.receive(channel="email", raw=mail.as_bytes()).request
    assert actions.process(request.pk)
    request.refresh_from_db()
    assert request.state == InboundRequest.State.PROCESSED, request.reason
    return request


@pytest.mark.parametrize(
    "sender",
    [
        "Capgo Support <support@capgo.app>",
        "SUPPORT@Capgo.App",
        "help@capgo.app",  # an alias
        "hello@capgo.app",  # the address the desk's mail is sent From
    ],
)
def test_mail_from_the_desks_own_address_is_recorded_as_a_loop_and_never_answered(
    settings: Settings, sender: str
) -> None:
    settings.CAPDESK_SUPPORT_ALIASES = ["help@capgo.app"]
    settings.DEFAULT_FROM_EMAIL = "Capgo <hello@capgo.app>"
    request = deliver(sender)
    assert request.ticket is None
    address = sender.rpartition("<")[2].rstrip(">").lower()
    assert request.reason == f"mail loop refused (from the desk's own address {address}): no ticket, no reply"
    assert not Ticket.objects.exists()
    assert not OutboundEmail.objects.exists()


def test_mail_from_a_tickets_own_reply_address_is_a_loop_too(cast: Personas) -> None:
    first = deliver("andi@gmail.test", "My app crashes")
    assert first.ticket is not None
    request = deliver(reply_address(first.ticket.pk), message_id="<m-2@example.test>")
    assert request.ticket is None
    assert request.reason.startswith("mail loop refused")
    assert Ticket.objects.count() == 1


def test_the_admins_find_the_loop_in_the_intake_log(client: Client, cast: Personas) -> None:
    request = deliver("support@capgo.app")
    assert isinstance(cast.admin, User)
    client.force_login(cast.admin)
    html = client.get("/console/intake/").content.decode()
    row = html[html.index(f'<tr data-request="{request.pk}">') :]
    assert (
        "mail loop refused (from the desk&#x27;s own address support@capgo.app)" in row[: row.index("</tr>")]
    )


def test_a_no_reply_sender_opens_tickets_that_are_never_answered(cast: Personas) -> None:
    # A robot announcing each ticket of ours with a new subject: answering it would start a loop.
    for i in range(6):
        deliver("noreply-bot@robot.example", f"Ticket #{i} received", message_id=f"<bot-{i}@robot.example>")
    assert Ticket.objects.count() == 6
    assert not OutboundEmail.objects.exists()


def test_the_agents_read_why_no_acknowledgement_went_to_a_no_reply_sender(cast: Personas) -> None:
    ticket = deliver("GitHub <notifications@github.example>", "Build failed on main").ticket
    assert ticket is not None
    withheld = ticket.events.get(kind="email.withheld")
    assert withheld.data == {"address": "notifications@github.example", "no_reply": True}
    lines = [line.text for line in history.lines(ticket.events.all())]
    assert (
        "The standard reply was not emailed to notifications@github.example: it is an automatic "
        "mailbox (no-reply) that nobody reads"
    ) in lines
    # The reply the customer would have read stays on the ticket, for the agents.
    assert ticket.messages.filter(author_kind="system").exists()


def test_the_ticket_page_says_the_reply_was_not_emailed_to_a_mailbox_nobody_reads(
    client: Client, cast: Personas
) -> None:
    ticket = deliver("noreply@robot.example", "Your export is ready").ticket
    assert ticket is not None
    assert isinstance(cast.agent, User)
    client.force_login(cast.agent)
    html = client.get(f"/console/tickets/{ticket.reference}/").content.decode()
    assert "Not emailed to noreply@robot.example: an automatic mailbox (no-reply) that nobody reads." in html
    assert "limit of automatic replies" not in html
