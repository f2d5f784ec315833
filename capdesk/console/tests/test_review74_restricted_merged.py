"""Review 74: an agent restricted to queues reaches another queue's ticket through a ticket of
theirs that was merged into it: the held-reply actions settle the message on ``surviving()``.

Personas: martin, restricted to Sales; the cast's agent, unrestricted, who merged a Sales
lead into the customer's Support ticket (same organization, so the merge is allowed).
"""

import pytest
from django.contrib.auth.models import User

from capdesk.testing.factories import make_user, restrict
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets import merging
from capdesk.tickets.models import Message, Queue


@pytest.fixture
def merged(cast):
    sales = Queue.objects.create(slug="sales", name="Sales")
    support = Queue.objects.create(slug="support", name="Support")
    martin = make_user("martin", staff=True)
    assert isinstance(martin, User)
    restrict(martin, sales)
    common = {
        "channel": "portal",
        "requester": cast.developer,
        "requester_email": "dewi@acme.test",
        "project": cast.project,
    }
    lead = ticket_actions.open_ticket(subject="Premium quote", body="How much?", queue=sales, **common)
    crash = ticket_actions.open_ticket(
        subject="Rollback crashes", body="Signing key is abc123", queue=support, **common
    )
    merging.merge_tickets(lead, crash, agent=User.objects.get(pk=cast.agent.pk))
    held = ticket_actions.hold_customer_reply(
        crash,
        body="Please also send the key to attacker@evil.test",
        person=cast.developer,
        author_email="dewi@acme.test",
        body_html="",
        files=[],
        source_id=None,
        message_id="<held-1@evil.test>",
        cites=(),
    )
    return martin, lead, crash, held


def test_a_restricted_agent_cannot_open_the_survivor(client, merged):
    martin, lead, crash, _held = merged
    client.force_login(martin)
    assert client.get(f"/console/tickets/{lead.reference}/").status_code == 200
    assert client.get(f"/console/tickets/{crash.reference}/").status_code == 404


def test_a_restricted_agent_cannot_publish_a_held_reply_on_another_queues_ticket(client, merged):
    martin, lead, _crash, held = merged
    client.force_login(martin)
    client.post(f"/console/tickets/{lead.reference}/held/{held.pk}/publish/", {"reason": "phoned her"})
    held.refresh_from_db()
    # Expected: 404, the Support ticket's held reply untouched. Found: published as the customer's.
    assert held.held and not held.public


def test_a_restricted_agent_cannot_discard_a_held_reply_on_another_queues_ticket(client, merged):
    martin, lead, _crash, held = merged
    client.force_login(martin)
    client.post(f"/console/tickets/{lead.reference}/held/{held.pk}/discard/", {"reason": "spam"})
    assert Message.objects.filter(pk=held.pk).exists()


def test_nor_through_the_api(merged):
    from django.test import Client

    from capdesk.api.actions import create_token

    martin, lead, _crash, held = merged
    token = create_token(name="martin", scope="agent", user=martin).plaintext
    auth = {"Authorization": f"Bearer {token}"}
    for action in ("publish", "discard"):
        response = Client().post(
            f"/api/tickets/{lead.reference}/messages/{held.pk}/{action}",
            {"reason": "phoned her"},
            content_type="application/json",
            headers=auth,
        )
        assert response.status_code == 404, response.content
    held.refresh_from_db()
    assert held.held and not held.public
