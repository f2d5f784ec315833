"""Two workers on PostgreSQL writing related mail at the same moment still thread it.

A reply and the message it answers can land in two batches that two workers write at
once. Each batch's write transaction cannot see the other's rows until they commit, so
without coordination the reply (or a parent that came after its reply) opened a ticket
of its own. Batches whose mail shares a Message-ID, or a sender, take the same
transaction-level advisory lock first (``intake.thread_locks``): the second waits for the
first to commit, then sees its rows. SQLite has one writer, so it never had the race.
"""

from __future__ import annotations

import threading
from email.message import EmailMessage

import pytest
from django.db import connection, connections

from capdesk.intake import actions, email_channel
from capdesk.intake.models import InboundRequest

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite runs one write transaction at a time: no race to close"
)

SENDER = "Rani <rani@kopi.example>"


def mail(message_id: str, subject: str, body: str, *, answers: str = "") -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = SENDER, "support@capgo.app", subject
    msg["Message-ID"] = message_id
    if answers:
        msg["In-Reply-To"] = msg["References"] = answers
    msg.set_content(body)
    return msg.as_bytes()


PARENT = mail(
    "<parent@kopi.example>", "Bundle not applied", "Bundle 2.1.0 never reaches our Android devices."
)
REPLY = mail(
    "<reply@kopi.example>", "Re: Bundle not applied", "We use plugin 6.14.2.", answers="<parent@kopi.example>"
)


@pytest.mark.parametrize("first", ["parent", "reply"])
def test_related_mail_written_by_two_workers_at_once_ends_on_one_ticket(
    transactional_db: None, monkeypatch: pytest.MonkeyPatch, first: str
) -> None:
    parent = actions.receive(channel="email", raw=PARENT).request
    reply = actions.receive(channel="email", raw=REPLY).request
    slow, fast = (parent, reply) if first == "parent" else (reply, parent)
    written, release = threading.Event(), threading.Event()
    real_write = email_channel._write

    def write_then_wait(request: InboundRequest, **kwargs: object) -> object:
        # The first worker has written its email and not yet committed when the second starts.
        ticket = real_write(request, **kwargs)  # type: ignore[arg-type]
        if request.pk == slow.pk:
            written.set()
            release.wait(10)
        return ticket

    monkeypatch.setattr(email_channel, "_write", write_then_wait)

    def worker(request: InboundRequest, done: threading.Event) -> None:
        try:
            actions.process_batch(request.pk)  # its own request only: two batches
            done.set()
        finally:
            connections.close_all()

    slow_done, fast_done = threading.Event(), threading.Event()
    first_worker = threading.Thread(target=worker, args=(slow, slow_done))
    second_worker = threading.Thread(target=worker, args=(fast, fast_done))
    first_worker.start()
    try:
        assert written.wait(20)
        second_worker.start()
        # The second waits for the first to commit rather than write beside it.
        assert not fast_done.wait(1.0)
    finally:
        release.set()
        first_worker.join(20)
        second_worker.join(20)
    assert slow_done.is_set() and fast_done.is_set()
    parent.refresh_from_db()
    reply.refresh_from_db()
    assert parent.state == reply.state == InboundRequest.State.PROCESSED
    assert parent.ticket_id is not None and reply.ticket_id == parent.ticket_id
