"""The outbox's delivery (issue 4, point 6): retried with backoff, never sent twice, and no
lock held while a mail server answers.

The transports are real where they can be: Django's locmem backend, a backend of this
module's that fails or looks at the database mid-send, and Django's SMTP backend against
loopback servers: one that never answers, a port nobody listens on, and an aiosmtpd relay
that counts its connections and answers as scripted.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any, ClassVar
from unittest import mock

import pytest
import time_machine
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import MISSING
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from capdesk.core import circuits, deliveries, queues
from capdesk.core.models import Circuit
from capdesk.core.schedule import jobs
from capdesk.notify import actions
from capdesk.notify.actions import deliver, deliver_due, deliver_many, queue_email
from capdesk.notify.models import OutboundEmail
from capdesk.portal.actions import user_for_person
from capdesk.testing.desk import free_port
from capdesk.testing.loopback import smtp_relay
from capdesk.testing.races import at_once

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
    """A loopback relay that counts connections and sessions, and answers MAIL, RCPT and DATA as scripted.

    Each command's answers are used in turn, then aiosmtpd's own (250). ``hang_up_on_rset``
    closes the connection when the client resets a refused transaction.
    """

    def __init__(self) -> None:
        self.connections = 0  # TCP connections accepted (a session that never said EHLO too)
        self.sessions = 0
        self.received: list[str] = []
        self.answers: dict[str, list[str]] = {"MAIL": [], "RCPT": [], "DATA": []}
        self.hang_up_on_rset = False

    def _answer(self, command: str) -> Any:
        return self.answers[command].pop(0) if self.answers[command] else MISSING

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ):
        self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> Any:
        answer = self._answer("MAIL")
        if answer is MISSING or answer.startswith("250"):
            envelope.mail_from = address
            return "250 OK"
        return answer

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> Any:
        answer = self._answer("RCPT")
        if answer is MISSING or answer.startswith("250"):
            envelope.rcpt_tos.append(address)
            return "250 OK"
        return answer

    async def handle_RSET(self, server: Any, session: Any, envelope: Any) -> Any:
        if self.hang_up_on_rset:
            server.transport.close()
        return MISSING

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        scripted = self._answer("DATA")
        answer = "250 Queued" if scripted is MISSING else str(scripted)
        if answer.startswith("250"):
            self.received.extend(envelope.rcpt_tos)
        return answer


class CountingController(Controller):
    """aiosmtpd's controller, counting each connection it builds a server for."""

    def factory(self) -> Any:
        self.handler.connections += 1
        return super().factory()


@pytest.fixture
def relay(settings: Any) -> Iterator[ScriptedRelay]:
    handler = ScriptedRelay()
    with smtp_relay(settings, handler, controller=CountingController):
        handler.connections = 0  # start() makes one of its own, to see the server answer
        yield handler


def _states(emails: list[OutboundEmail]) -> list[tuple[str, int]]:
    return [
        (e.state, e.attempts)
        for e in OutboundEmail.objects.filter(pk__in=[e.pk for e in emails]).order_by("pk")
    ]


def test_a_batch_of_emails_goes_over_one_smtp_session(relay: ScriptedRelay) -> None:
    emails = [_queue(f"user{i}@acme.test") for i in range(3)]
    assert deliver_many([e.pk for e in emails]) == [True, True, True]
    # Connecting (TCP, EHLO, STARTTLS, AUTH) is paid once.
    assert (relay.connections, relay.sessions) == (1, 1)
    assert relay.received == ["user0@acme.test", "user1@acme.test", "user2@acme.test"]


def test_a_batch_with_nothing_left_to_send_connects_to_nothing(relay: ScriptedRelay) -> None:
    emails = [_queue(f"user{i}@acme.test") for i in range(2)]
    assert deliver_many([e.pk for e in emails]) == [True, True]
    # Their tasks run later, as happens when a first task took them along.
    assert deliver_many([e.pk for e in emails]) == [False, False]
    assert relay.connections == 1


def test_a_recipient_refused_for_good_fails_alone_and_the_batch_goes_on(relay: ScriptedRelay) -> None:
    relay.answers["RCPT"] = [
        "250 OK",
        "550 5.1.1 <user1@acme.test>: Recipient address rejected: no such user",
    ]
    emails = [_queue(f"user{i}@acme.test") for i in range(3)]
    assert deliver_many([e.pk for e in emails]) == [True, False, True]
    assert relay.connections == 1  # the session stayed good for the next message
    assert relay.received == ["user0@acme.test", "user2@acme.test"]
    # No such mailbox (5.1.1) is permanent (RFC 5321, 4.2.1; RFC 3463): no retry would fare better.
    assert _states(emails) == [("sent", 1), ("failed", 1), ("sent", 1)]
    refused = OutboundEmail.objects.get(pk=emails[1].pk)
    assert (
        refused.last_error
        == "SMTPRecipientsRefused: 550 5.1.1 <user1@acme.test>: Recipient address rejected: no such user"
    )


def test_a_relay_that_hangs_up_after_refusing_a_recipient_is_connected_to_again(relay: ScriptedRelay) -> None:
    relay.answers["RCPT"] = ["250 OK", "550 5.1.1 No such user"]
    relay.hang_up_on_rset = True
    emails = [_queue(f"user{i}@acme.test") for i in range(3)]
    assert deliver_many([e.pk for e in emails]) == [True, False, True]
    assert _states(emails) == [("sent", 1), ("failed", 1), ("sent", 1)]
    assert relay.connections == 2


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("DATA", "421 4.3.2 Service shutting down"),
        ("RCPT", "421 4.3.2 Service shutting down"),
        ("RCPT", "451 4.7.0 Try again later: too many messages in this session"),
        ("MAIL", "530 5.7.0 Authentication required"),  # the desk's one sender: every email would meet it
        ("MAIL", "451 4.7.1 Rate limit exceeded"),
        # 5xx that may well be about the sender or the account, not this message: retried.
        ("DATA", "554 Message rejected: Email address is not verified"),
        ("DATA", "550 5.7.26 Unauthenticated email is not accepted (DMARC)"),
        ("RCPT", "554 5.7.1 <user1@acme.test>: Relay access denied"),
        ("RCPT", "550 Requested action not taken"),  # no enhanced code: nothing says it is the address
        # Postfix refuses the sender at RCPT by default: RFC 3463's codes for the sender's address.
        ("RCPT", "550 5.1.8 <support@capgo.app>: Sender address rejected: Domain not found"),
        ("RCPT", "550 5.1.0 <support@capgo.app>: Sender address rejected"),
    ],
)
def test_a_transport_failure_ends_the_batch_and_leaves_the_rest_to_the_sweep(
    relay: ScriptedRelay, command: str, answer: str
) -> None:
    relay.answers[command] = ["250 OK", answer]
    emails = [_queue(f"user{i}@acme.test") for i in range(3)]
    assert deliver_many([e.pk for e in emails]) == [True, False, False]
    # The third was not claimed: no attempt counted, due now, for the sweep.
    assert _states(emails) == [("sent", 1), ("queued", 1), ("queued", 0)]
    assert answer[:3] in OutboundEmail.objects.get(pk=emails[1].pk).last_error
    # The transport is marked failing: until its next try, the sweep claims and tries nothing.
    assert deliver_due() == 1  # the failed one backs off; the untouched one waits for the relay
    assert _states(emails)[2] == ("queued", 0)
    assert relay.connections == 1
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        assert deliver_due() == 2  # the retry and the untouched one, in one session
    assert _states(emails) == [("sent", 1), ("sent", 2), ("sent", 1)]
    assert relay.connections == 2
    assert relay.received == ["user0@acme.test", "user2@acme.test", "user1@acme.test"]


def test_an_email_that_cannot_be_built_is_retried_and_costs_the_batch_nothing(relay: ScriptedRelay) -> None:
    broken, fine, alone = (_queue(f"user{i}@acme.test") for i in range(3))
    OutboundEmail.objects.filter(pk__in=[broken.pk, alone.pk]).update(
        subject="Hello\nBcc: everyone@acme.test"
    )
    assert deliver_many([broken.pk, fine.pk]) == [False, True]
    assert deliver_many([alone.pk]) == [False]
    assert relay.connections == 1  # none for the batch that had nothing it could send
    # Retried (the fault may be the sender's setting, which an operator can fix), not failed.
    assert _states([broken, fine, alone]) == [("queued", 1), ("sent", 1), ("queued", 1)]
    assert OutboundEmail.objects.get(pk=broken.pk).last_error.startswith("BadHeaderError")


def test_a_relay_that_refuses_connections_costs_a_batch_one_attempt(settings: Any) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    emails = [_queue(f"user{i}@acme.test") for i in range(3)]
    assert deliver_many([e.pk for e in emails]) == [False, False, False]
    assert _states(emails) == [("queued", 1), ("queued", 0), ("queued", 0)]
    assert OutboundEmail.objects.get(pk=emails[0].pk).last_error.startswith("ConnectionRefusedError")


def test_a_hung_relay_costs_a_batch_one_timeout_not_one_per_email(settings: Any, silent_server: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", silent_server, 1
    emails = [_queue(f"user{i}@acme.test") for i in range(3)]
    assert deliver_many([e.pk for e in emails]) == [False, False, False]
    assert _states(emails) == [("queued", 1), ("queued", 0), ("queued", 0)]


def test_a_batch_starts_nothing_once_its_time_budget_is_spent(
    relay: ScriptedRelay, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(actions, "_budget", lambda: 0.0)
    emails = [_queue(f"user{i}@acme.test") for i in range(3)]
    assert deliver_many([e.pk for e in emails]) == [True, False, False]
    assert _states(emails) == [("sent", 1), ("queued", 0), ("queued", 0)]


class Overtaken(BaseEmailBackend):
    """A send so slow that its lease runs out and the sweep sends the email meanwhile; then it fails."""

    traveller: ClassVar[Any] = None
    email_pk: ClassVar[int] = 0
    sent: ClassVar[list[str]] = []

    def send_messages(self, email_messages: Any) -> int:
        if Overtaken.traveller is not None:
            traveller, Overtaken.traveller = Overtaken.traveller, None
            traveller.shift(actions._lease() + timedelta(seconds=1))
            assert deliver(Overtaken.email_pk) is True  # the sweep's attempt, which succeeds
            raise ConnectionResetError(104, "Connection reset by peer")
        Overtaken.sent.extend(m.to[0] for m in email_messages)
        return len(email_messages)


def test_an_attempt_that_outlived_its_lease_does_not_undo_the_later_one(settings: Any, frozen: Any) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.Overtaken"
    email = _queue()
    Overtaken.traveller, Overtaken.email_pk, Overtaken.sent = frozen, email.pk, []
    assert deliver(email.pk) is False
    # The first attempt failed after the second had sent it: sent stays sent, not queued again.
    email.refresh_from_db()
    assert (email.state, email.attempts, email.last_error) == ("sent", 2, "")
    assert Overtaken.sent == ["dewi@acme.test"]


class Late(BaseEmailBackend):
    """A send that succeeds after its lease ran out and the sweep's worker claimed the email again."""

    traveller: ClassVar[Any] = None
    email_pk: ClassVar[int] = 0
    overtaking: ClassVar[OutboundEmail | None] = None

    def send_messages(self, email_messages: Any) -> int:
        Late.traveller.shift(actions._lease() + timedelta(seconds=1))
        Late.overtaking = deliveries.claim(OutboundEmail.objects.all(), Late.email_pk, lease=actions._lease())
        return len(email_messages)


def test_a_success_that_outlived_its_lease_stands(settings: Any, frozen: Any) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.Late"
    email = _queue()
    Late.traveller, Late.email_pk = frozen, email.pk
    assert deliver(email.pk) is True
    email.refresh_from_db()
    assert (email.state, email.attempts) == ("sent", 2)
    # The overtaking attempt then fails: the email was delivered, it is not queued again.
    assert Late.overtaking is not None
    actions._failed(Late.overtaking, ConnectionResetError(104, "reset"), for_good=False)
    email.refresh_from_db()
    assert (email.state, email.last_error) == ("sent", "")


def _claim_at_once(pk: int, workers: int) -> list[bool]:
    return sorted(
        at_once(
            lambda: deliveries.claim(OutboundEmail.objects.all(), pk, lease=actions._lease()) is not None,
            workers,
        )
    )


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite runs one write transaction at a time: no race to claim"
)
@pytest.mark.django_db(transaction=True)
def test_of_workers_claiming_one_email_at_once_exactly_one_gets_it() -> None:
    # Threads have connections of their own: concurrent transactions.
    for _ in range(5):
        email = _queue()
        assert _claim_at_once(email.pk, workers=4) == [False, False, False, True]
        assert OutboundEmail.objects.get(pk=email.pk).attempts == 1


@pytest.mark.django_db(transaction=True)
def test_a_delivery_task_takes_the_other_due_emails_along_into_its_session(relay: ScriptedRelay) -> None:
    # Three replies queued one by one, as intake decides requests that come one at a time:
    # a task each. The first task sends all three in one session; the other two connect to
    # nothing, finding theirs sent.
    for i in range(3):
        with transaction.atomic():
            _queue(f"user{i}@acme.test")
    assert DBTaskResult.objects.filter(task_path="capdesk.notify.tasks.deliver_email").count() == 3
    call_command(
        "worker", queue_name=queues.OUTBOUND, batch=True, interval=0, no_startup_delay=True, verbosity=0
    )
    assert (relay.connections, relay.sessions) == (1, 1)
    assert relay.received == ["user0@acme.test", "user1@acme.test", "user2@acme.test"]
    assert sorted(bool(v) for v in DBTaskResult.objects.values_list("return_value", flat=True)) == [
        False,
        False,
        True,
    ]


@pytest.mark.django_db(transaction=True)  # the worker below closes a connection left in a transaction
def test_the_scheduler_hands_the_outbox_sweep_to_the_outbound_worker_once(
    frozen: Any, caplog: pytest.LogCaptureFixture
) -> None:
    (job,) = [j for j in jobs() if j.name == "notify.deliver_due"]
    sweeps = DBTaskResult.objects.filter(task_path="capdesk.notify.tasks.deliver_due_emails")
    assert job.run() == 0  # nothing queued
    with mock.patch.object(actions, "_delivery_committed"):  # its own task was lost
        email = _queue()
    assert job.run() == 0  # just due: its own task's, not the sweep's
    frozen.shift(deliveries.SWEEP_AFTER)
    assert job.run() == 1
    assert len(mail.outbox) == 0  # the scheduler sent nothing itself
    (sweep,) = sweeps
    assert sweep.queue_name == queues.OUTBOUND
    frozen.shift(timedelta(seconds=15))
    assert job.run() == 0 and sweeps.count() == 1  # one waiting is enough
    assert "deliveries.sweep_waiting" not in caplog.text
    frozen.shift(deliveries.SWEEP_WAITING_TOO_LONG)
    assert job.run() == 0 and sweeps.count() == 1
    assert "deliveries.sweep_waiting" in caplog.text
    call_command(
        "worker", queue_name=queues.OUTBOUND, batch=True, interval=0, no_startup_delay=True, verbosity=0
    )
    email.refresh_from_db()
    assert email.state == "sent" and len(mail.outbox) == 1
    assert job.run() == 0


@pytest.mark.django_db(transaction=True)
def test_a_retry_is_handed_over_as_soon_as_it_is_due(settings: Any, frozen: Any) -> None:
    (job,) = [j for j in jobs() if j.name == "notify.deliver_due"]
    sweeps = DBTaskResult.objects.filter(task_path="capdesk.notify.tasks.deliver_due_emails")
    settings.EMAIL_BACKEND = f"{__name__}.Failing"
    email = _queue()
    assert deliver(email.pk) is False
    assert job.run() == 0  # backing off
    frozen.shift(timedelta(seconds=30))
    # A retry has no task of its own to wait for: handed over as soon as it is due.
    assert job.run() == 1
    assert job.run() == 0 and sweeps.count() == 1  # one waiting is enough


# A failing relay (core.circuits): after a transport failure, nothing is tried until its next try.


def _mail_circuit() -> Circuit | None:
    return circuits.open_circuit(circuits.MAIL)


def _mail_failing(error: str = "TimeoutError: timed out") -> None:
    circuits.Passage(circuits.MAIL).failed(error)


def test_while_the_relay_is_failing_deliveries_claim_nothing_until_one_batch_tries_it_again(
    relay: ScriptedRelay, frozen: time_machine.Traveller
) -> None:
    relay.answers["MAIL"] = ["451 4.3.0 Mail server temporarily unavailable"]
    first = _queue("user0@acme.test")
    assert deliver(first.pk) is False
    failing = _mail_circuit()
    assert failing is not None
    assert (failing.failures, failing.failing_since, failing.retry_at) == (
        1,
        NOW,
        NOW + timedelta(seconds=30),
    )
    assert failing.last_error.startswith("SMTPSenderRefused: (451")

    # A reply queued meanwhile: its task neither connects nor counts an attempt.
    second = _queue("user1@acme.test")
    frozen.shift(timedelta(seconds=29))
    assert deliver(second.pk) is False
    assert deliver_due() == 1  # due (a first attempt) but left to the relay's next try
    assert relay.connections == 1
    assert _states([first, second]) == [("queued", 1), ("queued", 0)]

    # The next try: the relay answers again; the batch sends, takes the retry along, and closes the circuit.
    frozen.shift(timedelta(seconds=2))
    assert deliver_many([second.pk], take_along=actions.TAKE_ALONG) == [True]
    assert _states([first, second]) == [("sent", 2), ("sent", 1)]
    assert relay.connections == 2
    assert _mail_circuit() is None


def test_a_relay_that_refuses_connections_is_tried_less_and_less_often(
    settings: Any, frozen: time_machine.Traveller
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = (
        "127.0.0.1",
        free_port(),
        5,
    )  # nobody listens
    waits: list[float] = []
    for _ in range(6):
        _queue()
        deliver_due()
        failing = _mail_circuit()
        assert failing is not None
        waits.append((failing.retry_at - timezone.now()).total_seconds())
        frozen.move_to(failing.retry_at)
    assert waits == [30, 60, 120, 240, 300, 300]
    failing = _mail_circuit()
    assert failing is not None and failing.failing_since == NOW
    assert failing.last_error.startswith("ConnectionRefusedError")


def test_a_refused_address_is_no_failure_of_the_relay(
    relay: ScriptedRelay, frozen: time_machine.Traveller
) -> None:
    relay.answers["RCPT"] = ["550 5.1.1 No such user"]
    assert deliver(_queue("nobody@acme.test").pk) is False
    assert _mail_circuit() is None
    # While the relay is failing, an answer about an address proves it answers again.
    _mail_failing()
    frozen.shift(timedelta(seconds=30))
    relay.answers["RCPT"] = ["550 5.1.1 No such user"]
    assert deliver(_queue("nobody2@acme.test").pk) is False
    assert _mail_circuit() is None


def test_a_try_of_the_relay_with_nothing_left_to_send_hands_the_try_on(
    relay: ScriptedRelay, frozen: time_machine.Traveller
) -> None:
    email = _queue()
    assert deliver(email.pk) is True
    _mail_failing()
    frozen.shift(timedelta(seconds=30))
    assert deliver(email.pk) is False  # its task, late: nothing to send, so nothing tried
    assert relay.connections == 1
    later = _queue("user1@acme.test")
    assert deliver(later.pk) is True  # tries at once, rather than waiting out the first one's lease
    assert _mail_circuit() is None


def test_a_try_of_the_relay_that_breaks_before_sending_hands_the_try_on(
    settings: Any, frozen: time_machine.Traveller
) -> None:
    email = _queue()
    _mail_failing()
    frozen.shift(timedelta(seconds=30))
    settings.EMAIL_BACKEND = "capdesk.no_such.Backend"  # an operator's typo
    with pytest.raises(ImportError):
        deliver(email.pk)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert deliver(email.pk) is True  # at once, not after the broken try's lease
    assert _mail_circuit() is None


def test_staff_see_that_outgoing_mail_is_failing_and_admins_see_why(
    client: Any, cast: Any, frozen: time_machine.Traveller
) -> None:
    _queue()
    _queue("user1@acme.test")
    _mail_failing("SMTPAuthenticationError: (535, b'5.7.8 Authentication credentials invalid')")
    client.force_login(cast.agent)
    page = client.get("/console/").content.decode()
    assert "Outgoing mail is failing since 2026-03-17 12:00: 2 emails are waiting" in page
    assert "(next try 12:00)" in page
    assert "Authentication credentials invalid" not in page  # the reason is an admin's
    client.force_login(cast.admin)
    assert "5.7.8 Authentication credentials invalid" in client.get("/console/").content.decode()
    # Customers never see it.
    client.force_login(user_for_person(cast.developer))
    assert "Outgoing mail" not in client.get("/portal/").content.decode()
    # Nothing waits any more (both failed for good, say): no customer is kept waiting.
    client.force_login(cast.agent)
    OutboundEmail.objects.update(state=OutboundEmail.State.FAILED)
    assert "Outgoing mail" not in client.get("/console/").content.decode()
    # And it is gone once mail works again.
    _queue("user2@acme.test")
    assert "Outgoing mail is failing" in client.get("/console/").content.decode()
    circuits.Passage(circuits.MAIL, trying_until=NOW).worked()
    assert "Outgoing mail" not in client.get("/console/").content.decode()


def test_an_api_providers_backend_waits_as_long_as_the_smtp_backend(tmp_path: Any) -> None:
    # The batch budget (4 x EMAIL_TIMEOUT) assumes each send waits at most EMAIL_TIMEOUT;
    # anymail's requests-based backends (Postmark, Mailgun, SendGrid ...) wait their own
    # REQUESTS_TIMEOUT, 30 s unless set.
    show = (
        "import django; django.setup(); from django.core.mail import get_connection; "
        "print(get_connection('anymail.backends.postmark.EmailBackend', server_token='t').timeout)"
    )
    env = os.environ | {"EMAIL_TIMEOUT": "7", "CAPDESK_DATA_DIR": str(tmp_path)}
    shown = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", show], env=env, capture_output=True, text=True, timeout=120, check=True
    )
    assert shown.stdout.strip() == "7"
