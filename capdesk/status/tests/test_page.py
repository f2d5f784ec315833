"""The public page: readable at a glance, without JavaScript, without other hosts, en and id."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from capdesk.status import actions, publish

from .conftest import NOW


def _page(client, **headers):
    response = client.get("/status/", **headers)
    assert response.status_code == 200
    return response.content.decode()


def test_the_anonymous_public_sees_all_systems_operational_and_the_components(client, api, console):
    page = _page(client)
    assert "All systems operational" in page
    assert "Live update API" in page and "Console" in page
    assert page.count('class="bars"') == 2
    assert "100.00% uptime" in page


def test_each_component_has_ninety_daily_bars_and_a_past_outage_shows_on_its_day(client, api):
    then = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
    incident = actions.open_incident(name="Old outage", body="x", components={api: "major_outage"}, at=then)
    actions.resolve_incident(incident, at=then + timedelta(hours=2))
    page = _page(client)
    bars = re.findall(r'<li class="st-([a-z_]+)" title="([^"]+)"', page)
    assert len(bars) == 90
    assert ("major_outage", "10 Mar 2026: Major outage") in bars
    assert bars[-1] == ("operational", "17 Mar 2026: No incidents")
    assert "1 day with problems" in page
    assert "99.90% uptime" in page  # two hours down in a component created 2025-11-01


def test_an_active_incident_is_shown_first_with_its_updates(client, api, frozen):
    incident = actions.open_incident(
        name="Bundle downloads fail",
        body="Investigating.",
        impact="major",
        components={api: "partial_outage"},
    )
    frozen.shift(timedelta(minutes=3))
    actions.post_incident_update(incident, status="identified", body="A CDN node is down.")
    page = _page(client)
    assert "Partial system outage" in page
    assert page.index("Active incidents") < page.index("Components")
    assert page.index("A CDN node is down.") < page.index("Investigating.")
    assert f'href="/status/incidents/{incident.public_id}"' in page


def test_maintenance_in_progress_and_upcoming_are_shown(client, api):
    running = actions.schedule_maintenance(
        name="Database failover",
        scheduled_for=NOW,
        scheduled_until=NOW + timedelta(hours=1),
        components=[api],
    )
    actions.start_maintenance(running)
    actions.schedule_maintenance(
        name="Storage upgrade",
        scheduled_for=NOW + timedelta(days=3),
        scheduled_until=NOW + timedelta(days=3, hours=2),
    )
    page = _page(client)
    assert "Service under maintenance" in page
    assert "Maintenance in progress" in page and "Database failover" in page
    assert "Scheduled maintenance" in page and "Storage upgrade" in page
    assert "20 Mar 2026, 12:00 UTC" in page


def test_past_incidents_are_listed_by_month(client, api):
    then = datetime(2026, 2, 3, 8, 0, tzinfo=UTC)
    incident = actions.open_incident(name="February hiccup", body="x", at=then)
    actions.resolve_incident(incident, at=then + timedelta(minutes=30))
    page = _page(client)
    assert page.index("March 2026") < page.index("February 2026") < page.index("February hiccup")
    assert page.index("February hiccup") < page.index("January 2026")
    assert "No incidents reported." in page
    history = client.get("/status/history/").content.decode()
    assert "February hiccup" in history and "April 2025" in history


def test_it_loads_nothing_from_other_hosts_and_needs_no_javascript(client, api):
    page = _page(client)
    assert "<script" not in page
    assert not re.search(r'(src|href)="(https?:)?//(?!127\.0\.0\.1)', page.split("<main")[0])
    assert not re.search(r'<(link|img|script)[^>]+(src|href)="(https?:)?//', page)


def test_it_is_structured_for_assistive_technology(client, api):
    page = _page(client)
    assert '<html lang="en">' in page
    assert '<main id="main">' in page and 'class="skip"' in page
    assert re.search(r'role="img" aria-label="100.00% uptime over the last 90 days"', page)
    assert page.count("<h1>") == 1


def test_it_speaks_indonesian_when_asked(client, api):
    response = client.get("/status/", HTTP_ACCEPT_LANGUAGE="id")
    assert '<html lang="id">' in response.content.decode()
    assert response["Content-Language"] == "id"
    chosen = client.get("/status/?lang=id")
    assert '<html lang="id">' in chosen.content.decode()
    assert chosen.cookies["django_language"].value == "id"
    english = client.get("/status/?lang=en")
    assert '<html lang="en">' in english.content.decode()


def test_the_page_is_rendered_on_change_not_per_request(client, api, django_assert_max_num_queries):
    _page(client)
    with django_assert_max_num_queries(1):
        _page(client)
    actions.set_component_status(api, "major_outage")
    assert "Major system outage" in _page(client)


def test_an_incident_has_its_own_page_and_unknown_ones_are_not_found(client, api):
    incident = actions.open_incident(name="Slow console", body="Looking into it.")
    actions.resolve_incident(incident)
    actions.publish_postmortem(incident, body="A runaway query.")
    response = client.get(f"/status/incidents/{incident.public_id}")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Slow console" in page and "Postmortem" in page and "A runaway query." in page
    assert client.get("/status/incidents/nope").status_code == 404


def test_html_in_an_update_is_shown_as_text(client, api):
    actions.open_incident(name="<b>x</b>", body="<script>alert(1)</script>")
    page = _page(client)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def _past_section(page):
    return page[page.index('id="h-history"') :]


def test_an_open_incident_is_listed_under_past_incidents_only_once_resolved(client, api, settings):
    incident = actions.open_incident(name="Bundle downloads slow in Asia", body="Investigating.")
    page = _page(client)
    assert "Bundle downloads slow in Asia" in page[: page.index('id="h-history"')]
    assert "Bundle downloads slow in Asia" not in _past_section(page)
    assert "Bundle downloads slow in Asia" not in client.get("/status/history/").content.decode()
    publish.publish()
    published = (Path(settings.CAPDESK_STATUS_PUBLISH_DIR) / "status/index.html").read_text()
    assert "Bundle downloads slow in Asia" not in _past_section(published)

    actions.resolve_incident(incident, body="Fixed.")
    page = _page(client)
    assert 'id="h-incidents"' not in page
    assert "Bundle downloads slow in Asia" in _past_section(page)
    assert "Bundle downloads slow in Asia" in client.get("/status/history/").content.decode()
    publish.publish()
    published = (Path(settings.CAPDESK_STATUS_PUBLISH_DIR) / "status/index.html").read_text()
    assert "Bundle downloads slow in Asia" in _past_section(published)
