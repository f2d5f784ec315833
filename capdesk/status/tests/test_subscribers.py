"""Subscribers: double opt-in, per-component interest, one-click unsubscribe, signed webhooks."""

import json
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client

from capdesk.core.webhook_signatures import verify
from capdesk.notify.models import OutboundEmail
from capdesk.status import actions, delivery
from capdesk.status.models import StatusEvent, Subscriber
from capdesk.status.tasks import deliver_due_webhooks
from capdesk.testing.sweeps import hand_over_checked

from .conftest import NOW


def _link(kind: str) -> str:
    email = OutboundEmail.objects.filter(kind="status_confirm").latest("created_at")
    match = re.search(rf"http://127\.0\.0\.1:8000(/status/{kind}/\S+/)", email.body_text)
    assert match, email.body_text
    return match.group(1)


def _subscribe(client, email="dewi@kopinusantara.id", **extra):
    response = client.post("/status/subscribe/", {"kind": "email", "email": email, **extra})
    assert response.status_code == 302, response.content.decode()[:1000]
    assert response["Location"] == "/status/subscribe/sent/"


def _confirmed(client, email="dewi@kopinusantara.id", **extra) -> Subscriber:
    _subscribe(client, email, **extra)
    client.post(_link("subscribe/confirm"))
    subscriber = Subscriber.objects.get(email=email)
    assert subscriber.is_active
    return subscriber


def _fan_out_all() -> int:
    return sum(delivery.fan_out(pk) for pk in StatusEvent.objects.values_list("pk", flat=True))


def test_subscribing_sends_only_a_confirmation_until_the_link_is_used(client, api):
    _subscribe(client)
    subscriber = Subscriber.objects.get()
    assert not subscriber.is_active
    assert OutboundEmail.objects.get().kind == "status_confirm"
    actions.open_incident(name="Outage", body="x")
    assert _fan_out_all() == 0


def test_the_confirmation_link_asks_before_it_confirms(client, db):
    _subscribe(client)
    link = _link("subscribe/confirm")
    page = client.get(link)  # a mail scanner fetching the link
    assert page.status_code == 200
    assert not Subscriber.objects.get().is_active
    assert "Confirmed" not in page.content.decode()
    client.post(link)
    assert Subscriber.objects.get().is_active


def test_a_forged_or_expired_link_does_nothing(client, db, frozen):
    _subscribe(client)
    assert client.post("/status/subscribe/confirm/forged:token/").status_code == 404
    link = _link("subscribe/confirm")
    frozen.shift(timedelta(days=8))
    assert client.post(link).status_code == 404
    assert not Subscriber.objects.get().is_active


def test_subscribing_twice_keeps_one_subscription_and_does_not_flood_the_inbox(client, db, frozen):
    _subscribe(client)
    _subscribe(client, "DEWI@kopinusantara.id")
    assert Subscriber.objects.count() == 1
    assert OutboundEmail.objects.filter(kind="status_confirm").count() == 1
    frozen.shift(timedelta(minutes=16))
    _subscribe(client)
    assert OutboundEmail.objects.filter(kind="status_confirm").count() == 2


def test_a_confirmed_subscriber_gets_each_incident_update_with_one_click_unsubscribe(client, api):
    subscriber = _confirmed(client)
    incident = actions.open_incident(
        name="Bundle downloads fail", body="Investigating now.", components={api: "major_outage"}
    )
    assert _fan_out_all() == 1
    email = OutboundEmail.objects.get(kind="status_update")
    assert email.to == "dewi@kopinusantara.id"
    assert "Bundle downloads fail" in email.subject and "Investigating" in email.subject
    assert "Investigating now." in email.body_text
    assert f"/status/incidents/{incident.public_id}" in email.body_text
    unsubscribe = email.headers["List-Unsubscribe"]
    assert re.fullmatch(r"<http://127\.0\.0\.1:8000/status/unsubscribe/\S+/>", unsubscribe)
    assert email.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe[1:-1] in email.body_text
    assert _fan_out_all() == 0  # each event is fanned out once
    assert subscriber.is_active


def test_one_click_unsubscribe_works_without_a_session_or_csrf_token(client, api):
    _confirmed(client)
    actions.open_incident(name="Outage", body="x")
    _fan_out_all()
    header = OutboundEmail.objects.get(kind="status_update").headers["List-Unsubscribe"]
    path = header[1:-1].removeprefix("http://127.0.0.1:8000")
    mail_client = Client(enforce_csrf_checks=True)
    assert mail_client.get(path).status_code == 200
    assert Subscriber.objects.get().is_active  # looking at the link is not unsubscribing
    response = mail_client.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert Subscriber.objects.get().unsubscribed_at is not None
    assert (
        mail_client.post(
            path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
        ).status_code
        == 200
    )
    actions.open_incident(name="Another", body="y")
    assert _fan_out_all() == 0


def test_a_component_subscriber_hears_only_about_its_components_and_page_wide_incidents(client, api, console):
    _confirmed(client, components=[console.pk])
    actions.open_incident(name="API down", body="x", components={api: "major_outage"})
    assert _fan_out_all() == 0
    actions.open_incident(name="Console slow", body="y", components={console: "degraded_performance"})
    assert _fan_out_all() == 1
    actions.open_incident(name="Everything is odd", body="z")
    assert _fan_out_all() == 1


def test_a_component_change_outside_an_incident_is_sent_too(client, api):
    _confirmed(client)
    actions.set_component_status(api, "degraded_performance")
    assert _fan_out_all() == 1
    email = OutboundEmail.objects.get(kind="status_update")
    assert "Live update API" in email.subject
    assert "from Operational to Degraded performance" in email.body_text


@pytest.fixture
def hook(settings):
    from .receiver import receiver

    settings.CAPDESK_STATUS_WEBHOOK_ALLOW_LOCAL = True
    settings.CAPDESK_STATUS_WEBHOOK_TIMEOUT_SECONDS = 1
    with receiver() as endpoint:
        yield endpoint


def _webhook_subscriber(client, url) -> Subscriber:
    response = client.post(
        "/status/subscribe/", {"kind": "webhook", "email": "ops@globex.example", "endpoint": url}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    confirmed = client.post(_link("subscribe/confirm")).content.decode()
    subscriber = Subscriber.objects.get(kind="webhook")
    assert subscriber.secret.startswith("whsec_") and subscriber.secret in confirmed
    return subscriber


def test_a_webhook_subscriber_receives_statuspages_payload_signed_per_standard_webhooks(client, api, hook):
    subscriber = _webhook_subscriber(client, hook.url)
    incident = actions.open_incident(
        name="Uploads fail", body="x", impact="major", components={api: "partial_outage"}
    )
    assert _fan_out_all() == 1
    sent = subscriber.deliveries.get()
    assert delivery.deliver_webhook(sent.pk) is True
    (received,) = hook.requests
    verified = verify(subscriber.secret, received.headers, received.body, now=NOW.timestamp())
    assert verified.webhook_id == sent.public_id
    payload = json.loads(received.body)
    assert list(payload) == ["meta", "page", "incident"]
    assert payload["meta"]["unsubscribe"].startswith("http://127.0.0.1:8000/status/unsubscribe/")
    assert payload["page"]["status_indicator"] == "major"
    assert payload["incident"]["id"] == incident.public_id
    assert (
        payload["incident"]["incident_updates"][0]["affected_components"][0]["new_status"] == "partial_outage"
    )
    sent.refresh_from_db()
    assert sent.state == "delivered"
    assert [(a.status_code, a.error) for a in sent.log.all()] == [(200, "")]


def test_the_scheduler_hands_the_webhook_retries_to_the_outbound_worker(client, api, hook, frozen):
    subscriber = _webhook_subscriber(client, hook.url)
    hook.script = [500]
    actions.open_incident(name="Uploads fail", body="x")
    _fan_out_all()
    sent = subscriber.deliveries.get()
    assert delivery.deliver_webhook(sent.pk) is False
    frozen.shift(timedelta(seconds=30))  # the retry is due
    hand_over_checked("status.deliver_due_webhooks", deliver_due_webhooks, posted=lambda: len(hook.requests))
    sent.refresh_from_db()
    assert sent.state == "delivered"


def test_a_failed_webhook_is_retried_with_backoff_under_the_same_id_and_logged(client, api, hook, frozen):
    subscriber = _webhook_subscriber(client, hook.url)
    hook.script = [500, 302]
    actions.open_incident(name="Uploads fail", body="x")
    _fan_out_all()
    sent = subscriber.deliveries.get()
    assert delivery.deliver_webhook(sent.pk) is False
    assert delivery.deliver_due() == 0  # not due yet: backing off
    frozen.shift(timedelta(seconds=31))
    assert delivery.deliver_due() == 1  # a redirect is a failure too
    frozen.shift(timedelta(seconds=61))
    assert delivery.deliver_due() == 1
    sent.refresh_from_db()
    assert sent.state == "delivered" and sent.attempts == 3
    assert [a.status_code for a in sent.log.all()] == [500, 302, 200]
    ids = {value for r in hook.requests for key, value in r.headers.items() if key.lower() == "webhook-id"}
    assert len(ids) == 1
    assert len(hook.requests) == 3  # the redirect was not followed


def test_a_hanging_endpoint_costs_one_timeout_not_one_per_update(client, api, hook, frozen):
    subscriber = _webhook_subscriber(client, hook.url)
    hook.script = ["hang"]
    incident = actions.open_incident(name="Uploads fail", body="x")
    actions.post_incident_update(incident, status="identified", body="A bad deploy")
    actions.post_incident_update(incident, status="monitoring", body="Rolled back")
    _fan_out_all()
    first, *later = subscriber.deliveries.order_by("pk")
    assert delivery.deliver_webhook(first.pk) is False
    assert [delivery.deliver_webhook(d.pk) for d in later] == [False, False]
    assert len(hook.requests) == 1  # the later updates' tasks wait for the endpoint's next try
    assert list(subscriber.deliveries.order_by("pk").values_list("attempts", flat=True)) == [1, 0, 0]
    frozen.shift(timedelta(seconds=31))
    assert delivery.deliver_due(due_for=timedelta(seconds=30)) == 3
    assert set(subscriber.deliveries.values_list("state", flat=True)) == {"delivered"}


def test_a_hanging_endpoint_times_out_and_is_logged(client, api, hook):
    subscriber = _webhook_subscriber(client, hook.url)
    hook.script = ["hang"]
    actions.open_incident(name="Uploads fail", body="x")
    _fan_out_all()
    sent = subscriber.deliveries.get()
    assert delivery.deliver_webhook(sent.pk) is False
    (attempt,) = sent.log.all()
    assert attempt.status_code is None and "timed out" in attempt.error.lower()
    assert attempt.duration_ms < 2500


def test_webhooks_to_private_or_plain_http_addresses_are_refused(client, db, settings):
    settings.CAPDESK_STATUS_WEBHOOK_ALLOW_LOCAL = False
    for url in (
        "http://status-hooks.example.com/x",
        "https://127.0.0.1/x",
        "https://10.0.0.7/x",
        "https://[::1]/x",
    ):
        response = client.post(
            "/status/subscribe/", {"kind": "webhook", "email": "ops@globex.example", "endpoint": url}
        )
        assert response.status_code == 200, url
        assert "errorlist" in response.content.decode(), url
    assert not Subscriber.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_worker_tells_subscribers_end_to_end(client, run_worker, frozen):
    api = actions.create_component(name="Live update API")
    _confirmed(client)
    mail.outbox.clear()
    run_worker()  # sends the confirmation mail still queued
    mail.outbox.clear()
    incident = actions.open_incident(
        name="Bundle downloads fail", body="Investigating.", components={api: "major_outage"}
    )
    run_worker()
    (message,) = mail.outbox
    assert message.to == ["dewi@kopinusantara.id"]
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"/status/incidents/{incident.public_id}" in message.body


def test_an_email_subscriber_whose_update_bounces_for_good_is_told_no_more(client, api, frozen):
    from capdesk.intake import actions as intake
    from capdesk.testing.bounces import dsn

    bouncing = _confirmed(client)
    frozen.shift(timedelta(seconds=1))  # for _link to pick the second confirmation
    other = _confirmed(client, "ops@globex.example")
    actions.open_incident(name="Uploads fail", body="x")
    _fan_out_all()
    update = OutboundEmail.objects.get(kind="status_update", to="dewi@kopinusantara.id")
    # A bounce that names another address, or a temporary failure, changes nothing.
    for report in (
        dsn(("someone@kopinusantara.id", "failed", "5.1.1"), cites=update.headers["Message-ID"]),
        dsn(("dewi@kopinusantara.id", "delayed", "4.2.2"), cites=update.headers["Message-ID"]),
    ):
        intake.process(intake.receive(channel="email", raw=report).request.pk)
        bouncing.refresh_from_db()
        assert bouncing.is_active
    report = dsn(("dewi@kopinusantara.id", "failed", "5.1.1"), cites=update.headers["Message-ID"])
    intake.process(intake.receive(channel="email", raw=report).request.pk)
    bouncing.refresh_from_db()
    assert not bouncing.is_active and bouncing.bounced_at == bouncing.unsubscribed_at == NOW + timedelta(
        seconds=1
    )
    actions.open_incident(name="Builds slow", body="y")
    assert _fan_out_all() == 1  # the other subscriber only
    assert OutboundEmail.objects.filter(kind="status_update", to="dewi@kopinusantara.id").count() == 1
    assert OutboundEmail.objects.filter(kind="status_update", to="ops@globex.example").count() == 2
    other.refresh_from_db()
    assert other.is_active
    # Subscribing again starts afresh, with a new confirmation.
    _subscribe(client)
    assert Subscriber.objects.filter(email="dewi@kopinusantara.id", unsubscribed_at__isnull=True).count() == 1
