"""The confirmation page: its answer is not an automatic reply, it says what was emailed, and it
speaks the language its email was written in (walkthrough: Hiro's withheld answer, Dewi's English page)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from capdesk.intake.models import SenderConfirmation
from capdesk.notify import suppressions
from capdesk.notify.models import OutboundEmail, Suppression
from capdesk.portal.actions import user_for_person
from capdesk.testing.factories import Personas
from capdesk.testing.requests import send_plain_email
from capdesk.tickets.models import Event, Ticket

BODY = "Bundle 1.4.2 is never downloaded on the production channel of com.acme.shop. How do we debug it?"


def held(subject: str) -> tuple[Ticket, str]:
    """A held request in Dewi's name, and the confirmation link its email carried."""
    request = send_plain_email("dewi@acme.test", subject, BODY)
    assert request.ticket is not None and request.ticket.outcome == "verify_sender"
    email = OutboundEmail.objects.get(ticket=request.ticket, kind="reply.verify_sender")
    found = re.search(r"/confirm/[\w-]+/", email.body_text)
    assert found is not None
    return request.ticket, found.group(0)


@pytest.fixture
def one_a_day(settings: Settings) -> None:
    settings.CAPDESK_AUTO_REPLIES_PER_DAY = 1


def test_the_answer_after_a_click_is_emailed_though_the_days_limit_was_reached(
    cast: Personas, stub, one_a_day: None
) -> None:
    ticket, link = held("Live update not applied")  # the link used up the day's one automatic reply
    page = Client().post(link)
    assert page.status_code == 200
    assert "Our answer is on its way to your inbox." in page.content.decode()
    answer = OutboundEmail.objects.filter(ticket=ticket, kind__startswith="reply.").latest("pk")
    assert answer.kind != "reply.verify_sender" and not answer.automatic
    assert not Event.objects.filter(ticket=ticket, kind="email.withheld").exists()
    # The answer used nothing up: the address's mail is still limited as before.
    assert OutboundEmail.objects.filter(to="dewi@acme.test", automatic=True).count() == 1


def test_the_page_says_the_answer_was_not_emailed_when_its_address_takes_no_mail(
    cast: Personas, stub
) -> None:
    ticket, link = held("Live update not applied")
    # The requester of a follow-up may differ from the From; here the address is suppressed after.
    confirmation = SenderConfirmation.objects.get(ticket=ticket)
    ticket.requester_email = "old@acme.test"
    ticket.save(update_fields=["requester_email"])
    suppressions.suppress("old@acme.test", reason=Suppression.Reason.BOUNCE)
    page = Client().post(link).content.decode()
    assert "We could not email our answer to your address: read it in the portal." in page
    assert "on its way" not in page and confirmation.email == "dewi@acme.test"


@pytest.mark.parametrize(
    ("language", "heading", "confirmed"),
    [
        ("en", "Confirm your request", "Our answer is on its way to your inbox."),
        ("id", "Konfirmasi permintaan Anda", "Jawaban kami segera tiba di kotak masuk Anda."),
    ],
)
def test_the_page_speaks_the_language_its_email_was_written_in(
    cast: Personas, stub, language: str, heading: str, confirmed: str
) -> None:
    cast.developer.language = language
    cast.developer.save()
    _, link = held("Live update not applied")
    browser = Client(headers={"Accept-Language": "de" if language == "id" else "id"})
    page = browser.get(link)
    assert heading in page.content.decode() and page["Content-Language"] == language
    assert confirmed in browser.post(link).content.decode()


@pytest.mark.parametrize(
    ("language", "says"), [("en", "This link is not valid"), ("id", "Tautan ini tidak valid")]
)
def test_a_tampered_link_is_not_valid_rather_than_expired(
    cast: Personas, stub, language: str, says: str
) -> None:
    _, link = held("Live update not applied")
    tampered = link[:-5] + ("A" if link[-5] != "A" else "B") + link[-4:]
    page = Client(headers={"Accept-Language": language}).get(tampered)
    assert page.status_code == 404
    assert says in page.content.decode() and "expired" not in page.content.decode()
    assert Client().post(tampered).status_code == 404
    assert SenderConfirmation.objects.get().confirmed_at is None


def test_once_confirmed_the_please_confirm_reply_leaves_the_customers_conversation(
    cast: Personas, stub
) -> None:
    """It spoke to whoever sent the email, before proof, and its link is spent: agents keep it;
    the portal showed it after confirmation with "[link sent only to …]" in it."""
    ticket, link = held("Live update not applied")
    please = ticket.messages.get(author_kind="system")
    Client().post(link)
    please.refresh_from_db()
    assert not please.public, "kept for agents only"
    customer = Client()
    customer.force_login(user_for_person(cast.developer))
    page = customer.get(f"/portal/requests/{ticket.reference}/").content.decode()
    assert please.body_html not in page
    answer = ticket.messages.filter(author_kind="system", public=True).get()
    assert answer.body_html in page, "the answer the confirmation brought is the customer's"
