"""The outbound queue (core/queues.py): what waits on another server has a worker of its own.

Intake decides requests and queues their replies; a mail relay that hangs must not stop
the next request from being decided. `capdesk run` starts intake's worker and the
outbound queue's apart, and a plain `capdesk worker` still runs every queue.
"""

from __future__ import annotations

import asyncio
import smtplib
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from capdesk.core import queues
from capdesk.core.management.commands.run import worker_children
from capdesk.notify.actions import queue_email
from capdesk.notify.tasks import deliver_due_emails, deliver_email, deliver_emails, deliver_webhook_task
from capdesk.notify.tasks import deliver_due_webhooks as deliver_due_webhooks_notify
from capdesk.sla.tasks import deliver_chat_alert, deliver_due_chat_alerts
from capdesk.status.tasks import deliver_due_webhooks as deliver_due_webhooks_status
from capdesk.status.tasks import deliver_webhook, fan_out_event, publish_snapshot
from capdesk.testing.desk import desk_for_tests, free_port, pending_count, query

SUPPORT = "support@liveupdate.example"


def test_what_waits_on_another_server_is_on_the_outbound_queue() -> None:
    from capdesk.intake.tasks import process_inbound

    assert {
        deliver_email.queue_name,
        deliver_emails.queue_name,
        deliver_due_emails.queue_name,
        deliver_webhook_task.queue_name,
        deliver_webhook.queue_name,
        deliver_chat_alert.queue_name,
        deliver_due_webhooks_notify.queue_name,
        deliver_due_webhooks_status.queue_name,
        deliver_due_chat_alerts.queue_name,
    } == {queues.OUTBOUND}
    assert {process_inbound.queue_name, fan_out_event.queue_name, publish_snapshot.queue_name} == {
        queues.DEFAULT
    }


def test_capdesk_run_starts_intakes_workers_and_the_outbound_workers_asked_for() -> None:
    children = worker_children(2, 3, tag="embedded-7")
    assert [c.name for c in children] == ["worker-0", "worker-1", "outbound", "outbound-1", "outbound-2"]

    def queue_options(argv: list[str]) -> list[str]:
        return argv[argv.index("worker") + 1 : argv.index("--interval")]

    assert queue_options(children[0].argv) == ["--queue-name", "*", "--exclude-queues", queues.OUTBOUND]
    assert {tuple(queue_options(c.argv)) for c in children[2:]} == {("--queue-name", queues.OUTBOUND)}
    worker_ids = [c.argv[c.argv.index("--worker-id") + 1] for c in children]
    assert len(set(worker_ids)) == 5 and all(w.startswith("embedded-7-") for w in worker_ids)


@pytest.mark.django_db
def test_capdesk_run_refuses_to_start_without_an_outbound_worker() -> None:
    with pytest.raises(CommandError, match="at least one worker"):
        call_command("run", outbound_workers=0)


def _work(**options: Any) -> None:
    call_command("worker", batch=True, interval=0, no_startup_delay=True, verbosity=0, **options)


@pytest.mark.django_db(transaction=True)
def test_intakes_worker_leaves_the_mail_to_the_outbound_worker_and_a_plain_worker_runs_both() -> None:
    with transaction.atomic():
        queue_email(to="dewi@acme.test", subject="Hello", body_text="Thanks for writing.", kind="test")
    assert list(DBTaskResult.objects.values_list("queue_name", flat=True)) == [queues.OUTBOUND]
    _work(queue_name="*", exclude_queues=queues.OUTBOUND)  # as `capdesk run` starts intake's worker
    assert mail.outbox == []
    _work(queue_name=queues.OUTBOUND)
    assert [m.to for m in mail.outbox] == [["dewi@acme.test"]]
    with transaction.atomic():
        queue_email(to="andi@example.test", subject="Hello", body_text="Thanks for writing.", kind="test")
    _work()  # no --queue-name: every queue, so a deployment of plain workers sends its mail
    assert [m.to for m in mail.outbox] == [["dewi@acme.test"], ["andi@example.test"]]


class HungRelay:
    """A mail relay that takes each message and does not answer DATA until released."""

    def __init__(self) -> None:
        self.released = threading.Event()
        self.waiting = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.waiting += 1
        for _ in range(600):  # at most a minute: a test that fails must still end
            if self.released.is_set():
                break
            await asyncio.sleep(0.1)
        return "250 Queued"


@pytest.fixture
def hung_relay() -> Iterator[tuple[HungRelay, int]]:
    relay = HungRelay()
    port = free_port()
    controller = Controller(relay, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield relay, port
    finally:
        relay.released.set()
        controller.stop()


def _send(port: int, sender: str, subject: str) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, SUPPORT, subject
    message.set_content("The live update did not reach my users' phones since this morning.")
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        smtp.send_message(message)


def _until(condition: Any, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_a_hung_mail_relay_does_not_hold_up_intake_in_capdesk_run(
    transactional_db: None, tmp_path: Path, hung_relay: tuple[HungRelay, int]
) -> None:
    relay, relay_port = hung_relay
    desk = desk_for_tests(tmp_path)
    desk.env.update(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(relay_port),
        EMAIL_TIMEOUT="60",  # longer than the relay holds a message: no timeout frees the sender
        CAPDESK_SUPPORT_ADDRESS=SUPPORT,
    )
    try:
        desk.start()
        assert {"worker", "outbound"} <= set(desk.children()), desk.children()
        _send(desk.smtp_port, "first@unknown.example", "Updates stopped")
        # The first request's reply reaches the relay, which does not answer.
        assert _until(lambda: relay.waiting >= 1), desk.logs()
        _send(desk.smtp_port, "second@unknown.example", "Bundle not applied")
        # Intake's worker decides the second request meanwhile: it is not the one waiting.
        assert _until(lambda: pending_count(desk) == 0 and _tickets(desk) == 2, timeout=30), desk.logs()
        assert relay.waiting == 1
        relay.released.set()
        assert _until(lambda: _sent(desk) == 2), desk.logs()
    finally:
        desk.stop()


def _tickets(desk: Any) -> int:
    return int(query(desk, "SELECT COUNT(*) FROM tickets_ticket")[0][0])


def _sent(desk: Any) -> int:
    return int(query(desk, "SELECT COUNT(*) FROM notify_outboundemail WHERE state = 'sent'")[0][0])
