"""Review 74: the console's requester filter (``filters.requester_q``) and the search box's
address shortcut. An address that belongs to a person now is matched by ``requester_id``
only, so the tickets that address filed before it was registered (requester NULL, the
address on the ticket: what ``follow_ups`` calls "who filed it unregistered may have signed
up since") disappear from "their tickets".
"""

from typing import cast as typed

from capdesk.directory.models import EmailAddress, Person
from capdesk.testing.factories import PersonFactory
from capdesk.tickets import actions as ticket_actions


def test_an_address_finds_the_tickets_it_filed_before_it_was_registered(client, cast):
    before = ticket_actions.open_ticket(
        subject="Sent before signing up",
        body="b",
        channel="email",
        requester=None,
        requester_email="budi@startup.test",
    )
    budi = typed(Person, PersonFactory(name="Budi Santoso"))
    EmailAddress.objects.create(person=budi, email="budi@startup.test", primary=True)
    after = ticket_actions.open_ticket(
        subject="Sent after signing up",
        body="b",
        channel="email",
        requester=budi,
        requester_email="budi@startup.test",
    )
    client.force_login(cast.agent)
    for query in ({"requester": "budi@startup.test"}, {"q": "budi@startup.test"}):
        page = client.get("/console/", {"view": "all", **query}).content.decode()
        assert after.reference in page, query
        assert before.reference in page, query  # fails: only requester_id is matched


def test_a_sender_the_directory_does_not_know_is_found_by_the_name_they_gave(client, cast):
    alice = ticket_actions.open_ticket(
        subject="Question from a stranger",
        body="b",
        channel="email",
        requester=None,
        requester_email="alice@unknown-startup.example",
        requester_name="Alice Stranger",
    )
    other = ticket_actions.open_ticket(
        subject="Someone else", body="b", channel="email", requester=None, requester_email="bob@x.example"
    )
    client.force_login(cast.agent)
    page = client.get("/console/", {"view": "all", "requester": "alice str"}).content.decode()
    assert alice.reference in page and other.reference not in page
