"""Emails waiting for the customer's confirmation (E3), in the portal: the customer sees what was
sent in their name and confirms or rejects it; nobody else sees or settles it, and the
unconfirmed text is never shown as theirs nor its files offered."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from django.test import Client

from capdesk.directory.models import Person
from capdesk.intake import actions as intake
from capdesk.intake.models import SenderConfirmation
from capdesk.intake.tests.conftest import stub  # noqa: F401  (the DNS the sender checks ask)
from capdesk.notify.models import OutboundEmail
from capdesk.portal.actions import user_for_person
from capdesk.testing.factories import Personas
from capdesk.testing.requests import file_portal_request, send_plain_email
from capdesk.tickets.models import Event, Message, Ticket

FORGED = "Silakan bayar ke rekening baru di http://evil.example/pay mulai bulan ini."


def forged_request() -> Ticket:
    """A request in Dewi's name, unsigned, with a file named to pass for an invoice."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "Dewi <dewi@acme.test>", "support@capgo.app", "Faktur baru"
    msg["Message-ID"] = "<forged-1@mail.acme.test>"
    msg.set_content(FORGED)
    msg.add_attachment(
        b"MZ not an invoice", maintype="application", subtype="octet-stream", filename="faktur.pdf.exe"
    )
    receipt = intake.receive(channel="email", raw=msg.as_bytes())
    intake.process(receipt.request.pk)
    receipt.request.refresh_from_db()
    ticket = receipt.request.ticket
    assert ticket is not None and ticket.outcome == "verify_sender"
    return ticket


def held_reply(cast: Personas) -> Message:
    """An unsigned reply in Dewi's name onto her own request: held until she confirms it."""
    ticket = file_portal_request(
        cast.developer, "Live update not applied", "Bundle never applied.", project="com.acme.shop"
    )
    send_plain_email(
        "dewi@acme.test", f"Re: [{ticket.reference}] Live update not applied", "Version 6.2, as asked."
    )
    return Message.objects.get(ticket=ticket, held=True)


def signed_in(person: Person) -> Client:
    client = Client()
    client.force_login(user_for_person(person))
    return client


def confirmation_of(ticket: Ticket) -> SenderConfirmation:
    return SenderConfirmation.objects.get(ticket=ticket, request__messages__held=False)


def test_the_customer_sees_what_waits_marked_unconfirmed_without_its_files(cast: Personas, stub) -> None:  # noqa: F811
    ticket = forged_request()
    reply = held_reply(cast)
    page = signed_in(cast.developer).get("/portal/waiting/").content.decode()
    assert "Faktur baru" in page and f"Re: [{reply.ticket.reference}] Live update not applied" in page
    assert "Not proven" in page and "Unconfirmed" in page
    # The text only as an excerpt marked unconfirmed; never a file to download, nor the ticket's page.
    assert page.count("rekening baru") == 1 and "faktur.pdf.exe" not in page and "/attachments/" not in page
    assert f"/portal/requests/{ticket.reference}/" not in page
    listing = signed_in(cast.developer).get("/portal/requests/").content.decode()
    assert "2 emails sent in your name wait for your confirmation." in listing


@pytest.mark.parametrize("persona", ["outsider", "reader", "org_admin"])
def test_nobody_else_sees_or_settles_them(cast: Personas, stub, persona: str) -> None:  # noqa: F811
    ticket = forged_request()
    pk = confirmation_of(ticket).pk
    client = signed_in(getattr(cast, persona))
    page = client.get("/portal/waiting/").content.decode()
    assert "Faktur baru" not in page and "No email waits for your confirmation." in page
    for action in ("confirm", "reject"):
        answer = client.post(f"/portal/waiting/{pk}/{action}/")
        assert answer.status_code == 302 and answer["Location"] == "/portal/waiting/"
    ticket.refresh_from_db()
    assert ticket.outcome == "verify_sender" and ticket.status == "on_hold"
    assert SenderConfirmation.objects.filter(pk=pk, confirmed_at=None, rejected_at=None).exists()


def test_anonymous_is_sent_to_sign_in_and_settles_nothing(cast: Personas, stub) -> None:  # noqa: F811
    ticket = forged_request()
    pk = confirmation_of(ticket).pk
    assert Client().get("/portal/waiting/")["Location"].startswith("/portal/sign-in/")
    for action in ("confirm", "reject"):
        assert Client().post(f"/portal/waiting/{pk}/{action}/")["Location"].startswith("/portal/sign-in/")
    ticket.refresh_from_db()
    assert ticket.outcome == "verify_sender"


def test_i_sent_this_confirms_a_request_as_its_link_would(cast: Personas, stub) -> None:  # noqa: F811
    ticket = forged_request()
    client = signed_in(cast.developer)
    answer = client.post(f"/portal/waiting/{confirmation_of(ticket).pk}/confirm/")
    assert answer["Location"] == f"/portal/requests/{ticket.reference}/"
    ticket.refresh_from_db()
    assert ticket.outcome != "verify_sender" and client.get(answer["Location"]).status_code == 200
    event = Event.objects.get(ticket=ticket, kind="sender.confirmed")
    assert event.data["via"] == "portal" and event.actor_person == cast.developer
    reply = OutboundEmail.objects.filter(ticket=ticket, kind__startswith="reply.").latest("pk")
    assert reply.kind != "reply.verify_sender" and not reply.automatic
    assert "No email waits" in client.get("/portal/waiting/").content.decode()


def test_i_sent_this_publishes_a_held_reply(cast: Personas, stub) -> None:  # noqa: F811
    reply = held_reply(cast)
    confirmation = SenderConfirmation.objects.get(request_id=reply.source_id)
    answer = signed_in(cast.developer).post(f"/portal/waiting/{confirmation.pk}/confirm/")
    assert answer["Location"] == f"/portal/requests/{reply.ticket.reference}/"
    reply.refresh_from_db()
    assert not reply.held and reply.public


def test_i_did_not_send_this_closes_a_request_as_forged_still_unseen(cast: Personas, stub) -> None:  # noqa: F811
    ticket = forged_request()
    confirmation = confirmation_of(ticket)
    client = signed_in(cast.developer)
    assert client.post(f"/portal/waiting/{confirmation.pk}/reject/")["Location"] == "/portal/waiting/"
    ticket.refresh_from_db()
    assert ticket.status == "closed" and ticket.outcome == "verify_sender"
    assert client.get(f"/portal/requests/{ticket.reference}/").status_code == 404
    assert Event.objects.get(ticket=ticket, kind="sender.rejected").actor_person == cast.developer
    confirmation.refresh_from_db()
    assert confirmation.rejected_at is not None
    # Its emailed link now says so rather than confirming it.
    email = OutboundEmail.objects.get(ticket=ticket, kind="reply.verify_sender")
    link = email.body_text.split("/confirm/")[1].split("/")[0]
    page = Client().get(f"/confirm/{link}/")
    assert page.status_code == 410 and "You told us you did not send this" in page.content.decode()
    assert Client().post(f"/confirm/{link}/").status_code == 410
    ticket.refresh_from_db()
    assert ticket.status == "closed"


def test_i_did_not_send_this_discards_a_held_reply(cast: Personas, stub) -> None:  # noqa: F811
    reply = held_reply(cast)
    confirmation = SenderConfirmation.objects.get(request_id=reply.source_id)
    signed_in(cast.developer).post(f"/portal/waiting/{confirmation.pk}/reject/")
    assert not Message.objects.filter(pk=reply.pk).exists()
    assert Event.objects.get(ticket=reply.ticket, kind="held_reply.rejected").actor_person == cast.developer


def test_the_genuine_request_after_five_forged_ones_is_in_the_portal(cast: Personas, stub) -> None:  # noqa: F811
    for i in range(5):
        send_plain_email("dewi@acme.test", f"Forged request {i}", "Pay the new account number from now on.")
    genuine = send_plain_email("dewi@acme.test", "Production bundle is crashing on all devices", "Help!")
    assert not OutboundEmail.objects.filter(ticket=genuine.ticket).exists()  # its link was withheld
    page = signed_in(cast.developer).get("/portal/waiting/").content.decode()
    assert "Production bundle is crashing on all devices" in page and page.count("I sent this") == 6


def test_the_page_is_in_indonesian_for_an_indonesian_customer(cast: Personas, stub) -> None:  # noqa: F811
    forged_request()
    client = signed_in(cast.developer)
    client.cookies["django_language"] = "id"
    page = client.get("/portal/waiting/").content.decode()
    assert "Email yang menunggu konfirmasi Anda" in page and "Saya yang mengirim ini" in page
    assert "Saya tidak mengirim ini" in page


def test_a_flood_shows_a_page_of_the_newest_and_says_how_many_wait(
    cast: Personas,
    stub,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from capdesk.portal import waiting_views

    monkeypatch.setattr(waiting_views, "PAGE_SIZE", 2)
    for i in range(3):
        send_plain_email("dewi@acme.test", f"Forged request {i}", "Pay the new account number from now on.")
    page = signed_in(cast.developer).get("/portal/waiting/").content.decode()
    assert "The 2 newest of 3" in page and "Forged request 2" in page and "Forged request 0" not in page
