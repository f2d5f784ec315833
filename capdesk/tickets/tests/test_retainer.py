"""R1: a Premium Support retainer covers X1-X3, and the agent's time is booked against its month."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from capdesk.intake import actions as intake
from capdesk.intake.web_channel import encode_payload
from capdesk.portal.actions import user_for_person
from capdesk.testing.requests import file_portal_request
from capdesk.tickets.models import Event, RetainerBooking, Ticket
from capdesk.tickets.retainer import NotCovered, book_time, month_use

OWN_CODE = (
    "Please review our Angular router code",
    "After the update our own app.routes.ts throws 'Cannot match any routes' on /orders/123. "
    "Could your team debug our application code and fix our lazy-loaded modules?",
)


def _file(person) -> Ticket:
    return file_portal_request(person, *OWN_CODE, project="com.acme.shop")


@pytest.fixture
def retainer(cast):
    cast.org.premium_support = True
    cast.org.save()
    return cast


@time_machine.travel(datetime(2026, 11, 10, 9, tzinfo=UTC), tick=False)
def test_time_is_booked_and_what_exceeds_four_hours_is_overage(retainer):
    ticket = _file(retainer.developer)
    assert ticket.decisions.get().book_retainer
    book_time(ticket, agent=retainer.agent, minutes=200)
    second = book_time(ticket, agent=retainer.agent, minutes=70, note="call with their team")
    assert (second.covered_minutes, second.overage_minutes) == (40, 30)
    assert str(second.overage_eur) == "125.00"  # EUR 250 an extra hour, pro rata
    use = month_use(retainer.org)
    assert (use.used, use.remaining, use.overage_minutes) == (270, 0, 30)
    assert Event.objects.filter(ticket=ticket, kind="retainer.booked").count() == 2


def test_unused_hours_do_not_roll_over(retainer):
    with time_machine.travel(datetime(2026, 10, 30, 9, tzinfo=UTC), tick=False):
        ticket = _file(retainer.developer)
        book_time(ticket, agent=retainer.agent, minutes=30)
    with time_machine.travel(datetime(2026, 11, 2, 9, tzinfo=UTC), tick=False):
        use = month_use(retainer.org)
        assert (use.included, use.used) == (240, 0)
        booking = book_time(ticket, agent=retainer.agent, minutes=300)
        assert booking.overage_minutes == 60


def test_time_cannot_be_booked_on_a_ticket_the_retainer_does_not_cover(cast):
    ticket = _file(cast.developer)  # no retainer: redirected to the community
    with pytest.raises(NotCovered):
        book_time(ticket, agent=cast.agent, minutes=10)


def test_an_agent_books_time_from_the_ticket_page_and_sees_the_month(client, retainer):
    ticket = _file(retainer.developer)
    client.force_login(retainer.agent)
    page = client.get(f"/console/tickets/{ticket.reference}/").content.decode()
    assert "Premium Support retainer" in page and "0 of 240 min used" in page
    client.post(f"/console/tickets/{ticket.reference}/book-time/", {"minutes": "45", "note": "review"})
    assert RetainerBooking.objects.get().minutes == 45
    page = client.get(f"/console/tickets/{ticket.reference}/").content.decode()
    assert "45 of 240 min used" in page


def test_a_customer_cannot_book_time(client, retainer):
    ticket = _file(retainer.developer)
    client.force_login(user_for_person(retainer.developer))
    client.post(f"/console/tickets/{ticket.reference}/book-time/", {"minutes": "45"})
    assert not RetainerBooking.objects.exists()


@time_machine.travel(datetime(2026, 11, 10, 9, tzinfo=UTC), tick=False)
def test_the_decision_sees_the_hours_already_used_this_month(retainer):
    ticket = _file(retainer.developer)
    book_time(ticket, agent=retainer.agent, minutes=100)
    payload = {
        "kind": "new",
        "subject": "Help with our webpack config",
        "body": OWN_CODE[1] + " Also webpack.",
        "project": "com.acme.shop",
    }
    receipt = intake.receive(
        channel="portal",
        raw=encode_payload(payload),
        authenticated_person=retainer.developer,
        claimed_sender="dewi@acme.test",
    )
    intake.process(receipt.request.pk)
    receipt.request.refresh_from_db()
    assert receipt.request.ticket is not None
    reply = receipt.request.ticket.messages.get(author_kind="system").body_text
    assert "2.3 hours left this month" in reply  # 4 h included, 100 min already booked
