"""Search for an agent restricted to queues keeps their queues' hits inside the engine's query.

The hits are capped (search.HIT_LIMIT, ranked among search.CANDIDATES): filtered by queue
afterwards, a desk whose newest hits are all in other queues left a restricted agent with
nothing, though their own queue held a match. The caps are made small here so a handful of
tickets fills them; the same tests run on SQLite (FTS5) and PostgreSQL (full-text).

Personas: martin, restricted to Sales; nadia, restricted to no queue; the cast's agent, not
restricted; the admin (superuser).
"""

import pytest

from capdesk.console import search
from capdesk.testing.factories import make_user, restrict
from capdesk.testing.requests import open_for
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets.models import Queue

OTHERS = 5  # newer matching tickets in Support than the caps below let through


def _open(cast, subject, body, queue):
    return open_for(
        cast.developer, subject, email="dewi@acme.test", project=cast.project, body=body, queue=queue
    )


@pytest.fixture
def desk(cast, monkeypatch):
    monkeypatch.setattr(search, "HIT_LIMIT", 2)
    monkeypatch.setattr(search, "CANDIDATES", 3)
    monkeypatch.setattr(search, "PG_CANDIDATES", 2)
    sales = Queue.objects.create(slug="sales", name="Sales")
    support = Queue.objects.create(slug="support", name="Support")
    martin = make_user("martin", staff=True)
    nadia = make_user("nadia", staff=True)
    restrict(martin, sales)
    restrict(nadia)
    lead = _open(cast, "Premium quote for a rollout", "We plan a staged rollout of the updater.", sales)
    crashes = [
        _open(cast, f"Rollout {n} crashes", f"The rollout of the updater crashes, case {n}.", support)
        for n in range(OTHERS)
    ]
    return sales, support, martin, nadia, lead, crashes


@pytest.mark.parametrize("words", ["rollout", "staged rollout updater", "updat"])
def test_a_restricted_agent_finds_their_queues_match_behind_newer_ones_elsewhere(cast, desk, words):
    sales, _support, _martin, _nadia, lead, _crashes = desk
    assert lead.pk not in [h.ticket_id for h in search.find("rollout")]  # the desk-wide hits are capped
    assert [h.ticket_id for h in search.find(words, [sales.pk])] == [lead.pk]


def test_a_message_match_counts_as_its_tickets_queue(cast, desk):
    sales, support, _martin, _nadia, lead, crashes = desk
    ticket_actions.reply_as_agent(crashes[0], agent=cast.agent, body="Quoted: Zanzibar pricing", public=False)
    assert [h.ticket_id for h in search.find("zanzibar", [sales.pk])] == []
    assert [h.ticket_id for h in search.find("zanzibar", [support.pk])] == [crashes[0].pk]
    assert [h.ticket_id for h in search.find("zanzibar", [sales.pk, support.pk])] == [crashes[0].pk]
    assert [h.ticket_id for h in search.find("zanzibar", None)] == [crashes[0].pk]
    assert lead.pk not in [h.ticket_id for h in search.find("zanzibar", [sales.pk])]


def test_no_queue_finds_nothing(cast, desk):
    assert search.find("rollout", []) == []


def test_the_console_search_finds_it_for_the_restricted_agent_only_in_their_queues(client, cast, desk):
    _sales, _support, martin, nadia, lead, crashes = desk
    client.force_login(martin)
    page = client.get("/console/", {"q": "rollout"}).content.decode()
    assert lead.reference in page
    assert not [c.reference for c in crashes if c.reference in page]
    assert "<mark>" in page  # its fragment is drawn too
    client.force_login(nadia)
    page = client.get("/console/", {"q": "rollout"}).content.decode()
    assert lead.reference not in page and not [c.reference for c in crashes if c.reference in page]


@pytest.mark.parametrize("who", ["agent", "admin"])
def test_an_unrestricted_agent_and_an_admin_search_every_queue(client, cast, desk, who):
    _sales, _support, _martin, _nadia, _lead, crashes = desk
    client.force_login(getattr(cast, who))
    page = client.get("/console/", {"q": "rollout"}).content.decode()
    assert crashes[-1].reference in page
