from datetime import timedelta

import pytest
from django.utils import timezone

from capdesk.console.filters import by_deadline, first_by_deadline
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets.models import Ticket


@pytest.mark.parametrize("size", [1, 3, 4, 6, 50])
def test_it_reads_the_first_page_in_the_same_order_as_one_nulls_last_query(cast, size):
    now = timezone.now()
    deadlines = [
        now + timedelta(hours=3),
        None,
        now - timedelta(hours=1),
        None,
        now + timedelta(hours=3),
        now,
    ]
    for n, deadline in enumerate(deadlines):
        ticket = ticket_actions.open_ticket(
            subject=f"Ticket {n}",
            body="body",
            channel="portal",
            requester=cast.developer,
            requester_email="dewi@acme.test",
            project=cast.project,
        )
        Ticket.objects.filter(pk=ticket.pk).update(
            next_deadline=deadline, created_at=now - timedelta(minutes=n if n % 2 else 10 - n)
        )
    expected = [t.pk for t in by_deadline(Ticket.objects.all())[:size]]
    assert [t.pk for t in first_by_deadline(Ticket.objects.all(), size)] == expected
    assert len(expected) == min(size, len(deadlines))
