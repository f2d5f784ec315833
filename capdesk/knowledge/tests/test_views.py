import json

import pytest

from capdesk.knowledge.demo import load_demo
from capdesk.knowledge.models import Article
from capdesk.portal.actions import user_for_person
from capdesk.tickets import actions as ticket_actions


@pytest.fixture
def demo(db):
    load_demo()


def test_it_lets_anyone_search_the_published_articles(client, demo):
    page = client.get("/kb/", {"q": "notifyAppReady rollback"}).content.decode()
    assert "An update installs, then rolls back on the next start" in page
    article = client.get("/kb/notify-app-ready/").content.decode()
    assert "appReadyTimeout" in article and "Known issue" in article


def test_it_suggests_articles_as_json_for_what_a_customer_types(client, demo):
    data = json.loads(
        client.get("/kb/suggest.json", {"q": "my app keeps rolling back after the update"}).content
    )
    assert data["articles"][0]["url"] == "/kb/notify-app-ready/"
    assert json.loads(client.get("/kb/suggest.json", {"q": "the and"}).content) == {"articles": []}


def _draft_from_reply(client, cast):
    ticket = ticket_actions.open_ticket(
        subject="Channel override for testers",
        body="How do testers get a beta?",
        channel="portal",
        requester=cast.developer,
        requester_email="dewi@acme.test",
        project=cast.project,
    )
    reply = ticket_actions.reply_as_agent(
        ticket, agent=cast.agent, body="Use `setChannel('beta')` on their devices."
    )
    client.force_login(cast.agent)
    response = client.post(f"/kb/draft/{reply.pk}/")
    return response, Article.objects.get(source_message=reply)


def test_an_agent_turns_a_reply_into_a_draft_that_only_agents_see_until_published(client, cast):
    response, draft = _draft_from_reply(client, cast)
    assert response["Location"] == f"/kb/{draft.slug}/edit/"
    assert draft.status == "draft" and "setChannel" in draft.body_md
    assert client.get(f"/kb/{draft.slug}/").status_code == 200
    client.logout()
    assert client.get(f"/kb/{draft.slug}/").status_code == 404
    assert "Channel override" not in client.get("/kb/", {"q": "channel override"}).content.decode()

    client.force_login(cast.agent)
    client.post(
        f"/kb/{draft.slug}/edit/",
        {
            "title": "Give testers a beta channel",
            "kind": "article",
            "product_area": "Live Updates",
            "tags": "channels, beta",
            "body": "Use `setChannel`.",
            "publish": "1",
        },
    )
    draft.refresh_from_db()
    assert draft.status == "published" and draft.slug == "give-testers-a-beta-channel"
    assert draft.tags == ["channels", "beta"]
    client.logout()
    assert client.get("/kb/give-testers-a-beta-channel/").status_code == 200


@pytest.mark.parametrize("who", ["anonymous", "developer", "outsider"])
def test_only_agents_draft_and_edit_articles(client, cast, who):
    ticket = ticket_actions.open_ticket(
        subject="S", body="B", channel="portal", requester=cast.developer, requester_email="dewi@acme.test"
    )
    reply = ticket_actions.reply_as_agent(ticket, agent=cast.agent, body="Answer")
    if who != "anonymous":
        client.force_login(user_for_person(getattr(cast, who)))
    assert client.post(f"/kb/draft/{reply.pk}/").status_code == 302
    assert not Article.objects.exists()


def test_a_customers_own_message_cannot_become_an_article(client, cast):
    ticket = ticket_actions.open_ticket(
        subject="S",
        body="private details",
        channel="portal",
        requester=cast.developer,
        requester_email="dewi@acme.test",
    )
    client.force_login(cast.agent)
    assert client.post(f"/kb/draft/{ticket.messages.get().pk}/").status_code == 404


def test_the_new_request_page_suggests_articles_without_a_script(client, cast, demo):
    client.force_login(user_for_person(cast.developer))
    page = client.get("/portal/requests/new/", {"kb": "encryption keys"}).content.decode()
    assert "Bundle decryption failed" in page
    assert 'data-url="/kb/suggest.json"' in page


def test_it_searches_and_suggests_in_a_fixed_number_of_queries(client, demo, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        client.get("/kb/suggest.json", {"q": "rollback channel update"})
    with django_assert_max_num_queries(3):
        client.get("/kb/", {"q": "rollback channel update"})


def test_an_internal_note_cannot_become_an_article(client, cast):
    ticket = ticket_actions.open_ticket(
        subject="S", body="B", channel="portal", requester=cast.developer, requester_email="dewi@acme.test"
    )
    note = ticket_actions.reply_as_agent(
        ticket, agent=cast.agent, body="Customer is on a trial", public=False
    )
    client.force_login(cast.agent)
    assert client.post(f"/kb/draft/{note.pk}/").status_code == 404
    assert (
        "Turn into a draft article"
        not in client.get(f"/console/tickets/{ticket.reference}/").content.decode()
    )
