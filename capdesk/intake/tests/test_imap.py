"""`capdesk imap_poll` against a real IMAP server on 127.0.0.1 (tests/imap_server.py)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from capdesk.intake import actions
from capdesk.intake.imap import CONNECTION_ERRORS, ImapPoller, Mailbox
from capdesk.intake.models import InboundRequest
from capdesk.intake.tests.imap_server import ImapServer
from capdesk.testing.factories import Personas
from capdesk.tickets.reply_address import reply_address


def mail(n: int) -> bytes:
    return (
        f"From: Dewi <dewi@acme.test>\r\nTo: support@capgo.app\r\nSubject: Question {n}\r\n"
        f"Message-ID: <imap-{n}@mail.acme.test>\r\n\r\nHow do I roll back bundle {n}?\r\n"
    ).encode()


@pytest.fixture
def server() -> Iterator[ImapServer]:
    with ImapServer().running() as running:
        yield running


def mailbox_of(server: ImapServer) -> Mailbox:
    return Mailbox(host="127.0.0.1", port=server.port, ssl=False, user="support", password="secret")


def eventually(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def running_poller(transactional_db: None) -> Iterator[Callable[..., threading.Event]]:
    """Start ``ImapPoller.run`` in a thread as the command does; stop it (bounded) at the end."""
    started: list[tuple[threading.Thread, threading.Event]] = []

    def start(server: ImapServer, interval: float = 30.0) -> threading.Event:
        stop = threading.Event()

        def target() -> None:
            try:
                ImapPoller(mailbox_of(server), timeout=5).run(stop, interval=interval, max_backoff=1)
            finally:
                connection.close()

        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        started.append((thread, stop))
        return stop

    yield start
    for thread, stop in started:
        stop.set()
        thread.join(10)
        assert not thread.is_alive()


def rows_now() -> int:
    try:
        return InboundRequest.objects.count()
    finally:
        connection.close()


def test_it_stores_unseen_mail_and_marks_it_only_after_the_row_is_committed(transactional_db, server) -> None:
    server.add(mail(1))
    server.add(mail(2))
    server.on_store = rows_now
    poller = ImapPoller(mailbox_of(server), timeout=5)
    try:
        assert poller.poll_once() == 2
        # When the server was asked to mark message n, n rows were already committed.
        assert server.at_store == [1, 2]
        assert all("\\Seen" in m.flags for m in server.mails)
        assert poller.poll_once() == 0
    finally:
        poller.close()
    keys = sorted(InboundRequest.objects.values_list("idempotency_key", flat=True))
    assert keys == ["<imap-1@mail.acme.test>", "<imap-2@mail.acme.test>"]
    assert bytes(InboundRequest.objects.get(idempotency_key="<imap-1@mail.acme.test>").raw) == mail(1)


def test_it_leaves_a_message_unmarked_when_the_link_drops_before_marking(transactional_db, server) -> None:
    server.add(mail(1))
    server.drop_after_fetch = 1
    poller = ImapPoller(mailbox_of(server), timeout=5)
    with pytest.raises(CONNECTION_ERRORS):
        poller.poll_once()
    poller.close()
    assert server.mails[0].flags == set()
    assert InboundRequest.objects.count() == 1


def test_it_reconnects_after_a_drop_and_stores_the_message_once(running_poller, server) -> None:
    server.add(mail(1))
    server.drop_after_fetch = 1
    running_poller(server)
    assert eventually(lambda: "\\Seen" in server.mails[0].flags)
    assert server.connections == 2
    request = InboundRequest.objects.get()
    # Fetched twice (the first mark never happened), stored once, the repeat counted.
    assert request.duplicates == 1


def test_it_waits_in_idle_and_stores_mail_as_soon_as_the_server_announces_it(running_poller, server) -> None:
    running_poller(server, interval=600)
    assert eventually(lambda: server.idling == 1)
    server.add(mail(7))
    # Watch the server, not the database: SQLite's shared in-memory test database refuses a
    # read while the poller's thread writes. \Seen is set only after the row is committed.
    assert eventually(lambda: "\\Seen" in server.mails[0].flags)
    assert InboundRequest.objects.get().idempotency_key == "<imap-7@mail.acme.test>"


def test_it_polls_on_an_interval_when_the_server_has_no_idle(running_poller) -> None:
    with ImapServer(idle=False).running() as plain:
        running_poller(plain, interval=0.2)
        plain.add(mail(3))
        assert eventually(lambda: "\\Seen" in plain.mails[0].flags)
        assert not any(c.endswith("IDLE") for c in plain.commands)


def test_the_command_polls_once_with_the_mailbox_from_settings(transactional_db, server, settings) -> None:
    settings.CAPDESK_IMAP_HOST, settings.CAPDESK_IMAP_PORT = "127.0.0.1", server.port
    settings.CAPDESK_IMAP_SSL, settings.CAPDESK_IMAP_USER, settings.CAPDESK_IMAP_PASSWORD = (
        False,
        "support",
        "secret",
    )
    server.add(mail(5))
    call_command("imap_poll", once=True)
    assert InboundRequest.objects.get().idempotency_key == "<imap-5@mail.acme.test>"


def test_the_command_refuses_to_run_without_a_mailbox(db, settings) -> None:
    settings.CAPDESK_IMAP_HOST = ""
    with pytest.raises(CommandError, match="CAPDESK_IMAP_HOST"):
        call_command("imap_poll", once=True)


class UnknownBug(Exception):
    """What a bug nobody has found yet raises: neither a connection nor a database error."""


@pytest.fixture
def receive_fails_on(monkeypatch: pytest.MonkeyPatch) -> Callable[[bytes], None]:
    """Make ``actions.receive`` raise for one message's bytes; every other is stored for real.

    A patch of our own code, on purpose: no real input makes ``receive`` raise anything but
    a database error (``read_identity`` reads any bytes, keys and senders are cut to fit,
    NULs are dropped), so the failure stands for an unknown bug, which the poller must
    survive without losing the message.
    """

    def fail_on(bad: bytes) -> None:
        real = actions.receive

        def receive(**kwargs: Any) -> actions.Receipt:
            if kwargs["raw"] == bad:
                raise UnknownBug("the parser tripped on this one")
            return real(**kwargs)

        monkeypatch.setattr(actions, "receive", receive)

    return fail_on


def keys_of(state: InboundRequest.State | None = None) -> list[str]:
    rows = InboundRequest.objects.all()
    if state is not None:
        rows = rows.filter(state=state)
    return sorted(rows.values_list("idempotency_key", flat=True))


def test_it_quarantines_a_message_it_cannot_store_and_goes_on_with_the_rest(
    transactional_db, server, receive_fails_on, caplog
) -> None:
    for n in (1, 2, 3):
        server.add(mail(n))
    receive_fails_on(mail(2))
    server.on_store = rows_now
    poller = ImapPoller(mailbox_of(server), timeout=5)
    try:
        with caplog.at_level(logging.WARNING, logger="capdesk.intake.imap"):
            assert poller.poll_once() == 3
        # Each message was marked only after its row, stored or quarantined, was committed.
        assert server.at_store == [1, 2, 3]
        assert all("\\Seen" in m.flags for m in server.mails)
        assert poller.poll_once() == 0
    finally:
        poller.close()
    assert keys_of() == sorted(
        ["<imap-1@mail.acme.test>", "<imap-3@mail.acme.test>", actions.content_key(mail(2))]
    )
    held = InboundRequest.objects.get(state=InboundRequest.State.QUARANTINED)
    assert (held.channel, held.idempotency_key) == ("email", actions.content_key(mail(2)))
    assert bytes(held.raw) == mail(2)
    assert held.reason == "Could not be stored: UnknownBug: the parser tripped on this one"
    [failed] = [r for r in caplog.records if r.msg == "intake.imap_store_failed"]
    assert failed.__dict__["uid"] == 2
    assert failed.exc_info is not None
    [kept] = [r for r in caplog.records if r.msg == "intake.imap_quarantined"]
    assert (kept.__dict__["request_id"], kept.__dict__["duplicate"]) == (held.pk, False)


def test_it_counts_a_quarantined_message_fetched_again_instead_of_keeping_it_twice(
    transactional_db, server, receive_fails_on
) -> None:
    server.add(mail(1))
    receive_fails_on(mail(1))
    poller = ImapPoller(mailbox_of(server), timeout=5)
    try:
        assert poller.poll_once() == 1
        # As if the mark had been lost (a crash between the commit and the STORE).
        server.mails[0].flags.clear()
        assert poller.poll_once() == 1
    finally:
        poller.close()
    held = InboundRequest.objects.get()
    assert (held.state, held.duplicates) == (InboundRequest.State.QUARANTINED, 1)
    assert "\\Seen" in server.mails[0].flags


def test_it_leaves_a_message_unmarked_when_it_can_neither_store_nor_quarantine_it(
    transactional_db, server, receive_fails_on, monkeypatch, caplog
) -> None:
    """Quarantining is made to fail by a patch too: like ``receive``, it fails only by a bug."""
    for n in (1, 2, 3):
        server.add(mail(n))
    receive_fails_on(mail(2))
    real = actions.quarantine_unstored

    def quarantine_unstored(channel: str, raw: bytes, reason: str) -> actions.Receipt:
        if raw == mail(2):
            raise UnknownBug("and so did the quarantine")
        return real(channel, raw, reason)

    monkeypatch.setattr(actions, "quarantine_unstored", quarantine_unstored)
    poller = ImapPoller(mailbox_of(server), timeout=5)
    try:
        with caplog.at_level(logging.ERROR, logger="capdesk.intake.imap"):
            assert poller.poll_once() == 2
        assert ["\\Seen" in m.flags for m in server.mails] == [True, False, True]
        assert keys_of() == ["<imap-1@mail.acme.test>", "<imap-3@mail.acme.test>"]
        [failed] = [r for r in caplog.records if r.msg == "intake.imap_quarantine_failed"]
        assert failed.__dict__["uid"] == 2
        # The cause fixed, the next poll fetches the message again and stores it.
        monkeypatch.undo()
        assert poller.poll_once() == 1
    finally:
        poller.close()
    assert all("\\Seen" in m.flags for m in server.mails)
    assert keys_of() == [f"<imap-{n}@mail.acme.test>" for n in (1, 2, 3)]


def test_an_admin_sees_a_message_the_poller_could_not_store_and_can_process_it_again(
    client: Client, cast: Personas, run_worker, server, receive_fails_on
) -> None:
    server.add(mail(4))
    receive_fails_on(mail(4))
    poller = ImapPoller(mailbox_of(server), timeout=5)
    try:
        assert poller.poll_once() == 1
    finally:
        poller.close()
    held = InboundRequest.objects.get()
    assert isinstance(cast.agent, User)
    client.force_login(cast.agent)
    page = client.get("/console/quarantine/").content.decode()
    assert "Could not be stored: UnknownBug: the parser tripped on this one" in page
    for action in ("raw", "release", "discard"):
        assert f"/console/quarantine/{held.pk}/{action}/" in page
    assert client.get(f"/console/quarantine/{held.pk}/raw/").content == mail(4)
    assert client.post(f"/console/quarantine/{held.pk}/release/").status_code == 302
    run_worker()
    held.refresh_from_db()
    assert held.state == InboundRequest.State.PROCESSED
    assert held.ticket is not None


def test_the_envelope_the_mailboxs_own_server_wrote_is_read_as_smtpd_writes_it(
    transactional_db, server
) -> None:
    # The mailbox's delivery agent (Postfix local, Dovecot LDA) put Return-Path and
    # Delivered-To on top; the poller stores the message as it is and intake reads them.
    first = mail(1)
    server.add(first)
    poller = ImapPoller(mailbox_of(server), timeout=5)
    try:
        poller.poll_once()
        opened = InboundRequest.objects.get()
        actions.process(opened.pk)
        opened.refresh_from_db()
        ticket = opened.ticket
        assert ticket is not None
        bcc_reply = (
            f"Return-Path: <dewi@acme.test>\r\nDelivered-To: support@capgo.app\r\n"
            f"Delivered-To: {reply_address(ticket.pk)}\r\n"
            "From: Dewi <dewi@acme.test>\r\nTo: teammate@acme.test\r\nSubject: Still failing\r\n"
            "Message-ID: <imap-bcc@mail.acme.test>\r\n\r\nThe reply address was in Bcc.\r\n"
        ).encode()
        bounce = (
            b"Return-Path: <>\r\nDelivered-To: support@capgo.app\r\n"
            b"From: Mail Delivery Subsystem <delivery@mx.example>\r\nTo: support@capgo.app\r\n"
            b"Subject: Delivery failed\r\nMessage-ID: <imap-bounce@mx.example>\r\n\r\nAddress not found.\r\n"
        )
        server.add(bcc_reply)
        server.add(bounce)
        assert poller.poll_once() == 2
    finally:
        poller.close()
    reply = InboundRequest.objects.get(idempotency_key="<imap-bcc@mail.acme.test>")
    returned = InboundRequest.objects.get(idempotency_key="<imap-bounce@mx.example>")
    assert bytes(reply.raw) == bcc_reply  # stored as it was: the poller adds no envelope of its own
    for request in (reply, returned):
        actions.process(request.pk)
        request.refresh_from_db()
    assert reply.ticket == ticket
    assert returned.ticket is None and "null sender" in returned.reason
