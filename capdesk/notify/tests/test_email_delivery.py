"""The outbox's delivery (issue 4, point 6): retried with backoff, never sent twice, and no
lock held while a mail server answers.

The transports are real where they can be: Django's locmem backend, a backend of this
module's that fails or looks at the database mid-send, and Django's SMTP backend against
loopback servers: one that never answers, and an aiosmtpd relay that counts its sessions.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any, ClassVar

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.db import connection, transaction
from django_tasks_db.models import DBTaskResult

from capdesk.core import deliveries, queues
from capdesk.notify import actions
from capdesk.notify.actions import deliver, deliver_due, deliver_many, queue_email
from capdesk.notify.models import OutboundEmail
from capdesk.testing.desk import free_port

from .conftest import NOW

pytestmark = pytest.mark.django_db


def _queue(to: str = "dewi@acme.test") -> OutboundEmail:
    email = queue_email(to=to, subject="Your request", body_text="Thanks.", kind="test")
    assert email is not None
    return email


class Failing(BaseEmailBackend):
    """A transport that refuses every message, as a relay that is down would."""

    def send_messages(self, email_messages: Any) -> int:
        raise ConnectionRefusedError(111, "Connection refused")


class Watching(BaseEmailBackend):
    """A transport that looks at the database while it sends, as a slow relay would let it."""

    email_pk: ClassVar[int] = 0  # the email being sent
    seen: ClassVar[list[tuple[bool, bool]]] = []  # (a transaction was open, a second deliver() sent)
    sent: ClassVar[list[str]] = []

    def send_messages(self, email_messages: Any) -> int:
        for message in email_messages:
            # Another worker (or the sweep) tries the same email while this one is sending.
            again = deliver(Watching.email_pk)
            Watching.seen.append((connection.in_atomic_block, again))
            Watching.sent.append(message.to[0])
        return len(email_messages)


@pytest.fixture
def frozen() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_a_sent_email_is_not_sent_again() -> None:
    email = _queue()
    assert deliver(email.pk) is True
    assert deliver(email.pk) is False
    assert deliver_due() == 0
    assert len(mail.outbox) == 1
    email.refresh_from_db()
    assert (email.state, email.attempts, email.last_error) == ("sent", 1, "")


def test_a_failed_send_is_retried_with_backoff_until_the_last_attempt(settings: Any, frozen: Any) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.Failing"
    email = _queue()
    assert deliver(email.pk) is False
    email.refresh_from_db()
    assert (email.state, email.attempts) == ("queued", 1)
    assert email.last_error == "ConnectionRefusedError: [Errno 111] Connection refused"
    assert email.next_attempt_at == NOW + timedelta(seconds=30)
    assert deliver_due() == 0 and deliver(email.pk) is False  # backing off: not tried again yet
    frozen.shift(timedelta(seconds=31))
    assert deliver_due() == 1
    email.refresh_from_db()
    assert email.attempts == 2 and email.next_attempt_at == NOW + timedelta(seconds=31 + 60)
    for _ in range(actions.MAX_ATTEMPTS):
        frozen.shift(actions.BACKOFF_CAP + timedelta(seconds=1))
        deliver_due()
    email.refresh_from_db()
    assert (email.state, email.attempts) == ("failed", actions.MAX_ATTEMPTS)
    # The relay is back: a failed email stays failed (an admin re-queues it), the next one goes.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert deliver_due() == 0 and deliver(email.pk) is False
    assert deliver(_queue().pk) is True and len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)  # no test-wide transaction: what deliver() opens is what shows
def test_the_mail_server_is_talked_to_with_no_transaction_open_and_the_email_claimed(settings: Any) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.Watching"
    Watching.seen.clear()
    Watching.sent.clear()
    email = _queue()
    Watching.email_pk = email.pk
    assert deliver(email.pk) is True
    # No lock held across the send (on SQLite it would stop every other write of the desk),
    # and the claim kept a second deliver() of the same email from sending it too.
    assert Watching.seen == [(False, False)]
    assert Watching.sent == ["dewi@acme.test"]
    email.refresh_from_db()
    assert (email.state, email.attempts) == ("sent", 1)


def test_an_email_whose_worker_died_mid_send_is_sent_by_the_sweep_once_its_lease_ran_out(frozen: Any) -> None:
    email = _queue()
    # A worker claimed it and died before it could send or settle.
    assert deliveries.claim(OutboundEmail.objects.all(), email.pk, lease=actions._lease()) is not None
    assert deliver_due() == 0 and deliver(email.pk) is False
    frozen.shift(actions._lease() - timedelta(seconds=1))
    assert deliver_due() == 0
    frozen.shift(timedelta(seconds=2))
    assert deliver_due() == 1
    assert len(mail.outbox) == 1
    email.refresh_from_db()
    assert (email.state, email.attempts) == ("sent", 2)


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A loopback TCP server that accepts connections and never says a word (a hung relay)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in accepted:
            conn.close()
        listener.close()


def test_a_mail_server_that_never_answers_times_out_and_the_email_waits_for_its_retry(
    settings: Any, silent_server: int
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", silent_server, 1
    email = _queue()
    started = time.monotonic()
    assert deliver(email.pk) is False
    # EMAIL_TIMEOUT reached the transport: without it Django's SMTP backend waits for ever.
    assert 0.9 <= time.monotonic() - started < 10
    email.refresh_from_db()
    assert (email.state, email.attempts) == ("queued", 1)
    assert "timed out" in email.last_error


class ScriptedRelay:
    """A loopback relay that counts its sessions and answers each DATA as scripted (250 when out of script)."""

    def __init__(self) -> None:
        self.sessions = 0
        self.received: list[str] = []
        self.script: list[str] = []

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ):
        self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        answer = self.script.pop(0) if self.script else "250 Queued"
        if answer.startswith("250"):
            self.received.extend(envelope.rcpt_tos)
        return answer


@pytest.fixture
def relay(settings: Any) -> Iterator[ScriptedRelay]:
    handler = ScriptedRelay()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 10
    try:
        yield handler
    finally:
        controller.stop()


def test_a_batch_of_emails_goes_over_one_smtp_session(relay: ScriptedRelay) -> None:
    emails = [_queue(f"user{i}@acme.test") for i in range(3)]
    assert deliver_many([e.pk for e in emails]) == [True, True, True]
    assert relay.sessions == 1  # connecting (TCP, EHLO, STARTTLS, AUTH) is paid once
    assert relay.received == ["user0@acme.test", "user1@acme.test", "user2@acme.test"]


def test_a_session_the_relay_closes_mid_batch_is_opened_again_for_the_next_email(
    relay: ScriptedRelay,
) -> None:
    relay.script = ["250 Queued", "421 Service shutting down"]
    emails = [_queue(f"user{i}@acme.test") for i in range(3)]
    assert deliver_many([e.pk for e in emails]) == [True, False, True]
    assert relay.sessions == 2
    assert relay.received == ["user0@acme.test", "user2@acme.test"]
    refused = OutboundEmail.objects.get(pk=emails[1].pk)
    assert (refused.state, refused.attempts) == ("queued", 1)
    assert "421" in refused.last_error


@pytest.mark.django_db(transaction=True)
def test_a_delivery_task_takes_the_other_due_emails_along_into_its_session(relay: ScriptedRelay) -> None:
    # Three replies queued one by one, as intake decides requests that come one at a time:
    # a task each. The first task sends all three in one session; the others find them sent.
    for i in range(3):
        with transaction.atomic():
            _queue(f"user{i}@acme.test")
    assert DBTaskResult.objects.filter(task_path="capdesk.notify.tasks.deliver_email").count() == 3
    call_command(
        "worker", queue_name=queues.OUTBOUND, batch=True, interval=0, no_startup_delay=True, verbosity=0
    )
    assert relay.sessions == 1
    assert relay.received == ["user0@acme.test", "user1@acme.test", "user2@acme.test"]
    assert sorted(bool(v) for v in DBTaskResult.objects.values_list("return_value", flat=True)) == [
        False,
        False,
        True,
    ]
