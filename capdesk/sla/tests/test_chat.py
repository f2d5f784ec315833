"""Warnings and breaches reach the team chat through a Discord or Slack incoming webhook, with retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from capdesk.core import circuits
from capdesk.notify.models import OutboundEmail
from capdesk.sla import chat
from capdesk.sla.actions import sweep_alerts
from capdesk.sla.checks import chat_settings_problems
from capdesk.sla.models import ChatAlert
from capdesk.sla.tasks import deliver_due_chat_alerts
from capdesk.sla.tests.chat_server import chat_hook
from capdesk.sla.tests.helpers import MONDAY_9_WIB, open_ticket_at, organization, staff_user, utc
from capdesk.testing.sweeps import hand_over_checked
from capdesk.tickets.models import Event, Ticket

pytestmark = pytest.mark.usefixtures("db")


def sweep_at(at: datetime) -> int:
    with time_machine.travel(at, tick=False):
        return sweep_alerts()


def deliver_at(at: datetime) -> int:
    with time_machine.travel(at, tick=False):
        return chat.deliver_due()


def june8(hour: int, minute: int, second: int) -> datetime:
    return datetime(2026, 6, 8, hour, minute, second, tzinfo=UTC)


def urgent_enterprise_ticket() -> Ticket:
    return open_ticket_at(MONDAY_9_WIB, organization("enterprise"), severity="urgent")  # due 03:00 UTC


def test_it_posts_a_warning_to_discord_as_content_without_pings() -> None:
    with chat_hook() as hook, override_settings(CAPDESK_SLA_CHAT_WEBHOOK_URL=hook.url):
        ticket = urgent_enterprise_ticket()
        sweep_at(utc(2026, 6, 8, 2, 45))
        assert deliver_at(utc(2026, 6, 8, 2, 45)) == 1
    (body,) = hook.received
    assert set(body) == {"content", "allowed_mentions"}
    assert body["allowed_mentions"] == {"parse": []}
    assert body["content"].startswith(
        f"SLA warning: {ticket.reference} first response due 2026-06-08 03:00 UTC"
    )
    assert body["content"].endswith(settings.BASE_URL + reverse("console:ticket", args=[ticket.reference]))
    assert ticket.subject not in body["content"]  # the customer's words stay in the desk
    assert ChatAlert.objects.get().state == "sent"


def test_it_posts_a_breach_to_slack_as_escaped_text() -> None:
    with (
        chat_hook() as hook,
        override_settings(CAPDESK_SLA_CHAT_WEBHOOK_URL=hook.url, CAPDESK_SLA_CHAT_KIND="slack"),
    ):
        ticket = urgent_enterprise_ticket()
        sweep_at(utc(2026, 6, 8, 3, 5))  # the warning time passed unseen: only the breach is told
        deliver_at(utc(2026, 6, 8, 3, 5))
    (body,) = hook.received
    assert list(body) == ["text"]
    assert body["text"].startswith(
        f"SLA missed: {ticket.reference} first response was due 2026-06-08 03:00 UTC"
    )


def test_it_escapes_what_slack_would_read_as_markup() -> None:
    assert chat.payload("a <b> & c", "slack") == {"text": "a &lt;b&gt; &amp; c"}


def test_it_retries_a_failing_webhook_with_backoff_until_it_answers() -> None:
    with chat_hook(answers=[500, 429]) as hook, override_settings(CAPDESK_SLA_CHAT_WEBHOOK_URL=hook.url):
        urgent_enterprise_ticket()
        sweep_at(utc(2026, 6, 8, 3, 1))
        assert deliver_at(utc(2026, 6, 8, 3, 1)) == 1
        alert = ChatAlert.objects.get()
        assert (alert.state, alert.attempts, alert.last_error) == ("queued", 1, "HTTP 500")
        assert alert.next_attempt_at == june8(3, 1, 30)
        assert deliver_at(june8(3, 1, 29)) == 0  # not yet
        assert deliver_at(june8(3, 1, 30)) == 1  # 429 with Retry-After: 120
        alert.refresh_from_db()
        assert alert.next_attempt_at == june8(3, 3, 30)
        circuit = circuits.open_circuit(chat.CIRCUIT)  # the Retry-After holds for every alert
        assert circuit is not None and circuit.retry_at == june8(3, 3, 30)
        assert deliver_at(june8(3, 3, 30)) == 1
    alert.refresh_from_db()
    assert (alert.state, alert.attempts, len(hook.received)) == ("sent", 3, 3)


def test_the_scheduler_hands_the_retries_to_the_outbound_worker() -> None:
    with chat_hook(answers=[500]) as hook, override_settings(CAPDESK_SLA_CHAT_WEBHOOK_URL=hook.url):
        urgent_enterprise_ticket()
        sweep_at(utc(2026, 6, 8, 3, 1))
        assert deliver_at(utc(2026, 6, 8, 3, 1)) == 1  # 500: again at 03:01:30
        with time_machine.travel(june8(3, 1, 30), tick=False):
            hand_over_checked("sla.deliver_chat", deliver_due_chat_alerts, posted=lambda: len(hook.received))
    assert ChatAlert.objects.get().state == "sent"


def test_it_gives_up_after_the_last_attempt() -> None:
    with override_settings(CAPDESK_SLA_CHAT_WEBHOOK_URL="http://127.0.0.1:9/nobody-listens"):
        urgent_enterprise_ticket()
        sweep_at(utc(2026, 6, 8, 3, 1))
        alert = ChatAlert.objects.get()
        for n in range(chat.MAX_ATTEMPTS):
            ChatAlert.objects.filter(pk=alert.pk).update(next_attempt_at=utc(2026, 6, 8))
            # Past the failing webhook's wait before its next try (core.circuits: at most 5 minutes).
            deliver_at(utc(2026, 6, 8, 4) + timedelta(minutes=6 * n))
    alert.refresh_from_db()
    assert (alert.state, alert.attempts) == ("failed", chat.MAX_ATTEMPTS)
    assert alert.last_error.startswith("URLError")


def test_while_the_chat_webhook_fails_alerts_wait_for_its_next_try_with_no_attempt_counted() -> None:
    with override_settings(CAPDESK_SLA_CHAT_WEBHOOK_URL="http://127.0.0.1:9/nobody-listens"):
        urgent_enterprise_ticket()
        sweep_at(utc(2026, 6, 8, 2, 45))  # a warning
        sweep_at(utc(2026, 6, 8, 3, 1))  # and the breach
        warning, breach = ChatAlert.objects.order_by("pk")
        with time_machine.travel(utc(2026, 6, 8, 3, 2), tick=False):
            assert chat.deliver(warning.pk) is False
            assert chat.deliver(breach.pk) is False  # its own task: nothing tried
    breach.refresh_from_db()
    assert (breach.state, breach.attempts) == ("queued", 0)
    with chat_hook() as hook, override_settings(CAPDESK_SLA_CHAT_WEBHOOK_URL=hook.url):
        deliver_at(june8(3, 2, 29))  # the webhook's next try is at 03:02:30
        assert hook.received == []
        deliver_at(utc(2026, 6, 8, 3, 3))
        assert len(hook.received) == 2
    assert set(ChatAlert.objects.values_list("state", flat=True)) == {"sent"}


def test_it_never_calls_the_webhook_inside_the_sweep() -> None:
    with chat_hook() as hook, override_settings(CAPDESK_SLA_CHAT_WEBHOOK_URL=hook.url):
        urgent_enterprise_ticket()
        sweep_at(utc(2026, 6, 8, 3, 1))
        assert hook.received == []  # queued only; the worker posts it
    assert ChatAlert.objects.get().state == "queued"


def test_it_queues_nothing_when_no_webhook_is_configured() -> None:
    urgent_enterprise_ticket()
    sweep_at(utc(2026, 6, 8, 3, 1))
    assert ChatAlert.objects.count() == 0


@override_settings(
    CAPDESK_SLA_ALERT_TO=["support=leads@capgo.app"],
    CAPDESK_SLA_ESCALATE_TO=["support=head-of-support@capgo.app", "billing=cfo@capgo.app"],
)
def test_it_escalates_a_breach_to_the_queues_escalation_address_but_not_a_warning() -> None:
    ticket = urgent_enterprise_ticket()
    ticket.assignee = staff_user("dina")
    ticket.save(update_fields=["assignee"])
    sweep_at(utc(2026, 6, 8, 2, 45))
    sweep_at(utc(2026, 6, 8, 3, 0))
    sent = {(e.kind, e.to) for e in OutboundEmail.objects.all()}
    assert sent == {
        ("sla_warning", "dina@capgo.app"),
        ("sla_warning", "leads@capgo.app"),
        ("sla_breach", "dina@capgo.app"),
        ("sla_breach", "leads@capgo.app"),
        ("sla_breach", "head-of-support@capgo.app"),
    }
    assert Event.objects.filter(ticket=ticket, kind="sla.breached").count() == 1


@override_settings(CAPDESK_SLA_ALERT_TO=["support=leads@capgo.app"])
def test_it_tells_the_queue_about_a_breach_nobody_is_assigned_to() -> None:
    urgent_enterprise_ticket()
    sweep_at(utc(2026, 6, 8, 3, 0))
    assert list(OutboundEmail.objects.values_list("kind", "to")) == [("sla_breach", "leads@capgo.app")]


def test_it_refuses_an_unknown_chat_kind_at_start_up() -> None:
    with override_settings(CAPDESK_SLA_CHAT_KIND="teams"):
        assert chat_settings_problems() == ["CAPDESK_SLA_CHAT_KIND must be discord or slack, not 'teams'"]
    assert chat_settings_problems() == []


def test_it_delivers_through_the_worker_after_commit(run_worker: object) -> None:
    with chat_hook() as hook, override_settings(CAPDESK_SLA_CHAT_WEBHOOK_URL=hook.url):
        urgent_enterprise_ticket()
        sweep_at(utc(2026, 6, 8, 3, 1))
        run_worker()  # type: ignore[operator]
    assert len(hook.received) == 1
    assert ChatAlert.objects.get().state == "sent"
