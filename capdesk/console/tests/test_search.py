import re

import pytest

from capdesk.console.search import find, search
from capdesk.portal.actions import user_for_person
from capdesk.tickets import actions as ticket_actions


def _open(cast, subject, body, **kw):
    return ticket_actions.open_ticket(
        subject=subject,
        body=body,
        channel="portal",
        requester=cast.developer,
        requester_email="dewi@acme.test",
        project=cast.project,
        **kw,
    )


@pytest.fixture
def tickets(cast):
    rollback = _open(cast, "Rollback question", "How do I roll back a bundle on the production channel?")
    invoice = _open(cast, "Invoice address", "Please put our VAT number on the invoice.")
    return rollback, invoice


def test_it_finds_tickets_by_a_word_in_a_message_and_marks_it(cast, tickets):
    rollback, _invoice = tickets
    [(hit, snippet)] = search("production channel")
    assert hit.ticket_id == rollback.pk
    assert "<mark>production</mark>" in snippet
    assert "<mark>channel</mark>" in snippet


def test_it_finds_a_ticket_by_its_subject_and_by_the_start_of_a_word(cast, tickets):
    _rollback, invoice = tickets
    assert [h.ticket_id for h in find("invo")] == [invoice.pk]


def test_it_follows_replies_written_after_the_ticket_was_opened(cast, tickets):
    _rollback, invoice = tickets
    assert search("manifest") == []
    ticket_actions.reply_as_agent(invoice, agent=cast.agent, body="Your manifest looks fine.", public=False)
    assert [h.ticket_id for h in find("manifest")] == [invoice.pk]


def test_it_escapes_html_in_a_message_and_keeps_only_its_own_marks(cast):
    ticket = _open(cast, "Script", "<script>alert(1)</script> happens on the updater")
    hit, snippet = search("updater")[0]
    assert hit.ticket_id == ticket.pk
    # PostgreSQL's headline drops tags, SQLite's snippet keeps them as text: either way, escaped.
    assert re.findall(r"</?\w+", snippet) == ["<mark", "</mark"]


def test_it_treats_search_syntax_as_plain_words(cast, tickets):
    assert search('"unbalanced AND OR NEAR( -x') == []
    assert search("   ") == []


def test_it_shows_hits_on_the_console_list_to_an_agent(client, cast, tickets):
    rollback, invoice = tickets
    client.force_login(cast.agent)
    page = client.get("/console/", {"q": "roll back"}).content.decode()
    assert rollback.reference in page
    assert invoice.reference not in page
    assert "<mark>roll</mark>" in page


@pytest.mark.parametrize("who", ["anonymous", "developer", "outsider"])
def test_it_gives_search_to_agents_only(client, cast, tickets, who):
    if who != "anonymous":
        client.force_login(user_for_person(getattr(cast, who)))
    response = client.get("/console/", {"q": "invoice"})
    assert response.status_code == 302
    assert response["Location"].startswith("/console/login/")


def test_it_combines_search_with_filters(client, cast, tickets):
    rollback, invoice = tickets
    ticket_actions.change_severity(invoice, "urgent", agent=cast.agent, reason="test")
    client.force_login(cast.agent)
    page = client.get("/console/", {"q": "the", "severity": "urgent"}).content.decode()
    assert invoice.reference in page
    assert rollback.reference not in page


@pytest.mark.django_db
def test_it_rebuilds_the_index_when_a_table_rebuild_dropped_its_triggers(cast, tickets):
    from django.db import connection

    from capdesk.console.search_index import ensure_search_index

    if connection.vendor != "sqlite":
        pytest.skip("triggers exist only on SQLite; PostgreSQL indexes expressions")
    rollback, _invoice = tickets
    with connection.cursor() as cursor:
        # What Django's SQLite schema editor does to triggers when it remakes a table.
        for name in ("console_message_fts_ai", "console_message_fts_ad", "console_message_fts_au"):
            cursor.execute(f"DROP TRIGGER {name}")
    ticket_actions.reply_as_agent(rollback, agent=cast.agent, body="Try the staging channel first.")
    assert search("staging") == []
    ensure_search_index(connection)  # what post_migrate runs after every migrate
    assert [h.ticket_id for h in find("staging")] == [rollback.pk]
    ticket_actions.reply_as_agent(rollback, agent=cast.agent, body="Or the nightly channel.")
    assert [h.ticket_id for h in find("nightly")] == [rollback.pk]


def test_it_shows_the_best_page_of_a_big_result_and_says_how_many_more_match(client, cast, monkeypatch):
    monkeypatch.setattr("capdesk.console.list_views.PAGE_SIZE", 3)
    for n in range(5):
        _open(cast, f"Channel question {n}", "Which channel gets the nightly bundle?")
    client.force_login(cast.agent)
    page = client.get("/console/", {"q": "nightly", "view": "all"}).content.decode()
    assert page.count("<mark>nightly</mark>") == 3
    assert "2 more tickets match" in page
