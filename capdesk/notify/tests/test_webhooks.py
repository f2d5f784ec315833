"""Outgoing webhooks end to end: a ticket or incident changes, a signed POST reaches a real receiver."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from capdesk.core import circuits
from capdesk.notify import webhooks
from capdesk.notify.models import WebhookDelivery, WebhookEndpoint
from capdesk.notify.tasks import deliver_due_webhooks
from capdesk.status import actions as status_actions
from capdesk.testing.sweeps import hand_over_checked
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets.models import Ticket

from .webhook_receiver import Receiver

pytestmark = pytest.mark.django_db

BODY = "My signing key is hunter2, please keep it secret"


def _endpoint(hook: Receiver, events: list[str] | None = None) -> WebhookEndpoint:
    endpoint = webhooks.create_endpoint(url=hook.url, events=events or [])
    hook.secret = endpoint.secret
    return endpoint


def _open(cast) -> Ticket:
    return ticket_actions.open_ticket(
        subject="Bundle 1.4.2 never reaches devices",
        body=BODY,
        channel="portal",
        requester=cast.developer,
        requester_email=cast.developer.primary_email,
        organization=cast.org,
        project=cast.project,
    )


def _agent(cast) -> User:
    assert isinstance(cast.agent, User)
    return cast.agent


def test_it_posts_a_signed_ticket_created_with_the_tickets_summary_and_no_body(cast, hook):
    endpoint = _endpoint(hook)
    ticket = _open(cast)
    delivery = endpoint.deliveries.get(event_type="ticket.created")
    assert webhooks.deliver(delivery.pk) is True
    (received,) = hook.requests
    assert received.verified, "the receiver could not verify the signature"
    assert received.headers["webhook-id"] == delivery.webhook_id
    payload = json.loads(received.body)
    assert payload["type"] == "ticket.created"
    assert payload["timestamp"] == "2026-03-17T12:00:00.000Z"
    summary = payload["data"]["ticket"]
    assert summary["reference"] == ticket.reference
    assert summary["organization"] == str(cast.org.capgo_id)
    assert summary["project"] == "com.acme.shop"
    assert {"status", "severity", "outcome"} <= set(summary)
    assert b"hunter2" not in received.body and b"Bundle 1.4.2" not in received.body
    delivery.refresh_from_db()
    assert delivery.state == "delivered" and delivery.last_status_code == 200
    assert [(a.status_code, a.response_excerpt) for a in delivery.log.all()] == [(200, "thanks!")]


def test_it_retries_a_failed_delivery_with_backoff_under_the_same_webhook_id(cast, hook, frozen):
    endpoint = _endpoint(hook, ["ticket.created"])
    hook.script = [500]
    _open(cast)
    delivery = endpoint.deliveries.get()
    assert webhooks.deliver(delivery.pk) is False
    assert webhooks.deliver_due() == 0  # backing off
    frozen.shift(timedelta(seconds=31))
    assert webhooks.deliver_due() == 1
    first, second = hook.requests
    assert first.verified and second.verified
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == delivery.webhook_id
    assert first.headers["webhook-timestamp"] != second.headers["webhook-timestamp"]
    delivery.refresh_from_db()
    assert delivery.state == "delivered" and delivery.attempts == 2
    assert [a.status_code for a in delivery.log.all()] == [500, 200]


def test_the_scheduler_hands_the_retries_to_the_outbound_worker(cast, hook, frozen):
    endpoint = _endpoint(hook, ["ticket.created"])
    hook.script = [500]
    _open(cast)
    delivery = endpoint.deliveries.get()
    assert webhooks.deliver(delivery.pk) is False
    frozen.shift(timedelta(seconds=30))  # the retry is due
    hand_over_checked("notify.deliver_due_webhooks", deliver_due_webhooks, posted=lambda: len(hook.requests))
    delivery.refresh_from_db()
    assert delivery.state == "delivered"


def test_a_failing_receiver_holds_up_only_its_own_deliveries(cast, hook, frozen):
    dead = webhooks.create_endpoint(url="http://127.0.0.1:9/nobody-listens", events=["ticket.created"])
    alive = _endpoint(hook, ["ticket.created"])
    for _ in range(3):
        _open(cast)
    frozen.shift(timedelta(seconds=30))  # their own tasks were lost: due for the sweep
    # The dead receiver gets one attempt, not three; the live one all of its deliveries.
    assert webhooks.deliver_due(due_for=timedelta(seconds=30)) == 4
    assert len(hook.requests) == 3
    first, *behind = dead.deliveries.order_by("pk")
    assert first.attempts == 1 and first.last_error
    # The others wait for its retry, no attempt counted: the next sweeps reach everyone else first.
    assert [(d.attempts, d.next_attempt_at) for d in behind] == [(0, first.next_attempt_at)] * 2
    assert set(alive.deliveries.values_list("state", flat=True)) == {"delivered"}


def test_a_failing_endpoints_new_deliveries_wait_for_its_next_try_and_others_go(cast, hook, frozen, settings):
    settings.CAPDESK_WEBHOOK_TIMEOUT_SECONDS = 1
    dead = webhooks.create_endpoint(url="http://127.0.0.1:9/nobody-listens", events=["ticket.created"])
    alive = _endpoint(hook, ["ticket.created"])
    _open(cast)
    first = dead.deliveries.get()
    assert webhooks.deliver(first.pk) is False
    circuit = circuits.open_circuit(f"webhook:{dead.pk}")
    assert circuit is not None and circuit.retry_at == timezone.now() + timedelta(seconds=30)
    # Events keep coming: each delivery task to the failing endpoint returns at once, no
    # attempt counted, while the live endpoint gets every one of its own.
    for _ in range(3):
        _open(cast)
    for delivery in [*dead.deliveries.exclude(pk=first.pk), *alive.deliveries.all()]:
        webhooks.deliver(delivery.pk)
    assert list(dead.deliveries.order_by("pk").values_list("attempts", flat=True)) == [1, 0, 0, 0]
    assert set(alive.deliveries.values_list("state", flat=True)) == {"delivered"}
    assert len(hook.requests) == 4
    # The endpoint is fixed; at its next try the first delivery that comes goes, and closes the circuit.
    dead.url = hook.url
    dead.save()
    hook.secret = dead.secret
    frozen.shift(timedelta(seconds=30))
    assert webhooks.deliver_due(due_for=timedelta(seconds=30)) == 4
    assert set(dead.deliveries.values_list("state", flat=True)) == {"delivered"}
    assert circuits.open_circuit(f"webhook:{dead.pk}") is None


def test_an_endpoint_that_refuses_one_event_still_gets_the_others_at_once(cast, hook, frozen):
    endpoint = _endpoint(hook, ["ticket.created"])
    hook.script = [400]  # it refuses this payload; it is up
    _open(cast)
    _open(cast)
    refused, other = endpoint.deliveries.order_by("pk")
    assert webhooks.deliver(refused.pk) is False
    assert circuits.open_circuit(webhooks.circuit(endpoint.pk)) is None
    assert webhooks.deliver(other.pk) is True  # not held back for the other's retry
    hook.script = [503]  # now it cannot take anything
    _open(cast)
    assert webhooks.deliver(endpoint.deliveries.latest("pk").pk) is False
    assert circuits.open_circuit(webhooks.circuit(endpoint.pk)) is not None


def test_a_dead_endpoints_backlog_does_not_keep_the_sweep_from_the_others(cast, hook, frozen):
    dead = webhooks.create_endpoint(url="http://127.0.0.1:9/nobody-listens", events=["ticket.created"])
    for _ in range(6):
        _open(cast)
    for _ in range(4):  # it has been failing a while: its next try is 4 minutes away
        circuits.Passage(webhooks.circuit(dead.pk)).failed("URLError: connection refused")
    alive = _endpoint(hook, ["ticket.created"])
    frozen.shift(timedelta(seconds=1))
    _open(cast)
    frozen.shift(timedelta(seconds=30))  # every task was lost: all seven are the sweep's
    # The dead endpoint's six come first and fill a sweep of five; the first is not even
    # tried (its circuit is open), and all six are put back to the endpoint's next try.
    assert webhooks.deliver_due(limit=5, due_for=timedelta(seconds=30)) == 1
    next_try = circuits.retry_at(webhooks.circuit(dead.pk))
    assert set(dead.deliveries.values_list("attempts", "next_attempt_at")) == {(0, next_try)}
    assert webhooks.deliver_due(limit=5, due_for=timedelta(seconds=30)) == 1
    assert alive.deliveries.get().state == "delivered" and len(hook.requests) == 1
    # An endpoint deleted takes its circuit with it.
    dead.delete()
    assert circuits.open_circuit(webhooks.circuit(dead.pk)) is None


def test_it_gives_up_after_the_last_attempt_and_keeps_the_log(cast, hook, frozen):
    endpoint = _endpoint(hook, ["ticket.created"])
    hook.script = [503] * webhooks.MAX_ATTEMPTS
    _open(cast)
    delivery = endpoint.deliveries.get()
    for _ in range(webhooks.MAX_ATTEMPTS):
        webhooks.deliver_due()
        frozen.shift(webhooks.BACKOFF_CAP + timedelta(seconds=1))
    assert webhooks.deliver_due() == 0
    delivery.refresh_from_db()
    assert delivery.state == "failed" and delivery.last_error == "HTTP 503"
    assert delivery.log.count() == webhooks.MAX_ATTEMPTS == len(hook.requests)


def test_it_resends_from_the_admin_under_the_same_webhook_id(cast, hook, client):
    endpoint = _endpoint(hook, ["ticket.created"])
    _open(cast)
    delivery = endpoint.deliveries.get()
    assert webhooks.deliver(delivery.pk) is True
    client.force_login(cast.admin)
    response = client.post(
        "/admin/notify/webhookdelivery/",
        {"action": "resend_selected", "_selected_action": [delivery.pk]},
    )
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.state == "queued"
    assert webhooks.deliver_due() == 1
    first, second = hook.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == delivery.webhook_id
    assert first.body == second.body and second.verified
    assert WebhookDelivery.objects.count() == 1
    assert [a.status_code for a in delivery.log.all()] == [200, 200]


def test_it_sends_a_disabled_endpoint_nothing(cast, hook):
    endpoint = _endpoint(hook)
    webhooks.edit_endpoint(endpoint, url=hook.url, events=[], description="", is_active=False)
    _open(cast)
    assert not endpoint.deliveries.exists()
    assert webhooks.deliver_due() == 0
    assert hook.requests == []


def test_it_does_not_post_what_was_queued_before_the_endpoint_was_disabled(cast, hook):
    endpoint = _endpoint(hook)
    _open(cast)
    webhooks.edit_endpoint(endpoint, url=hook.url, events=[], description="", is_active=False)
    assert webhooks.deliver_due() == 1
    assert hook.requests == []
    delivery = endpoint.deliveries.get()
    assert delivery.state == "failed" and delivery.last_error == "the endpoint is disabled"


def test_it_sends_an_endpoint_subscribed_to_ticket_solved_only_that(cast, hook):
    endpoint = _endpoint(hook, ["ticket.solved"])
    everything = webhooks.create_endpoint(url=hook.url)
    ticket = _open(cast)
    ticket_actions.change_status(ticket, "open", agent=_agent(cast))
    ticket_actions.change_status(ticket, "solved", agent=_agent(cast), reason="fixed in 1.4.3")
    assert list(endpoint.deliveries.values_list("event_type", flat=True)) == ["ticket.solved"]
    kinds = set(everything.deliveries.values_list("event_type", flat=True))
    assert {"ticket.created", "ticket.updated", "ticket.solved"} <= kinds
    webhooks.deliver(endpoint.deliveries.get().pk)
    payload = json.loads(hook.requests[0].body)
    assert payload["data"]["ticket"]["status"] == "solved"
    assert payload["data"]["change"] == {
        "kind": "status.changed",
        "status_from": "open",
        "status_to": "solved",
    }
    assert b"fixed in 1.4.3" not in hook.requests[0].body  # an agent's reason is free text


def test_it_tells_an_endpoint_when_an_incident_opens_and_resolves(db, hook):
    endpoint = _endpoint(hook, ["incident.created", "incident.updated", "incident.resolved"])
    incident = status_actions.open_incident(name="Uploads fail", body="We are looking into it.")
    status_actions.post_incident_update(incident, status="identified", body="A bad deploy.")
    status_actions.resolve_incident(incident)
    deliveries = list(endpoint.deliveries.order_by("id"))
    assert [d.event_type for d in deliveries] == ["incident.created", "incident.updated", "incident.resolved"]
    assert webhooks.deliver(deliveries[-1].pk) is True
    payload = json.loads(hook.requests[0].body)
    assert payload["type"] == "incident.resolved"
    assert payload["data"]["incident"]["id"] == incident.public_id
    assert payload["data"]["incident"]["status"] == "resolved"


def test_it_refuses_plain_http_and_private_targets_unless_allowed(db, settings):
    settings.CAPDESK_WEBHOOK_ALLOW_LOCAL = False
    with pytest.raises(webhooks.EndpointRefused, match="https"):
        webhooks.create_endpoint(url="http://hooks.example.com/capdesk")
    with pytest.raises(webhooks.EndpointRefused, match="private or local"):
        webhooks.create_endpoint(url="https://127.0.0.1:8443/capdesk")
    assert not WebhookEndpoint.objects.exists()


def test_it_refuses_an_event_type_it_does_not_send(db):
    with pytest.raises(webhooks.EndpointRefused, match="unknown event type"):
        webhooks.create_endpoint(url="https://hooks.example.com/capdesk", events=["ticket.deleted"])
