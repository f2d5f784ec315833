from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from capdesk.console.filters import Cursor, by_deadline, page_by_deadline
from capdesk.testing.requests import open_for
from capdesk.tickets.models import Ticket


@pytest.fixture
def queue(cast):
    """Nine tickets: deadlines past, present, future and none, with ties on deadline and on creation."""
    now = timezone.now().replace(microsecond=123456)
    deadlines = [
        now + timedelta(hours=3),
        None,
        now - timedelta(hours=1),
        None,
        now + timedelta(hours=3),
        now,
    ]
    deadlines += [now + timedelta(hours=3), None, now]
    for n, deadline in enumerate(deadlines):
        ticket = open_for(cast.developer, f"Ticket {n}", email="dewi@acme.test", project=cast.project)
        # Tickets 6 and 7 are created at the same instant as 0 and 3: only the id tells them apart.
        minutes = {6: 10, 7: 3}.get(n, n if n % 2 else 10 - n)
        Ticket.objects.filter(pk=ticket.pk).update(
            next_deadline=deadline, created_at=now - timedelta(minutes=minutes)
        )
    return [t.pk for t in by_deadline(Ticket.objects.all())]


@pytest.mark.parametrize("size", [1, 3, 4, 6, 9, 50])
def test_it_reads_the_first_page_in_the_same_order_as_one_nulls_last_query(queue, size):
    page, more = page_by_deadline(Ticket.objects.all(), size)
    assert [t.pk for t in page] == queue[:size]
    assert (more is not None) == (size < len(queue))


@pytest.mark.parametrize("size", [1, 2, 4, 5])
def test_it_walks_every_page_from_cursor_to_cursor_without_a_repeat_or_a_gap(queue, size):
    seen: list[int] = []
    after = None
    for _ in range(len(queue) + 1):
        page, after = page_by_deadline(Ticket.objects.all(), size, after)
        seen += [t.pk for t in page]
        if after is None:
            break
        # The cursor goes through the URL as text and comes back the same.
        after = Cursor.parse(after.token())
    assert seen == queue


def test_it_starts_again_at_the_top_for_a_cursor_it_did_not_write():
    for token in ["", "x", "1.2", "-.-.3", "1.2.3.4", "a.2.3", "9" * 40 + ".1.1", "-.1.-1"]:
        assert Cursor.parse(token) is None


def test_a_cursor_keeps_its_instants_to_the_microsecond():
    cursor = Cursor(
        datetime(2026, 11, 27, 9, 30, 1, 999999, tzinfo=UTC), datetime(1999, 1, 1, tzinfo=UTC), 42
    )
    assert Cursor.parse(cursor.token()) == cursor
    assert Cursor.parse(Cursor(None, cursor.created_at, 7).token()) == Cursor(None, cursor.created_at, 7)
