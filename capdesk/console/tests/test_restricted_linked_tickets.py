"""A ticket's page names the tickets linked to it (follow-ups, splits, merges) only when the
agent sees them: a follow-up or a split may have gone to a queue a restricted agent does not
work, and its subject is that queue's.

Personas: martin, restricted to Sales; the cast's agent, not restricted; the admin (superuser).
"""

import pytest

from capdesk.testing.factories import make_user, restrict
from capdesk.testing.requests import open_for
from capdesk.tickets.models import Queue, Ticket


def _open(cast, subject, queue):
    return open_for(
        cast.developer,
        subject,
        email="dewi@acme.test",
        project=cast.project,
        body=f"{subject}: about the bundle",
        queue=queue,
    )


@pytest.fixture
def desk(cast):
    sales = Queue.objects.create(slug="sales", name="Sales")
    support = Queue.objects.create(slug="support", name="Support")
    martin = make_user("martin", staff=True)
    restrict(martin, sales)
    lead = _open(cast, "Premium Support quote", sales)
    follow_up = _open(cast, "Follow-up: signing key leaked", support)
    split = _open(cast, "Split: Android crash dump", support)
    origin = _open(cast, "Origin: internal escalation", support)
    Ticket.objects.filter(pk=follow_up.pk).update(follow_up_of=lead)
    Ticket.objects.filter(pk=split.pk).update(split_from=lead)
    Ticket.objects.filter(pk=lead.pk).update(follow_up_of=origin, split_from=origin)
    return martin, lead, (follow_up, split, origin)


def test_a_restricted_agent_reads_no_linked_ticket_outside_their_queues(client, cast, desk):
    martin, lead, others = desk
    client.force_login(martin)
    page = client.get(f"/console/tickets/{lead.reference}/").content.decode()
    assert not [t.subject for t in others if t.subject in page]
    assert not [t.reference for t in others if t.reference in page]


@pytest.mark.parametrize("who", ["agent", "admin"])
def test_an_unrestricted_agent_and_an_admin_read_every_linked_ticket(client, cast, desk, who):
    _martin, lead, others = desk
    client.force_login(getattr(cast, who))
    page = client.get(f"/console/tickets/{lead.reference}/").content.decode()
    assert [t.subject for t in others if t.subject in page] == [t.subject for t in others]
