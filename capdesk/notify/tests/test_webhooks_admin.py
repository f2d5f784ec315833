"""Admins set up endpoints in the Django admin, through the actions, and read the delivery log there."""

from __future__ import annotations

import pytest

from capdesk.notify import webhooks
from capdesk.notify.models import WebhookEndpoint

from .webhook_receiver import Receiver

pytestmark = pytest.mark.django_db


def test_it_creates_an_endpoint_with_a_generated_secret_shown_to_the_admin(cast, client, hook: Receiver):
    client.force_login(cast.admin)
    response = client.post(
        "/admin/notify/webhookendpoint/add/",
        {"url": hook.url, "description": "Capgo platform", "events": ["ticket.solved"], "is_active": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret.startswith("whsec_") and endpoint.events == ["ticket.solved"]
    page = client.get(f"/admin/notify/webhookendpoint/{endpoint.pk}/change/").content.decode()
    assert endpoint.secret in page


def test_it_refuses_a_private_target_in_the_admin_form(cast, client, settings):
    settings.CAPDESK_WEBHOOK_ALLOW_LOCAL = False
    client.force_login(cast.admin)
    response = client.post(
        "/admin/notify/webhookendpoint/add/",
        {"url": "https://10.0.0.5/hook", "events": [], "is_active": "on"},
    )
    assert response.status_code == 200
    assert "private or local address" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_it_keeps_the_secret_when_an_admin_edits_the_endpoint(cast, client, hook: Receiver):
    endpoint = webhooks.create_endpoint(url=hook.url)
    client.force_login(cast.admin)
    response = client.post(
        f"/admin/notify/webhookendpoint/{endpoint.pk}/change/",
        {"url": hook.url, "description": "", "events": ["incident.created"]},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    edited = WebhookEndpoint.objects.get()
    assert (edited.secret, edited.events, edited.is_active) == (endpoint.secret, ["incident.created"], False)


def test_it_shows_an_agent_without_rights_no_webhook_pages(cast, client):
    client.force_login(cast.agent)
    assert client.get("/admin/notify/webhookendpoint/").status_code == 403
    assert client.get("/admin/notify/webhookdelivery/").status_code == 403


def test_it_resends_one_delivery_from_its_page_with_the_button(cast, client, hook: Receiver):
    endpoint = webhooks.create_endpoint(url=hook.url, events=["incident.created"])
    hook.secret = endpoint.secret
    (delivery,) = webhooks.queue_event("incident.created", {"type": "incident.created", "data": {}})
    assert webhooks.deliver(delivery.pk) is True
    client.force_login(cast.admin)
    page = client.get(f"/admin/notify/webhookdelivery/{delivery.pk}/change/").content.decode()
    assert f'action="/admin/notify/webhookdelivery/{delivery.pk}/resend/"' in page
    assert client.get(f"/admin/notify/webhookdelivery/{delivery.pk}/resend/").status_code == 405
    response = client.post(f"/admin/notify/webhookdelivery/{delivery.pk}/resend/")
    assert response["Location"] == f"/admin/notify/webhookdelivery/{delivery.pk}/change/"
    assert webhooks.deliver_due() == 1
    assert [r.headers["webhook-id"] for r in hook.requests] == [delivery.webhook_id] * 2
    assert all(r.verified for r in hook.requests)


def test_it_lets_no_one_without_rights_press_the_button(cast, client, hook: Receiver):
    endpoint = webhooks.create_endpoint(url=hook.url)
    hook.secret = endpoint.secret
    (delivery,) = webhooks.queue_event("ticket.created", {"type": "ticket.created", "data": {}})
    assert webhooks.deliver(delivery.pk) is True
    client.force_login(cast.agent)
    assert client.post(f"/admin/notify/webhookdelivery/{delivery.pk}/resend/").status_code == 403
    assert endpoint.deliveries.get().state == "delivered"
    assert webhooks.deliver_due() == 0 and len(hook.requests) == 1
