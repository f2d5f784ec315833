"""Which desk changes become which webhook events, and how they leave: after the commit, through the worker."""

from __future__ import annotations

import json

import pytest
import time_machine
from django.contrib.auth.models import User
from django_tasks_db.models import DBTaskResult

from capdesk.notify import webhooks
from capdesk.notify.models import WebhookEndpoint
from capdesk.notify.webhook_events import event_type_for, event_types_for
from capdesk.sla.actions import sweep_alerts
from capdesk.sla.tests.helpers import MONDAY_9_WIB, open_ticket_at, organization, utc
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets.decisions import override_decision
from capdesk.tickets.models import Event

from .webhook_receiver import Receiver

pytestmark = pytest.mark.django_db


def _endpoint(hook: Receiver, events: list[str]) -> WebhookEndpoint:
    endpoint = webhooks.create_endpoint(url=hook.url, events=events)
    hook.secret = endpoint.secret
    return endpoint


@pytest.mark.parametrize(
    ("kind", "data", "expected"),
    [
        ("ticket.created", {}, "ticket.created"),
        ("status.changed", {"status_to": "solved"}, "ticket.solved"),
        ("status.changed", {"status_to": "pending"}, "ticket.updated"),
        # Whatever solved it, the row that did is ticket.solved; one already solved is not again.
        ("incident.resolved", {"status_from": "on_hold", "status_to": "solved"}, "ticket.solved"),
        ("incident.resolved", {"solved": False}, "ticket.updated"),
        ("decision.made", {"status_from": "new", "status_to": "solved"}, "ticket.solved"),
        ("decision.made", {"status_from": "solved", "status_to": "solved"}, "ticket.updated"),
        ("message.agent", {}, "ticket.updated"),
        ("message.internal", {}, None),
        ("decision.overridden", {}, "decision.overridden"),
        ("sla.warning", {}, "sla.warning"),
        ("sla.breached", {}, "sla.breached"),
        ("sla.met", {}, None),
        ("retainer.booked", {}, None),
    ],
)
def test_it_maps_each_audit_kind_to_its_webhook_event(kind, data, expected):
    assert event_type_for(Event(kind=kind, data=data)) == expected


def test_an_override_that_solves_is_announced_as_both_events():
    row = Event(kind="decision.overridden", data={"status_from": "new", "status_to": "solved"})
    assert event_types_for(row) == ("decision.overridden", "ticket.solved")


def test_it_announces_an_sla_warning_and_breach_with_the_clocks_facts(hook):
    endpoint = _endpoint(hook, ["sla.warning", "sla.breached"])
    ticket = open_ticket_at(MONDAY_9_WIB, organization("enterprise"), severity="urgent")  # due 03:00 UTC
    with time_machine.travel(utc(2026, 6, 8, 2, 45), tick=False):
        sweep_alerts()
    with time_machine.travel(utc(2026, 6, 8, 3, 0), tick=False):
        sweep_alerts()
        assert webhooks.deliver_due() == 2
    warning, breach = (json.loads(r.body) for r in hook.requests)
    assert (warning["type"], breach["type"]) == ("sla.warning", "sla.breached")
    assert breach["data"]["ticket"]["reference"] == ticket.reference
    assert breach["data"]["change"]["metric"] == "first_response"
    assert breach["data"]["change"]["at"] == "2026-06-08T03:00:00+00:00"
    assert all(r.verified for r in hook.requests)
    assert endpoint.deliveries.filter(state="delivered").count() == 2


def test_it_announces_an_override_with_the_outcomes_but_not_the_agents_reason(cast, hook):
    endpoint = _endpoint(hook, ["decision.overridden"])
    ticket = ticket_actions.open_ticket(
        subject="Refund?",
        body="x",
        channel="portal",
        requester=cast.developer,
        requester_email=cast.developer.primary_email,
        organization=cast.org,
    )
    assert isinstance(cast.agent, User)
    override_decision(
        ticket, outcome="accept_billing", reason="Customer is on a call with sales", agent=cast.agent
    )
    delivery = endpoint.deliveries.get()
    assert webhooks.deliver(delivery.pk) is True
    payload = json.loads(hook.requests[0].body)
    assert payload["data"]["change"]["outcome_to"] == "accept_billing"
    assert payload["data"]["ticket"]["outcome"] == "accept_billing"
    assert b"sales" not in hook.requests[0].body


def test_it_hands_the_delivery_to_the_worker_only_once_the_transaction_commits(
    cast, hook, django_capture_on_commit_callbacks
):
    endpoint = _endpoint(hook, ["ticket.created"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ticket_actions.open_ticket(
            subject="Live updates stopped",
            body="x",
            channel="portal",
            requester=cast.developer,
            requester_email=cast.developer.primary_email,
            organization=cast.org,
        )
        assert endpoint.deliveries.get().state == "queued"
    assert hook.requests == []  # nothing left inside the transaction
    assert not DBTaskResult.objects.exists()  # nor was the worker told before the commit
    for callback in callbacks:
        callback()
    # The queued task, run as the worker runs it (the db_worker command itself closes
    # the connection that holds this test's transaction).
    (queued,) = DBTaskResult.objects.filter(task_path__endswith="deliver_webhook_task")
    assert queued.task.call(*queued.args_kwargs["args"], **queued.args_kwargs["kwargs"]) is True
    (received,) = hook.requests
    assert received.verified
    assert endpoint.deliveries.get().state == "delivered"
