"""Incident translations as readers reach them: email links, the console resolve box, plain-text subjects (review 64)."""

import re

import pytest
from django.test import Client

from capdesk.notify.models import OutboundEmail
from capdesk.status import actions, delivery
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


def _subscribe(client: Client, email: str, language: str) -> None:
    client.post(
        "/status/subscribe/", {"kind": "email", "email": email}, headers={"accept-language": language}
    )
    sent = OutboundEmail.objects.filter(kind="status_confirm", to=email).latest("created_at")
    match = re.search(r"http://127\.0\.0\.1:8000(/status/subscribe/confirm/\S+/)", sent.body_text)
    assert match
    client.post(match.group(1))


def test_it_opens_the_incident_page_in_indonesian_from_the_link_in_an_indonesian_email(client, api):
    """The email's "Follow it here" link ends in ?lang=id, but the incident view ignores ?lang=
    (only the page and history views read it; LocaleMiddleware does not): a subscriber whose
    browser is in English lands on the English text."""
    _subscribe(client, "dewi@kopinusantara.id", "id")
    actions.open_incident(name="Bundle downloads slow", body="We are investigating.", translations=ID)
    for pk in StatusEvent.objects.values_list("pk", flat=True):
        delivery.fan_out(pk)
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
    _subscribe(client, "dewi@kopinusantara.id", "id")
    OutboundEmail.objects.filter(kind="status_update").delete()
    StatusEvent.objects.all().delete()
    actions.set_component_status(api, "major_outage")
    event = StatusEvent.objects.get()
    delivery.fan_out(event.pk)
    body = OutboundEmail.objects.get(kind="status_update").body_text
    assert "?utm_source=email?lang=id" not in body, body


def test_it_does_not_html_escape_the_incident_name_in_a_plain_text_subject(client, api):
    """incident_subject.txt has no {% autoescape off %} (the body has): "&" arrives as "&amp;"."""
    _subscribe(client, "dewi@kopinusantara.id", "id")
    actions.open_incident(
        name="Builds & updates slow",
        body="Looking.",
        translations={"id": {"name": "Build & pembaruan lambat"}},
    )
    for pk in StatusEvent.objects.values_list("pk", flat=True):
        delivery.fan_out(pk)
    email = OutboundEmail.objects.get(kind="status_update", to="dewi@kopinusantara.id")
    assert "Build & pembaruan lambat" in email.subject, email.subject
