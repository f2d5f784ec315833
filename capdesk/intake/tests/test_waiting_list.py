"""Five forged emails must not silence a customer's email channel: a confirmation link the daily
limit withholds goes out in the address's one list a day of what waits for its confirmation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from capdesk.intake.models import SenderConfirmation
from capdesk.intake.waiting import LIST_KIND, email_waiting
from capdesk.notify.models import OutboundEmail
from capdesk.testing.factories import Personas
from capdesk.testing.requests import send_plain_email
from capdesk.tickets.models import Event, Ticket

GENUINE = "Production bundle is crashing on all devices"


def forge(n: int) -> None:
    for i in range(n):
        send_plain_email("dewi@acme.test", f"Forged request {i}", "Pay the new account number from now on.")


def genuine() -> Ticket:
    request = send_plain_email("dewi@acme.test", GENUINE, "Every device crashes after bundle 4.2.0. Help!")
    assert request.ticket is not None and request.ticket.outcome == "verify_sender"
    return request.ticket


def lists() -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(kind=LIST_KIND).order_by("pk"))


def links(email: OutboundEmail) -> dict[str, str]:
    """The list's links by the subject they are listed under."""
    return dict(re.findall(r"^- (.+) \(received .+\)\n  \S+(/confirm/[\w-]+/)$", email.body_text, re.M))


def test_after_five_forged_emails_a_genuine_requests_link_is_withheld_then_listed(
    cast: Personas, stub
) -> None:
    forge(5)
    assert OutboundEmail.objects.filter(to="dewi@acme.test", kind="reply.verify_sender").count() == 5
    ticket = genuine()
    assert not OutboundEmail.objects.filter(ticket=ticket).exists()
    withheld = SenderConfirmation.objects.get(ticket=ticket)
    assert withheld.emailed_at is None
    assert Event.objects.get(ticket=ticket, kind="email.withheld").data["link"] is True
    assert email_waiting() == 0  # a burst is gathered before its list goes
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        assert email_waiting() == 1
        [listing] = lists()
        assert listing.to == "dewi@acme.test" and not listing.automatic
        assert listing.headers["Auto-Submitted"] == "auto-generated"
        found = links(listing)
        assert set(found) == {GENUINE, *(f"Forged request {i}" for i in range(5))}
        assert Client().post(found[GENUINE]).status_code == 200
    ticket.refresh_from_db()
    assert ticket.outcome != "verify_sender"
    answer = OutboundEmail.objects.filter(ticket=ticket, kind__startswith="reply.").latest("pk")
    assert answer.to == "dewi@acme.test" and not answer.automatic
    assert Event.objects.filter(ticket=ticket, kind="confirmation.emailed", data__by="list").exists()


def test_a_list_replaces_the_links_emailed_before_it(cast: Personas, stub) -> None:
    forge(1)
    first = OutboundEmail.objects.get(kind="reply.verify_sender")
    old = re.search(r"/confirm/[\w-]+/", first.body_text)
    assert old is not None
    forge_more = [f"Forged request {i}" for i in range(1, 6)]
    for subject in forge_more:
        send_plain_email("dewi@acme.test", subject, "Pay the new account number from now on.")
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        assert email_waiting() == 1
    assert Client().get(old.group(0)).status_code == 404  # not valid: the list's link replaced it


def test_one_list_a_day_however_many_forgeries_follow(cast: Personas, stub) -> None:
    forge(6)
    start = timezone.now()
    with time_machine.travel(start + timedelta(minutes=11)):
        assert email_waiting() == 1
        send_plain_email("dewi@acme.test", "Forged request 6", "More of the same.")
    with time_machine.travel(start + timedelta(hours=2)):
        assert email_waiting() == 0
    with time_machine.travel(start + timedelta(hours=24, minutes=12)):
        send_plain_email("dewi@acme.test", "Forged request 7", "And again.")  # the day's limit is free again
        assert email_waiting() == 1
        second = lists()[-1]
        assert "Forged request 6" in links(second)
    assert len(lists()) == 2


def test_nothing_is_listed_once_confirmed_in_the_meantime(cast: Personas, stub) -> None:
    forge(5)
    ticket = genuine()
    SenderConfirmation.objects.filter(ticket=ticket).update(confirmed_at=timezone.now())
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        assert email_waiting() == 0
    assert lists() == []


@pytest.mark.parametrize(
    ("language", "subject", "says"),
    [
        (
            "en",
            "Please confirm the 6 emails sent in your name",
            "We did not email you a link for each at once",
        ),
        ("id", "Mohon konfirmasi 6 email yang dikirim atas nama Anda", "Kami tidak langsung mengirim tautan"),
    ],
)
def test_the_list_is_written_in_the_customers_language(
    cast: Personas, stub, language: str, subject: str, says: str
) -> None:
    cast.developer.language = language
    cast.developer.save()
    forge(6)
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        email_waiting()
    [listing] = lists()
    assert listing.subject == subject and says in listing.body_text
    assert "/portal/waiting/" in listing.body_text


def test_a_list_names_the_newest_and_counts_the_rest(
    cast: Personas,
    stub,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from capdesk.intake import waiting

    monkeypatch.setattr(waiting, "LIST_SIZE", 6)
    forge(8)
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        assert email_waiting() == 1
    [listing] = lists()
    assert set(links(listing)) == {f"Forged request {i}" for i in range(2, 8)}
    assert "And 2 more: the portal lists them all." in listing.body_text
    assert listing.subject == "Please confirm the 8 emails sent in your name"
    assert "We received 8 emails sent in the name of this address" in listing.body_text
