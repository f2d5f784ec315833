"""Review 74: a request held until its sender confirms (E3) is hidden from every customer
(``scoping.shown_to_customers``), but merging moves its messages, unconfirmed, into a ticket
its requester does see: the forger's text then reads in her portal as her own.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from capdesk.intake.tests.test_held_requests import FORGED, as_agent, as_customer, forged_request
from capdesk.testing.factories import Personas
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets.models import Ticket


def _genuine(cast: Personas, forged: Ticket) -> Ticket:
    """Dewi's own earlier request, signed in: the duplicate an agent would merge the held one into."""
    return ticket_actions.open_ticket(
        subject="Invoice question",
        body="Which account do we pay the invoice to?",
        channel="portal",
        requester=cast.developer,
        requester_email="dewi@acme.test",
        organization=forged.organization,
        project=forged.project,
    )


def test_a_held_request_cannot_be_merged_into_a_ticket_its_requester_sees(cast: Personas, stub) -> None:
    forged = forged_request()
    genuine = _genuine(cast, forged)
    agent = as_agent(cast)
    answer = agent.post(
        f"/console/tickets/{forged.reference}/merge/", {"into": genuine.reference, "confirm": "on"}
    )
    assert answer.status_code == 302
    page = as_customer(cast.developer).get(f"/portal/requests/{genuine.reference}/").content.decode()
    # Expected: the merge refused (or the moved messages kept held). Found: the forged
    # payment instructions in Dewi's portal, on her own request, as written by her.
    assert FORGED not in page


def test_a_request_cannot_be_merged_into_a_held_one_and_vanish_from_its_requesters_portal(
    cast: Personas, stub
) -> None:
    from capdesk.tickets import merging

    forged = forged_request()
    genuine = _genuine(cast, forged)
    with pytest.raises(merging.MergeRefused, match="confirm"):
        merging.merge_tickets(
            genuine, forged, agent=User.objects.get(pk=cast.agent.pk), notify_requester=True
        )
    # Dewi's own conversation stays on the ticket she opens.
    detail = as_customer(cast.developer).get(f"/portal/requests/{genuine.reference}/")
    assert detail.status_code == 200 and "Which account do we pay" in detail.content.decode(), (
        detail.status_code
    )


def test_a_macro_on_a_held_request_fills_no_portal_link_its_reader_cannot_open(cast: Personas, stub) -> None:
    """The agent reply's own footer drops the portal link on a held request (notify_customer),
    but a macro's {portal_url} still fills it in: the requester is emailed a link that 404s."""
    from capdesk.console.macros import render_macro
    from capdesk.console.models import Macro

    agent = User.objects.get(pk=cast.agent.pk)
    macro = Macro.objects.create(owner=agent, title="Follow", body="Follow it at {portal_url}", shared=False)
    forged = forged_request()
    chosen = render_macro(f"m:{macro.pk}", forged, agent)
    assert chosen is not None
    assert "/portal/requests/" not in chosen.body, chosen.body
