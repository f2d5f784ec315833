"""The feeds and the maintenance calendar in Indonesian when their URL says ``?lang=id``.

Read as an anonymous feed reader or calendar would: the default URLs stay the English
documents they always were, whatever the reader's cookie or Accept-Language.
"""

import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from capdesk.status import actions, publish
from capdesk.status.models import Component, Incident

from .conftest import NOW
from .test_status_serve import Running

pytestmark = pytest.mark.usefixtures("frozen")

ATOM = "{http://www.w3.org/2005/Atom}"
FEEDS = ("/history.atom", "/history.rss", "/maintenance.ics")


def _xml(content: bytes) -> ET.Element:
    return ET.fromstring(content)  # noqa: S314 (our own feed, not untrusted input)


def _text(element: ET.Element, path: str) -> str:
    found = element.find(path)
    assert found is not None, path
    return found.text or ""


@pytest.fixture
def translated_api(api: Component) -> Component:
    return actions.edit_component(
        api,
        name=api.name,
        description="",
        group=None,
        position=api.position,
        showcase=True,
        only_show_if_degraded=False,
        translations={"id": {"name": "API pembaruan langsung"}},
    )


@pytest.fixture
def incident(translated_api: Component) -> Incident:
    return actions.open_incident(
        name="Bundle downloads slow",
        body="We are investigating slow downloads.",
        components={translated_api: "degraded_performance"},
        translations={"id": {"name": "Unduhan bundle lambat", "body": "Kami sedang menyelidikinya."}},
    )


@pytest.fixture
def maintenance(translated_api: Component) -> Incident:
    return actions.schedule_maintenance(
        name="Database upgrade",
        scheduled_for=NOW + timedelta(days=2),
        scheduled_until=NOW + timedelta(days=2, hours=1),
        body="We upgrade the database.",
        components=[translated_api],
        translations={"id": {"name": "Peningkatan basis data", "body": "Kami meningkatkan basis data."}},
    )


def _entries(client: Client, path: str) -> tuple[ET.Element, dict[str, ET.Element]]:
    feed = _xml(client.get(path).content)
    return feed, {_text(e, f"{ATOM}id"): e for e in feed.findall(f"{ATOM}entry")}


def test_the_indonesian_atom_feed_is_written_in_indonesian(client, incident):
    response = client.get("/history.atom?lang=id")
    assert response["Content-Language"] == "id"
    assert "Set-Cookie" not in response, "a feed reader keeps no cookie; the URL says the language"
    feed = _xml(response.content)
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "id"
    assert _text(feed, f"{ATOM}title") == "Status Capgo - Riwayat Insiden"
    (entry,) = feed.findall(f"{ATOM}entry")
    assert _text(entry, f"{ATOM}title") == "Unduhan bundle lambat"
    summary = _text(entry, f"{ATOM}summary")
    assert "Kami sedang menyelidikinya." in summary and "Sedang diselidiki" in summary
    assert "Memengaruhi: API pembaruan langsung" in summary
    link = entry.find(f"{ATOM}link")
    assert link is not None and link.get("href", "").endswith(
        f"/status/incidents/{incident.public_id}?lang=id"
    )
    self_link = next(link for link in feed.findall(f"{ATOM}link") if link.get("rel") == "self")
    assert self_link.get("href") == "http://127.0.0.1:8000/history.atom?lang=id"


def test_an_entry_keeps_its_id_in_every_language(client, incident):
    _, english = _entries(client, "/history.atom")
    _, indonesian = _entries(client, "/history.atom?lang=id")
    assert list(english) == list(indonesian) == [f"tag:127.0.0.1,2026:incident/{incident.public_id}"]


def test_text_nobody_translated_reads_in_english_in_the_indonesian_feed(client, console):
    actions.open_incident(
        name="Console errors", body="Looking into it.", components={console: "major_outage"}
    )
    summary = client.get("/history.rss?lang=id").content.decode()
    assert "<title>Console errors</title>" in summary
    assert "Looking into it." in summary and "Memengaruhi: Console" in summary
    assert "<language>id</language>" in summary


def test_the_default_feeds_stay_english_whatever_the_reader_prefers(client, incident, maintenance):
    for path in FEEDS:
        plain = client.get(path)
        assert plain["Content-Language"] == "en", path
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
        preferred = client.get(path, headers={"accept-language": "id"})
        del client.cookies[settings.LANGUAGE_COOKIE_NAME]
        assert preferred.content == plain.content, path
        assert preferred["Content-Language"] == "en", "the document's language, not the reader's"
        # ?lang= naming the default or no page language is the default document too.
        assert client.get(path + "?lang=en").content == plain.content, path
        assert client.get(path + "?lang=xx").content == plain.content, path
        assert "Unduhan" not in plain.content.decode() and "Peningkatan" not in plain.content.decode()
    atom = client.get("/history.atom").content.decode()
    assert 'xml:lang="en"' in atom and "<title>Capgo Status - Incident History</title>" in atom
    assert "Affects: Live update API" in atom and "?lang=" not in atom


def _events(text: str) -> list[dict[str, str]]:
    unfolded = text.replace("\r\n ", "")
    return [
        dict(line.split(":", 1) for line in block.split("END:VEVENT")[0].strip().split("\r\n"))
        for block in unfolded.split("BEGIN:VEVENT\r\n")[1:]
    ]


def test_the_indonesian_calendar_names_and_describes_maintenance_in_indonesian(client, maintenance):
    response = client.get("/maintenance.ics?lang=id")
    assert response["Content-Language"] == "id"
    assert 'filename="maintenance.id.ics"' in response["Content-Disposition"]
    text = response.content.decode()
    assert "X-WR-CALNAME:Pemeliharaan terjadwal Capgo\r\n" in text
    (event,) = _events(text)
    (english,) = _events(client.get("/maintenance.ics").content.decode())
    assert event["UID"] == english["UID"], "one event, whichever language a calendar subscribed in"
    assert event["SUMMARY;LANGUAGE=id"] == "[Capgo] Peningkatan basis data"
    description = event["DESCRIPTION;LANGUAGE=id"]
    assert description.startswith("Kami meningkatkan basis data.")
    assert "Memengaruhi: API pembaruan langsung" in description
    assert event["URL"].endswith(f"/status/incidents/{maintenance.public_id}?lang=id")
    assert english["SUMMARY"] == "[Capgo] Database upgrade" and "SUMMARY;LANGUAGE=id" not in english


def test_the_stock_maintenance_text_is_in_indonesian_in_the_calendar(client, api):
    actions.schedule_maintenance(
        name="Upgrade",
        scheduled_for=NOW + timedelta(days=1),
        scheduled_until=NOW + timedelta(days=1, hours=1),
    )
    (event,) = _events(client.get("/maintenance.ics?lang=id").content.decode())
    assert event["SUMMARY;LANGUAGE=id"] == "[Capgo] Upgrade", "no Indonesian name given: the English"
    assert event["DESCRIPTION;LANGUAGE=id"].startswith("Kami akan melakukan pemeliharaan terjadwal")


def test_the_indonesian_page_links_the_indonesian_feeds(client, incident):
    page = client.get("/status/?lang=id").content.decode()
    assert '<link rel="alternate" type="application/atom+xml" hreflang="id"' in page
    assert 'href="/history.atom?lang=id"' in page and 'href="/history.rss?lang=id"' in page
    assert 'href="/maintenance.ics?lang=id"' in page
    english = client.get("/status/?lang=en").content.decode()
    assert 'hreflang="en"' in english and 'href="/history.atom"' in english
    assert "history.atom?lang=" not in english


def _published() -> Path:
    publish.publish()
    return Path(settings.CAPDESK_STATUS_PUBLISH_DIR)


def test_the_published_folder_has_each_feed_in_each_language(client, incident, maintenance):
    folder = _published()
    for path in FEEDS:
        assert (folder / publish.file_name(path, "")).read_bytes() == client.get(path).content, path
        indonesian = (folder / publish.file_name(path, "id")).read_bytes()
        assert indonesian == client.get(path + "?lang=id").content, path
    assert publish.file_name("/history.atom", "id") == "history.id.atom"


def test_status_serve_answers_lang_id_with_the_indonesian_feed_and_nothing_else_with_it(incident):
    running = Running(_published())
    try:
        response, body = running.get("/history.atom?lang=id")
        assert response.status == 200 and b"Unduhan bundle lambat" in body
        assert response.getheader("Set-Cookie") is None
        _, english = running.get(
            "/history.atom", headers={"Accept-Language": "id", "Cookie": "django_language=id"}
        )
        assert b"Bundle downloads slow" in english and b"Unduhan" not in english
    finally:
        running.stop()
