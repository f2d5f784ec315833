"""Merge and split from the ticket page: a confirmation first, refusals as readable messages."""

from __future__ import annotations

import pytest
from django.test import Client

from capdesk.testing.factories import Personas
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets.models import Message, Status, Ticket


def _open(cast: Personas, subject: str, *, other_org: bool = False) -> Ticket:
    return ticket_actions.open_ticket(
        subject=subject,
        body=f"{subject}, details",
        channel="portal",
        requester=cast.outsider if other_org else cast.developer,
        requester_email="omar@other.test" if other_org else "dewi@acme.test",
        project=cast.other_project if other_org else cast.project,
    )


@pytest.fixture
def agent_client(client: Client, cast) -> Client:
    client.force_login(cast.agent)
    return client


def test_it_asks_to_confirm_with_both_subjects_before_merging(cast, agent_client: Client) -> None:
    kept, dup = _open(cast, "Rollback loop"), _open(cast, "Rolls back again")

    page = agent_client.post(f"/console/tickets/{dup.reference}/merge/", {"into": kept.reference.lower()})

    text = page.content.decode()
    assert page.status_code == 200
    assert "Rollback loop" in text and "Rolls back again" in text
    dup.refresh_from_db()
    assert dup.merged_into is None


def test_it_merges_once_confirmed_and_shows_the_survivor(cast, agent_client: Client) -> None:
    kept, dup = _open(cast, "Rollback loop"), _open(cast, "Rolls back again")

    response = agent_client.post(
        f"/console/tickets/{dup.reference}/merge/", {"into": kept.reference, "confirm": "1"}, follow=True
    )

    dup.refresh_from_db()
    assert dup.merged_into == kept and dup.status == Status.CLOSED
    assert response.redirect_chain[-1][0] == f"/console/tickets/{kept.reference}/"
    assert f"{dup.reference} was merged into {kept.reference}" in response.content.decode()


def test_it_refuses_a_merge_across_organizations_with_a_clear_message(cast, agent_client: Client) -> None:
    kept, theirs = _open(cast, "Rollback loop"), _open(cast, "Other org", other_org=True)

    response = agent_client.post(
        f"/console/tickets/{theirs.reference}/merge/", {"into": kept.reference, "confirm": "1"}, follow=True
    )

    assert "only merged within one organization" in response.content.decode()
    theirs.refresh_from_db()
    assert theirs.merged_into is None


def test_it_says_so_when_the_reference_names_no_ticket(cast, agent_client: Client) -> None:
    dup = _open(cast, "Rolls back again")
    response = agent_client.post(
        f"/console/tickets/{dup.reference}/merge/", {"into": "CAP-999999"}, follow=True
    )
    assert "There is no ticket CAP-999999" in response.content.decode()


def test_it_merges_the_selected_tickets_into_one_in_bulk(cast, agent_client: Client) -> None:
    kept, a, b = _open(cast, "Rollback loop"), _open(cast, "Again"), _open(cast, "And again")

    agent_client.post(
        "/console/bulk/",
        {
            "tickets": [a.reference, b.reference, kept.reference],
            "action": "merge",
            "merge_into": kept.reference,
        },
    )

    assert set(Ticket.objects.filter(merged_into=kept)) == {a, b}
    assert kept.messages.count() == 3


def test_it_splits_a_customer_message_out_and_opens_the_new_ticket(cast, agent_client: Client) -> None:
    ticket = _open(cast, "Rollback loop")
    extra = ticket_actions.record_customer_reply(
        ticket, body="Separate: invoice VAT id", person=cast.developer, author_email="dewi@acme.test"
    )

    response = agent_client.post(
        f"/console/tickets/{ticket.reference}/split/", {"message": extra.pk, "subject": "Invoice VAT"}
    )

    new = Ticket.objects.get(split_from=ticket)
    assert response["Location"] == f"/console/tickets/{new.reference}/"
    assert new.subject == "Invoice VAT"
    assert list(new.messages.values_list("pk", flat=True)) == [extra.pk]
    assert ticket.messages.filter(author_kind=Message.Author.CUSTOMER).count() == 1


def test_it_will_not_split_a_message_of_another_ticket(cast, agent_client: Client) -> None:
    ticket, other = _open(cast, "Rollback loop"), _open(cast, "Other")
    foreign = other.messages.get()

    agent_client.post(f"/console/tickets/{ticket.reference}/split/", {"message": foreign.pk})

    assert not Ticket.objects.filter(split_from__isnull=False).exists()


def test_the_confirmation_speaks_indonesian_to_an_agent_who_reads_it(cast, agent_client: Client) -> None:
    kept, dup = _open(cast, "Rollback loop"), _open(cast, "Rolls back again")

    page = agent_client.post(
        f"/console/tickets/{dup.reference}/merge/", {"into": kept.reference}, HTTP_ACCEPT_LANGUAGE="id"
    )

    assert f"Gabungkan {dup.reference} ke {kept.reference}?" in page.content.decode()


def test_the_ticket_page_lists_what_was_merged_into_it_and_split_out_of_it(
    cast, agent_client: Client
) -> None:
    kept, dup = _open(cast, "Rollback loop"), _open(cast, "Rolls back again")
    extra = ticket_actions.record_customer_reply(
        kept, body="Separate: invoice VAT id", person=cast.developer, author_email="dewi@acme.test"
    )
    agent_client.post(f"/console/tickets/{dup.reference}/merge/", {"into": kept.reference, "confirm": "1"})
    agent_client.post(
        f"/console/tickets/{kept.reference}/split/", {"message": extra.pk, "subject": "Invoice VAT"}
    )
    split = Ticket.objects.get(split_from=kept)

    page = agent_client.get(f"/console/tickets/{kept.reference}/").content.decode()

    assert f"{dup.reference} merged into this one" in page
    assert f"{split.reference} split out of this one" in page
    assert "Split from" in agent_client.get(f"/console/tickets/{split.reference}/").content.decode()
