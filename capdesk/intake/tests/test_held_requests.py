"""E3 for a new request: unsigned mail in a registered customer's name shows to no customer until that address confirms it.

The forgery from the support lead's walkthrough: a From of a registered person, no DKIM,
a new account number to pay and an attachment named to pass for an invoice. Shown in the
portal under her name, it read as her own message; it is an agent's alone until confirmed.
"""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from django.contrib.auth.models import User
from django.test import Client

from capdesk.api.actions import create_token
from capdesk.directory.models import Person
from capdesk.intake import actions as intake
from capdesk.notify.models import OutboundEmail
from capdesk.portal.actions import user_for_person
from capdesk.testing.factories import Personas
from capdesk.testing.requests import confirm_sender
from capdesk.tickets.models import Attachment, Ticket

FORGED = "Silakan bayar ke rekening baru di http://evil.example/pay mulai bulan ini."


def forged_request() -> Ticket:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = (
        "Dewi Developer <dewi@acme.test>",
        "support@capgo.app",
        "Faktur baru",
    )
    msg["Message-ID"] = "<forged-1@mail.acme.test>"
    msg.set_content(FORGED)
    msg.add_attachment(
        b"MZ\x90\x00 not an invoice",
        maintype="application",
        subtype="octet-stream",
        filename="faktur.pdf.exe",
    )
    receipt = intake.receive(channel="email", raw=msg.as_bytes())
    intake.process(receipt.request.pk)
    receipt.request.refresh_from_db()
    ticket = receipt.request.ticket
    assert ticket is not None and ticket.outcome == "verify_sender"
    return ticket


def as_customer(person: Person) -> Client:
    client = Client()
    client.force_login(user_for_person(person))
    return client


def portal_view(client: Client, ticket: Ticket) -> tuple[str, int, int]:
    """The request list's page, then the statuses of the request's page and of its attachment's download."""
    attachment = Attachment.objects.get(message__ticket=ticket)
    listing = client.get("/portal/requests/").content.decode()
    detail = client.get(f"/portal/requests/{ticket.reference}/")
    download = client.get(f"/portal/requests/{ticket.reference}/attachments/{attachment.pk}/")
    return listing, detail.status_code, download.status_code


def api_view(person: Person, ticket: Ticket) -> tuple[list[Any], int, int]:
    """The customer API's list of references, then the statuses of the ticket and its messages."""
    token = create_token(name="customer", scope="customer", person=person).plaintext
    client, auth = Client(), {"Authorization": f"Bearer {token}"}
    rows = client.get("/api/customer/tickets", headers=auth).json()["items"]
    one = client.get(f"/api/customer/tickets/{ticket.reference}", headers=auth)
    messages = client.get(f"/api/customer/tickets/{ticket.reference}/messages", headers=auth)
    return [r["reference"] for r in rows], one.status_code, messages.status_code


def as_agent(cast: Personas) -> Client:
    client = Client()
    client.force_login(User.objects.get(pk=cast.agent.pk))
    return client


confirm = confirm_sender


def test_a_held_request_shows_to_no_customer_not_even_its_requester(cast: Personas, stub) -> None:
    ticket = forged_request()
    for person in (cast.developer, cast.org_admin, cast.reader, cast.outsider):
        listing, detail, download = portal_view(as_customer(person), ticket)
        assert ticket.reference not in listing and FORGED not in listing, person
        assert (detail, download) == (404, 404), person
        references, one, messages = api_view(person, ticket)
        assert ticket.reference not in references and (one, messages) == (404, 404), person
    anonymous = Client().get(f"/portal/requests/{ticket.reference}/")
    assert anonymous.status_code == 302 and "/portal/sign-in/" in anonymous["Location"]


def test_agents_see_a_held_request_marked(cast: Personas, stub) -> None:
    ticket = forged_request()
    page = as_agent(cast).get(f"/console/tickets/{ticket.reference}/").content.decode()
    assert FORGED in page and 'id="held-request"' in page


def test_once_confirmed_the_request_shows_to_its_requester_as_usual(cast: Personas, stub) -> None:
    ticket = forged_request()
    confirm(ticket)
    ticket.refresh_from_db()
    assert ticket.outcome != "verify_sender"
    listing, detail, download = portal_view(as_customer(cast.developer), ticket)
    assert ticket.reference in listing and (detail, download) == (200, 200)
    references, one, messages = api_view(cast.developer, ticket)
    assert ticket.reference in references and (one, messages) == (200, 200)
    # Confirmed by its sender, it is an ordinary request: the outsider still sees nothing.
    _, detail, download = portal_view(as_customer(cast.outsider), ticket)
    assert (detail, download) == (404, 404)
    assert (
        'id="held-request"'
        not in as_agent(cast).get(f"/console/tickets/{ticket.reference}/").content.decode()
    )


def test_an_agents_reply_to_a_held_request_links_no_portal_page_it_cannot_open(cast: Personas, stub) -> None:
    from capdesk.tickets.actions import reply_as_agent

    ticket = forged_request()
    reply_as_agent(ticket, agent=User.objects.get(pk=cast.agent.pk), body="Did you write this?")
    [email] = OutboundEmail.objects.filter(ticket=ticket, kind="agent_reply")
    assert "/portal/requests/" not in email.body_text
    confirm(ticket)
    ticket.refresh_from_db()
    reply_as_agent(ticket, agent=User.objects.get(pk=cast.agent.pk), body="Thanks, on it.")
    assert "/portal/requests/" in OutboundEmail.objects.filter(kind="agent_reply").latest("pk").body_text
