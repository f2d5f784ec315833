"""A name with a comma in the copy fields, and follows_up on a ticket closed more than once (review 64)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from capdesk.testing.requests import file_portal_request
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets import copies
from capdesk.tickets.models import Status, Ticket

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _ticket(cast) -> Ticket:
    return file_portal_request(cast.developer, "Bundle not applied", "Bundle 1.4.2 is never applied.")


def test_it_copies_an_address_whose_display_name_holds_a_comma(cast, client) -> None:
    """Outlook and Gmail copy a contact as "Last, First" <address>. Before 2779649 the console's
    field took it whole (address_of); split_typed now cuts it at the comma and refuses it."""
    ticket = _ticket(cast)
    client.force_login(cast.agent)
    client.post(f"/console/tickets/{ticket.reference}/copied/", {"email": '"Santoso, Rudi" <rudi@acme.test>'})
    assert copies.addresses(ticket) == ["rudi@acme.test"]


def test_it_opens_a_follow_up_for_an_answer_received_while_the_ticket_was_closed(cast) -> None:
    """Closed at T1, reopened at T2, closed again at T3: an answer received between T1 and T2
    reached a closed ticket (closed is final). follows_up compares with the latest close
    only (T3), so the answer joins and reopens the ticket."""
    with time_machine.travel(T0, tick=False) as clock:
        ticket = _ticket(cast)
        clock.shift(timedelta(hours=1))
        ticket_actions.change_status(ticket, Status.CLOSED, agent=cast.agent)  # T1
        clock.shift(timedelta(hours=1))
        received_while_closed = T0 + timedelta(hours=2)
        clock.shift(timedelta(hours=1))
        ticket_actions.change_status(ticket, Status.OPEN, agent=cast.agent)  # T2
        clock.shift(timedelta(hours=1))
        ticket_actions.change_status(ticket, Status.CLOSED, agent=cast.agent)  # T3
    ticket.refresh_from_db()
    assert ticket_actions.follows_up(ticket, received_at=received_while_closed)
