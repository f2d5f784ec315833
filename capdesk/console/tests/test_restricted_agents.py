"""An agent restricted to queues (tickets.QueueRestriction) sees and is given only their queues' tickets.

Personas: martin, an agent restricted to the Sales queue; the cast's agent, not restricted
(every queue); the admin (superuser: every queue, always).
"""

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from capdesk.console import actions, side_counts
from capdesk.console.models import QueueRotation
from capdesk.core.audit_actor import acting
from capdesk.core.models import AuditEntry
from capdesk.testing.factories import make_user, restrict
from capdesk.testing.requests import open_for
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets.models import Queue, QueueMembership, Ticket


def _open(cast, subject, queue, *, requester=None, project=None):
    return open_for(
        requester or cast.developer,
        subject,
        email="dewi@acme.test",
        project=project or cast.project,
        body=f"{subject}: about the bundle",
        queue=queue,
    )


@pytest.fixture
def desk(cast):
    sales = Queue.objects.create(slug="sales", name="Sales")
    support = Queue.objects.create(slug="support", name="Support")
    martin = make_user("martin", staff=True)
    assert isinstance(martin, User)
    restrict(martin, sales)
    lead = _open(cast, "Premium Support quote", sales)
    crash = _open(
        cast, "Rollback crashes the app", support, requester=cast.outsider, project=cast.other_project
    )
    ticket_actions.reply_as_agent(
        crash, agent=cast.agent, body="Internal: their signing key leaked", public=False
    )
    return sales, support, martin, lead, crash


def test_a_restricted_agent_lists_only_their_queues_tickets(client, cast, desk):
    _sales, _support, martin, lead, crash = desk
    client.force_login(martin)
    page = client.get("/console/").content.decode()
    assert lead.reference in page and crash.reference not in page
    # Not even by asking for the other queue.
    assert crash.reference not in client.get("/console/", {"queue": "support"}).content.decode()


@pytest.mark.parametrize("who", ["agent", "admin"])
def test_an_unrestricted_agent_and_an_admin_list_every_queue(client, cast, desk, who):
    _sales, _support, _martin, lead, crash = desk
    client.force_login(getattr(cast, who))
    page = client.get("/console/").content.decode()
    assert lead.reference in page and crash.reference in page


def test_a_superuser_sees_every_queue_even_with_a_restriction_row(client, cast, desk):
    sales, _support, _martin, _lead, crash = desk
    restrict(cast.admin, sales)
    client.force_login(cast.admin)
    assert client.get(f"/console/tickets/{crash.reference}/").status_code == 200


def test_a_ticket_outside_their_queues_is_not_found_by_any_of_its_pages(client, cast, desk):
    _sales, _support, martin, lead, crash = desk
    client.force_login(martin)
    assert client.get(f"/console/tickets/{lead.reference}/").status_code == 200
    assert client.get(f"/console/tickets/{crash.reference}/").status_code == 404
    assert client.post(f"/console/tickets/{crash.reference}/reply/", {"body": "hi"}).status_code == 404
    assert client.post(f"/console/tickets/{crash.reference}/take/").status_code == 404
    client.force_login(cast.agent)
    assert client.get(f"/console/tickets/{crash.reference}/").status_code == 200


def test_search_finds_only_their_queues_tickets_and_no_fragment_of_others(client, cast, desk):
    _sales, _support, martin, lead, crash = desk
    client.force_login(martin)
    page = client.get("/console/", {"q": "bundle"}).content.decode()
    assert lead.reference in page and crash.reference not in page
    page = client.get("/console/", {"q": "signing key"}).content.decode()
    assert crash.reference not in page and "leaked" not in page
    client.force_login(cast.agent)
    assert crash.reference in client.get("/console/", {"q": "signing key"}).content.decode()


def test_the_side_counts_are_of_their_queues_and_quarantine_is_not_theirs(client, cast, desk):
    sales, _support, martin, _lead, _crash = desk
    counts = side_counts.open_counts([sales.pk])
    assert [row["organization__name"] for row in counts["by_organization"]] == ["Acme Apps"]
    client.force_login(martin)
    assert "Other Corp" not in client.get("/console/").content.decode()
    assert client.get("/console/quarantine/").status_code == 403
    client.force_login(cast.agent)
    assert "Other Corp" in client.get("/console/").content.decode()
    assert client.get("/console/quarantine/").status_code == 200


def test_an_unrestricted_agents_pages_ask_nothing_about_queues(client, cast, desk):
    """Whether an agent is restricted comes with the user's own row (tickets.backends): no query more."""
    client.force_login(cast.agent)
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/console/").status_code == 200
        assert client.get("/console/", {"q": "bundle"}).status_code == 200
    tables = ("tickets_queuerestriction", "tickets_queuemembership")
    queues = [q["sql"] for q in captured if any(table in q["sql"] for table in tables)]
    alone = [sql for sql in queues if '"auth_user"' not in sql]
    assert alone == []
    assert not any("tickets_ticket" in sql for sql in queues)


def test_a_restricted_agent_cannot_be_assigned_a_ticket_outside_their_queues(client, cast, desk):
    _sales, _support, martin, lead, crash = desk
    client.force_login(cast.agent)
    response = client.post(f"/console/tickets/{crash.reference}/assign/", {"assignee": str(martin.pk)})
    assert response.status_code == 400
    assert "martin cannot be given" in response.content.decode()
    assert Ticket.objects.get(pk=crash.pk).assignee_id is None
    # Nor offered in the ticket's assign select.
    assert f'value="{martin.pk}"' not in client.get(f"/console/tickets/{crash.reference}/").content.decode()
    response = client.post(f"/console/tickets/{lead.reference}/assign/", {"assignee": str(martin.pk)})
    assert response.status_code == 302
    assert Ticket.objects.get(pk=lead.pk).assignee_id == martin.pk


def test_bulk_assignment_refuses_all_when_one_ticket_is_outside_their_queues(client, cast, desk):
    _sales, _support, martin, lead, crash = desk
    client.force_login(cast.agent)
    client.post(
        "/console/bulk/",
        {"tickets": [lead.reference, crash.reference], "action": "assign", "assignee": str(martin.pk)},
    )
    assert list(Ticket.objects.filter(assignee=martin)) == []


def test_round_robin_passes_over_a_member_restricted_to_other_queues(cast, desk):
    _sales, support, martin, _lead, crash = desk
    rotation = QueueRotation.objects.create(queue=support)
    rotation.members.add(martin, cast.agent)  # martin joined before he was restricted
    assert actions.assign_round_robin(crash, agent=cast.admin) == cast.agent
    with pytest.raises(actions.NotAssignable):
        actions.set_rotation_membership(support, martin, member=True)


def test_overriding_a_ticket_out_of_their_queues_hands_it_over_unassigned(client, cast, desk):
    _sales, support, martin, lead, _crash = desk
    ticket_actions.assign(lead, martin, agent=martin)
    client.force_login(martin)
    response = client.post(
        f"/console/tickets/{lead.reference}/override/", {"outcome": "accept", "reason": "A bug report"}
    )
    assert response.status_code == 302 and response["Location"] == "/console/"
    moved = Ticket.objects.get(pk=lead.pk)
    assert moved.queue_id == support.pk and moved.assignee_id is None


def test_restricting_an_agent_is_audited(cast, desk):
    _sales, support, martin, _lead, _crash = desk
    with acting("shell"):
        membership = QueueMembership.objects.create(user=martin, queue=support)
        membership.delete()
    details = list(
        AuditEntry.objects.filter(action="access.user_changed")
        .order_by("id")
        .values_list("details", flat=True)
    )
    assert details == [
        {"username": "martin", "queues": {"added": ["support"]}},
        {"username": "martin", "queues": {"removed": ["support"]}},
    ]


def test_a_split_that_lands_in_another_queue_brings_the_agent_back_not_to_a_404(client, cast, desk):
    from capdesk.tickets.models import Ticket

    _sales, _support, martin, lead, _crash = desk
    extra = ticket_actions.record_customer_reply(
        lead,
        body="Also: the rollback crashes on Android 14",
        person=cast.developer,
        author_email="dewi@acme.test",
    )
    client.force_login(martin)
    response = client.post(
        f"/console/tickets/{lead.reference}/split/", {"message": extra.pk, "subject": "Crash"}
    )
    new = Ticket.objects.get(split_from=lead)
    assert new.queue.slug == "support"  # a crash report is support's work, not sales'
    assert response["Location"] == f"/console/tickets/{lead.reference}/"
    page = client.get(response["Location"]).content.decode()
    assert f"Split out as {new.reference}, which went to the Support queue." in page
    assert client.get(response["Location"]).status_code == 200
