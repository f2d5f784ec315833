"""An agent token acts as its user: one restricted to the Sales queue reads only Sales tickets."""

import pytest
from django.contrib.auth.models import User

from capdesk.api.actions import create_token
from capdesk.api.tests.conftest import open_ticket_for
from capdesk.testing.factories import make_user, restrict
from capdesk.tickets.models import Queue, Ticket


@pytest.fixture
def desk(cast):
    sales = Queue.objects.create(slug="sales", name="Sales")
    martin = make_user("martin", staff=True)
    assert isinstance(martin, User)
    restrict(martin, sales)
    lead = open_ticket_for(cast.developer, cast.project, "Premium Support quote")
    Ticket.objects.filter(pk=lead.pk).update(queue=sales)
    crash = open_ticket_for(cast.outsider, cast.other_project, "Rollback crashes the app")
    token = create_token(name="martin", scope="agent", user=martin).plaintext
    return lead, crash, token


def test_a_restricted_agent_token_lists_and_reads_only_their_queues(api, desk):
    lead, crash, token = desk
    listed = [t["reference"] for t in api.get("/tickets", token).json()["items"]]
    assert listed == [lead.reference]
    assert api.get(f"/tickets/{lead.reference}", token).status_code == 200
    assert api.get(f"/tickets/{lead.reference}/messages", token).status_code == 200
    assert api.get(f"/tickets/{crash.reference}", token).status_code == 404
    assert api.get(f"/tickets/{crash.reference}/messages", token).status_code == 404


def test_an_unrestricted_agent_token_reads_every_queue(api, tokens, desk):
    lead, crash, _token = desk
    listed = {t["reference"] for t in api.get("/tickets", tokens.agent).json()["items"]}
    assert {lead.reference, crash.reference} <= listed
    assert api.get(f"/tickets/{crash.reference}/messages", tokens.agent).status_code == 200
