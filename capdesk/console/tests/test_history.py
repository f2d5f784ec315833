"""The ticket's History reads as sentences with both ends of each change, in the agent's language."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import translation

from capdesk.console import history
from capdesk.testing.factories import Personas, make_user
from capdesk.testing.requests import open_for, send_plain_email
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets import merging
from capdesk.tickets.incidents import link_incident
from capdesk.tickets.models import Event, Status, Ticket


def _staff(username: str) -> User:
    """An active agent; make_user is typed for any user model, the desk's is Django's own."""
    user = make_user(username, staff=True)
    assert isinstance(user, User)
    return user


def _open(cast: Personas, subject: str = "Rollback loop") -> Ticket:
    return open_for(cast.developer, subject, email="dewi@acme.test", project=cast.project)


def _sentences(ticket: Ticket) -> list[str]:
    return [line.text for line in history.lines(ticket.events.select_related("actor_user", "actor_person"))]


def test_it_tells_a_status_change_with_both_statuses(cast):
    ticket = _open(cast)
    ticket_actions.change_status(ticket, Status.OPEN, agent=cast.agent)
    ticket_actions.change_status(ticket, Status.PENDING, agent=cast.agent, reason="asked for logs")

    lines = history.lines(ticket.events.select_related("actor_user", "actor_person"))

    assert [line.text for line in lines][-2:] == ["Status: New → Open", "Status: Open → Pending customer"]
    assert (lines[-1].actor, lines[-1].reason) == ("agent", "asked for logs")


def test_it_names_who_has_the_ticket_and_who_had_it_before(cast):
    ticket = _open(cast)
    ana = _staff("ana")
    ticket_actions.assign(ticket, ana, agent=cast.agent)
    ticket_actions.assign(ticket, cast.agent, agent=cast.agent)
    ticket_actions.assign(ticket, None, agent=cast.agent)

    assert _sentences(ticket)[-3:] == [
        # Given to someone, a New ticket opens: the same row says so.
        "Assigned to ana (was: nobody) · Status: New → Open",
        "Assigned to agent (was: ana)",
        "Unassigned (was: agent)",
    ]


def test_it_says_a_removed_account_for_an_agent_deleted_since(cast):
    ticket = _open(cast)
    temp = _staff("temp")
    ticket_actions.assign(ticket, temp, agent=cast.agent)
    temp.delete()

    assert _sentences(ticket)[-1] == "Assigned to a removed account (was: nobody) · Status: New → Open"


def test_it_tells_a_severity_change_and_a_customer_reply_that_reopened_the_ticket(cast):
    ticket = _open(cast)
    ticket_actions.change_severity(ticket, "urgent", agent=cast.agent, reason="production down")
    ticket_actions.change_status(ticket, Status.PENDING, agent=cast.agent)
    ticket_actions.record_customer_reply(
        ticket, body="Logs attached", person=cast.developer, author_email="d@a.test"
    )

    assert _sentences(ticket)[-3:] == [
        "Severity: Normal → Urgent",
        "Status: New → Pending customer",
        "Customer replied; status: Pending customer → Open",
    ]
    assert history.lines(ticket.events.all())[-1].actor == "Dewi Developer"


def test_it_tells_a_merge_on_both_tickets(cast):
    source, target = _open(cast, "Duplicate"), _open(cast, "Original")

    merging.merge_tickets(source, target, agent=cast.agent)

    assert f"Merged into {target.reference}" in _sentences(source)
    assert f"{source.reference} merged into this ticket (1 message)" in _sentences(target)


def test_it_tells_an_incident_link_and_the_ticket_opening(cast):
    ticket = _open(cast)
    link_incident(ticket, "inc-42", agent=cast.agent)

    assert _sentences(ticket) == [
        "Opened through Portal, severity Normal",
        "Linked to incident inc-42",
    ]


def test_it_shows_rows_written_before_both_ends_were_recorded_without_failing(cast):
    ticket = _open(cast)
    # As older or hand-edited rows look: a customer reply that kept only where it came from,
    # a status change with no values, a number that is not one, and a kind nobody knows.
    for kind, data in [
        ("message.customer", {"status_from": "pending"}),
        ("status.changed", {}),
        ("ticket.merged", {"source": "CAP-1001", "messages": "many"}),
        ("something.new", {"x": 1}),
        ("severity.changed", {"severity_from": "retired", "severity_to": "high"}),
    ]:
        Event.objects.create(ticket=ticket, kind=kind, data=data)

    assert _sentences(ticket)[-5:] == [
        "Customer replied",
        "Status changed",
        "ticket.merged",
        "something.new",
        "Severity: retired → High",
    ]


def test_it_reads_the_agents_names_in_one_query_however_many_assignments(cast, django_assert_num_queries):
    ticket = _open(cast)
    for n in range(5):
        ticket_actions.assign(ticket, _staff(f"agent{n}"), agent=cast.agent)
    events = list(ticket.events.select_related("actor_user", "actor_person"))

    with django_assert_num_queries(1):
        lines = history.lines(events)

    assert lines[-1].text == "Assigned to agent4 (was: agent3)"


def test_it_writes_the_history_in_indonesian(cast):
    ticket = _open(cast)
    ticket_actions.change_status(ticket, Status.OPEN, agent=cast.agent)
    ticket_actions.assign(ticket, cast.agent, agent=cast.agent)

    with translation.override("id"):
        sentences = _sentences(ticket)

    assert sentences[-2:] == ["Status: Baru → Terbuka", "Ditugaskan ke agent (sebelumnya: tidak seorang pun)"]


@pytest.fixture
def agent_client(client: Client, cast) -> Client:
    client.force_login(cast.agent)
    return client


def test_the_ticket_page_shows_sentences_and_no_raw_kinds(cast, agent_client):
    ticket = _open(cast)
    ticket_actions.change_status(ticket, Status.SOLVED, agent=cast.agent, reason="fixed in 1.4.3")

    html = agent_client.get(f"/console/tickets/{ticket.reference}/").content.decode()

    listed = html.split('<ul id="history-events">')[1].split("</ul>")[0]
    assert "Status: New → Solved — agent (fixed in 1.4.3)" in listed
    assert ">status.changed" not in listed and " status.changed " not in listed
    assert 'data-kind="status.changed"' in listed


def test_it_tells_what_a_policy_decision_did_to_the_ticket(cast):
    # An unregistered sender is answered and the ticket solved at once (C1): the History
    # says so, and which queue the decision routed the ticket to.
    request = send_plain_email("stranger@example.org", "Rollback question", "How do I roll back a bundle?")
    assert request.ticket is not None
    ticket = request.ticket
    (line,) = [text for text in _sentences(ticket) if text.startswith("Policy decision")]
    assert line.startswith("Policy decision: deny_unregistered (")
    assert "Status: New → Solved" in line
    assert f"Queue: {ticket.queue.name}" in line


@pytest.mark.parametrize(
    ("verdict", "english", "indonesian"),
    [
        ("verified", "Sender checked: a registered address, proven", "alamat terdaftar, terbukti"),
        (
            "unverified",
            "Sender checked: a registered address, not proven",
            "alamat terdaftar, belum terbukti",
        ),
        # A stranger whose domain signed the mail (DKIM pass) was read as "Sender checked: unknown".
        ("unknown", "Sender checked: not a registered address", "bukan alamat terdaftar"),
    ],
)
def test_it_says_what_the_sender_check_found_in_words(cast, verdict, english, indonesian):
    event = Event.objects.create(ticket=_open(cast), kind="sender.identified", data={"verdict": verdict})
    assert history.sentence(event, {}) == english
    with translation.override("id"):
        assert history.sentence(event, {}).endswith(indonesian)
