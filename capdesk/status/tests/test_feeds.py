"""Atom, RSS and the maintenance calendar, read as a feed reader and a calendar client would."""

import xml.etree.ElementTree as ET
from datetime import timedelta

from capdesk.status import actions

from .conftest import NOW

ATOM = "{http://www.w3.org/2005/Atom}"


def _xml(content: bytes) -> ET.Element:
    return ET.fromstring(content)  # noqa: S314 (our own feed, not untrusted input)


def _one(element: ET.Element, path: str) -> ET.Element:
    found = element.find(path)
    assert found is not None, path
    return found


def _text(element: ET.Element, path: str) -> str:
    return _one(element, path).text or ""


def test_the_atom_feed_lists_incidents_with_stable_ids_and_shortlinks(client, api):
    incident = actions.open_incident(
        name="Console is slow", body="Looking & <checking>.", components={api: "degraded_performance"}
    )
    response = client.get("/history.atom")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = _xml(response.content)
    (entry,) = feed.findall(f"{ATOM}entry")
    assert _text(entry, f"{ATOM}title") == "Console is slow"
    assert _text(entry, f"{ATOM}id") == f"tag:127.0.0.1,2026:incident/{incident.public_id}"
    link = _one(entry, f"{ATOM}link").get("href")
    assert link == f"http://127.0.0.1:8000/status/incidents/{incident.public_id}"
    assert "Looking &amp; &lt;checking&gt;." in _text(entry, f"{ATOM}summary")
    self_link = next(link for link in feed.findall(f"{ATOM}link") if link.get("rel") == "self")
    assert self_link.get("href") == "http://127.0.0.1:8000/history.atom"


def test_the_rss_feed_uses_non_permalink_guids_and_shows_new_updates(client, api, frozen):
    incident = actions.open_incident(name="Uploads fail", body="Investigating.")
    frozen.shift(timedelta(minutes=10))
    actions.resolve_incident(incident)
    response = client.get("/history.rss")
    assert response["Content-Type"].startswith("application/rss+xml")
    item = _one(_one(_xml(response.content), "channel"), "item")
    guid = _one(item, "guid")
    assert guid.get("isPermaLink") == "false"
    assert (guid.text or "").endswith(incident.public_id)
    assert "Resolved" in _text(item, "description")


def _events(client):
    text = client.get("/maintenance.ics").content.decode()
    unfolded = text.replace("\r\n ", "")
    events = []
    for block in unfolded.split("BEGIN:VEVENT\r\n")[1:]:
        body = block.split("END:VEVENT")[0]
        events.append(dict(line.split(":", 1) for line in body.strip().split("\r\n")))
    return text, events


def test_the_calendar_has_one_event_per_maintenance_with_a_stable_uid(client, api):
    maintenance = actions.schedule_maintenance(
        name="Database upgrade; phase 1, part A",
        scheduled_for=NOW + timedelta(days=2),
        scheduled_until=NOW + timedelta(days=2, hours=1),
        components=[api],
    )
    response = client.get("/maintenance.ics")
    assert response["Content-Type"].startswith("text/calendar")
    text, (event,) = _events(client)
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:")
    assert text.endswith("END:VCALENDAR\r\n")
    assert event["UID"] == f"{maintenance.public_id}@127.0.0.1"
    assert event["DTSTART"] == "20260319T120000Z"
    assert event["DTEND"] == "20260319T130000Z"
    assert event["SUMMARY"] == "[Capgo] Database upgrade\\; phase 1\\, part A"
    assert event["SEQUENCE"] == "0"
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))


def test_moving_the_window_keeps_the_uid_and_bumps_the_sequence(client, api):
    maintenance = actions.schedule_maintenance(
        name="Upgrade",
        scheduled_for=NOW + timedelta(days=2),
        scheduled_until=NOW + timedelta(days=2, hours=1),
    )
    _, (before,) = _events(client)
    actions.reschedule_maintenance(
        maintenance, scheduled_for=NOW + timedelta(days=4), scheduled_until=NOW + timedelta(days=4, hours=2)
    )
    _, (after,) = _events(client)
    assert after["UID"] == before["UID"]
    assert (before["SEQUENCE"], after["SEQUENCE"]) == ("0", "1")
    assert after["DTSTART"] == "20260321T120000Z"


def test_feeds_are_public_cross_origin_and_answer_head(client, api):
    for path in ("/history.atom", "/history.rss", "/maintenance.ics"):
        response = client.head(path)
        assert response.status_code == 200, path
        assert response["Access-Control-Allow-Origin"] == "*"
