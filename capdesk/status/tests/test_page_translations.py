"""Readers in Indonesian get the Indonesian incident text staff gave, everyone else the English.

The page, the incident and history pages, the published snapshot and subscriber emails
follow the reader's language; Statuspage's v2 JSON and the default feeds stay English
(a feed's ``?lang=id``: test_feed_translations).
"""

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from capdesk.notify.models import OutboundEmail
from capdesk.status import actions, delivery, publish
from capdesk.status.models import Component, Incident, StatusEvent

pytestmark = pytest.mark.usefixtures("frozen")

ID = {"id": {"name": "Unduhan bundle lambat", "body": "Kami sedang menyelidiki unduhan yang lambat."}}


@pytest.fixture
def incident(api: Component) -> Incident:
    return actions.open_incident(
        name="Bundle downloads slow",
        body="We are investigating slow downloads.",
        components={api: "degraded_performance"},
        translations=ID,
    )


def _get(client: Client, path: str, language: str) -> str:
    response = client.get(path, headers={"accept-language": language})
    assert response.status_code == 200
    return response.content.decode()


def test_the_indonesian_page_shows_the_indonesian_text(client, incident):
    page = _get(client, "/status/", "id")
    assert "Unduhan bundle lambat" in page
    assert "Kami sedang menyelidiki unduhan yang lambat." in page
    assert "Bundle downloads slow" not in page


def test_the_english_page_shows_the_english_text(client, incident):
    page = _get(client, "/status/", "en")
    assert "Bundle downloads slow" in page
    assert "We are investigating slow downloads." in page
    assert "Unduhan bundle lambat" not in page


def test_an_update_without_a_translation_reads_in_english_on_the_indonesian_page(client, incident):
    actions.post_incident_update(incident, status="identified", body="A faulty cache node.")
    page = _get(client, "/status/?lang=id", "id")
    assert "A faulty cache node." in page
    assert "Unduhan bundle lambat" in page  # the incident's name is still translated


def test_the_incident_page_and_its_postmortem_follow_the_reader(client, incident):
    actions.resolve_incident(incident, translations={"id": {"body": "Sudah normal kembali."}})
    actions.publish_postmortem(
        incident,
        body="A cache node ran out of disk.",
        translations={"id": {"body": "Disk node cache penuh."}},
    )
    path = f"/status/incidents/{incident.public_id}"
    indonesian = _get(client, path, "id")
    assert '<h1 id="h-incident">Unduhan bundle lambat</h1>' in indonesian
    assert "Sudah normal kembali." in indonesian and "Disk node cache penuh." in indonesian
    english = _get(client, path, "en")
    assert '<h1 id="h-incident">Bundle downloads slow</h1>' in english
    assert english.count("Bundle downloads slow</") == 1, "the heading once, not again as the card's link"
    assert "A cache node ran out of disk." in english and "Disk node cache penuh." not in english


def test_the_history_lists_past_incidents_by_their_name_in_the_readers_language(client, incident, frozen):
    frozen.shift(timedelta(hours=1))
    actions.resolve_incident(incident)
    assert "Unduhan bundle lambat" in _get(client, "/status/history/", "id")
    assert "Bundle downloads slow" in _get(client, "/status/history/", "en")


def test_translated_text_is_escaped_like_the_original(client, api):
    actions.open_incident(
        name="x", body="y", translations={"id": {"name": "<b>tebal</b>", "body": "<script>1</script>"}}
    )
    page = _get(client, "/status/", "id")
    assert "<script>1</script>" not in page and "&lt;script&gt;1&lt;/script&gt;" in page
    assert "&lt;b&gt;tebal&lt;/b&gt;" in page


def test_statuspages_json_and_the_feeds_stay_english(client, incident):
    summary = json.loads(_get(client, "/api/v2/summary.json", "id"))
    assert summary["incidents"][0]["name"] == "Bundle downloads slow"
    assert summary["incidents"][0]["incident_updates"][0]["body"] == "We are investigating slow downloads."
    assert "Unduhan" not in _get(client, "/history.atom", "id")


def _published(language: str) -> str:
    return (Path(settings.CAPDESK_STATUS_PUBLISH_DIR) / publish.file_name("/status/", language)).read_text()


def test_the_published_page_is_rendered_again_when_a_translation_changes(incident):
    publish.publish(only_if_behind=True)
    assert "Unduhan bundle lambat" in _published("id")
    assert "Bundle downloads slow" in _published("en")
    actions.edit_incident(
        incident,
        name=incident.name,
        impact=incident.impact,
        translations={"id": {"name": "Unduhan tersendat"}},
    )
    # The edit moved the page version, so the coalescing publish is not skipped.
    assert publish.publish(only_if_behind=True) is not None
    assert "Unduhan tersendat" in _published("id") and "Unduhan bundle lambat" not in _published("id")
    assert "Bundle downloads slow" in _published("en")


def _subscriber(client: Client, email: str, language: str) -> None:
    response = client.post(
        "/status/subscribe/", {"kind": "email", "email": email}, headers={"accept-language": language}
    )
    assert response.status_code == 302
    sent = OutboundEmail.objects.filter(kind="status_confirm", to=email).latest("created_at")
    match = re.search(r"http://127\.0\.0\.1:8000(/status/subscribe/confirm/\S+/)", sent.body_text)
    assert match
    client.post(match.group(1))


def _fan_out_all() -> int:
    return sum(delivery.fan_out(pk) for pk in StatusEvent.objects.values_list("pk", flat=True))


def test_an_indonesian_subscriber_is_emailed_the_indonesian_text_and_an_english_one_the_english(client, api):
    _subscriber(client, "dewi@kopinusantara.id", "id")
    _subscriber(client, "sam@example.com", "en")
    actions.open_incident(
        name="Bundle downloads slow", body="We are investigating slow downloads.", translations=ID
    )
    assert _fan_out_all() == 2
    indonesian = OutboundEmail.objects.get(kind="status_update", to="dewi@kopinusantara.id")
    assert "Unduhan bundle lambat" in indonesian.subject
    assert "Unduhan bundle lambat" in indonesian.body_text
    assert "Kami sedang menyelidiki unduhan yang lambat." in indonesian.body_text
    english = OutboundEmail.objects.get(kind="status_update", to="sam@example.com")
    assert "Bundle downloads slow" in english.subject
    assert "We are investigating slow downloads." in english.body_text
    assert "Unduhan" not in english.body_text
    # The link opens the page in the subscriber's language; the time reads as people write it.
    incident_link = next(line for line in indonesian.body_text.splitlines() if "/incidents/" in line)
    assert incident_link.endswith("?lang=id")
    assert "?lang=" not in english.body_text.split("--")[0]
    assert re.search(r"\(\d{4}-\d\d-\d\d \d\d:\d\d UTC\)", english.body_text), english.body_text
    assert "do not need to open a support ticket" in english.body_text


def test_the_resolved_email_no_longer_says_no_ticket_is_needed(client, api):
    _subscriber(client, "sam@example.com", "en")
    incident = actions.open_incident(name="Console errors", body="Looking into it.")
    actions.resolve_incident(incident, body="Fixed.")
    assert _fan_out_all() == 2
    opened, resolved = OutboundEmail.objects.filter(kind="status_update").order_by("pk")
    assert "do not need to open a support ticket" in opened.body_text
    assert "Fixed." in resolved.body_text and "do not need to open" not in resolved.body_text


def test_an_indonesian_subscriber_reads_english_where_no_translation_was_given(client, api):
    _subscriber(client, "dewi@kopinusantara.id", "id")
    actions.open_incident(name="Console errors", body="Looking into it.")
    assert _fan_out_all() == 1
    email = OutboundEmail.objects.get(kind="status_update")
    assert "Console errors" in email.subject and "Looking into it." in email.body_text


# Review 64: the translations as readers reach them (email links, the console's resolve box, subjects).


def test_it_opens_the_incident_page_in_indonesian_from_the_link_in_an_indonesian_email(client, api):
    """The email's "Follow it here" link ends in ?lang=id, but the incident view ignores ?lang=
    (only the page and history views read it; LocaleMiddleware does not): a subscriber whose
    browser is in English lands on the English text."""
    _subscriber(client, "dewi@kopinusantara.id", "id")
    actions.open_incident(name="Bundle downloads slow", body="We are investigating.", translations=ID)
    _fan_out_all()
    email = OutboundEmail.objects.get(kind="status_update", to="dewi@kopinusantara.id")
    link = next(line for line in email.body_text.splitlines() if "/incidents/" in line).split()[-1]
    path = link[link.index("/status/") :]
    page = Client().get(path, headers={"accept-language": "en"}).content.decode()
    assert '<h1 id="h-incident">Unduhan bundle lambat</h1>' in page


def test_it_resolves_from_the_console_with_the_stock_text_in_indonesian_too(cast, client, incident):
    """The console pre-fills the resolve box with the stock English text; posted as shown, the
    body is not empty, so actions.resolve_incident does not treat it as stock and the
    Indonesian page shows "This incident has been resolved." in English."""
    client.force_login(cast.admin)
    url = f"/console/incidents/{incident.public_id}/"
    shown = client.get(url).content.decode()
    body = re.search(r'<textarea id="resolve-body" name="body"[^>]*>([^<]*)</textarea>', shown)
    assert body and body.group(1).strip() == "This incident has been resolved."
    assert client.post(url + "resolve/", {"body": body.group(1), "body_in_id": ""}).status_code == 302
    resolved = incident.updates.order_by("-created_at", "-pk").first()
    assert resolved is not None and resolved.status == "resolved"
    assert resolved.text_in("body", "id") != "This incident has been resolved."


def test_it_adds_the_language_to_a_page_url_that_already_has_a_query(client, api, settings):
    """CAPDESK_STATUS_URL with a query (a tracking or embed parameter) gets a second '?'."""
    settings.CAPDESK_STATUS_URL = "https://status.capgo.test/?utm_source=email"
    _subscriber(client, "dewi@kopinusantara.id", "id")
    OutboundEmail.objects.filter(kind="status_update").delete()
    StatusEvent.objects.all().delete()
    actions.set_component_status(api, "major_outage")
    event = StatusEvent.objects.get()
    delivery.fan_out(event.pk)
    body = OutboundEmail.objects.get(kind="status_update").body_text
    assert "?utm_source=email?lang=id" not in body, body


def test_it_does_not_html_escape_the_incident_name_in_a_plain_text_subject(client, api):
    """incident_subject.txt has no {% autoescape off %} (the body has): "&" arrives as "&amp;"."""
    _subscriber(client, "dewi@kopinusantara.id", "id")
    actions.open_incident(
        name="Builds & updates slow",
        body="Looking.",
        translations={"id": {"name": "Build & pembaruan lambat"}},
    )
    _fan_out_all()
    email = OutboundEmail.objects.get(kind="status_update", to="dewi@kopinusantara.id")
    assert "Build & pembaruan lambat" in email.subject, email.subject
