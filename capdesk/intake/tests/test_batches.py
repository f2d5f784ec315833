"""A worker processes a backlog in batches: prepared outside the write lock, written in one
transaction with a savepoint per request, each request still processed exactly once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from capdesk.core import appends
from capdesk.intake import actions, channels
from capdesk.intake.models import InboundRequest
from capdesk.intake.tasks import process_inbound
from capdesk.notify.models import OutboundEmail
from capdesk.testing.factories import Personas
from capdesk.tickets.actions import default_queue
from capdesk.tickets.models import Event, Ticket

SAMPLES = Path(__file__).parent / "samples"


def _email(name: str) -> InboundRequest:
    return actions.receive(channel="email", raw=(SAMPLES / name).read_bytes()).request


@pytest.fixture
def test_channel(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """A two-phase channel named "test": its write step fails for the bytes ``boom``.

    Yields, per request it prepared, whether a transaction was open while it did.
    """
    seen_in_transaction: list[bool] = []

    def prepare(requests: Sequence[InboundRequest]) -> list[channels.Prepared]:
        seen_in_transaction.extend(connection.in_atomic_block for _ in requests)
        return [_write for _ in requests]

    def _write(request: InboundRequest) -> Ticket | None:
        if bytes(request.raw) == b"boom":
            raise RuntimeError("the write step broke")
        return None

    monkeypatch.setattr(channels, "_HANDLERS", dict(channels._HANDLERS))
    channels.register_prepared("test")(prepare)
    yield seen_in_transaction


def test_it_threads_a_reply_whose_parent_is_in_the_same_batch(cast: Personas) -> None:
    parent = _email("plain.eml")
    reply = _email("reply_by_in_reply_to.eml")
    assert actions.process(parent.pk, with_pending=10)
    parent.refresh_from_db()
    reply.refresh_from_db()
    assert parent.state == reply.state == InboundRequest.State.PROCESSED
    assert parent.ticket is not None and reply.ticket == parent.ticket
    assert Ticket.objects.count() == 1


def test_it_gives_the_batchs_other_tasks_nothing_to_do(cast: Personas) -> None:
    first = _email("plain.eml")
    automatic = _email("auto_replied.eml")
    assert process_inbound.call(first.pk)
    assert not process_inbound.call(automatic.pk)
    automatic.refresh_from_db()
    assert automatic.state == InboundRequest.State.PROCESSED
    assert automatic.attempts == 1
    assert automatic.ticket is None  # RFC 3834: an auto-reply opens no ticket, in a batch too


def _task_of(request: InboundRequest) -> DBTaskResult[[int], list[int]]:
    return DBTaskResult.objects.get(task_path=process_inbound.module_path, args_kwargs__args=[request.pk])


def test_it_records_the_taken_along_tasks_as_done_so_the_worker_skips_them(cast: Personas) -> None:
    first, reply, automatic = (
        _email("plain.eml"),
        _email("reply_by_in_reply_to.eml"),
        _email("auto_replied.eml"),
    )
    # What the worker does for the oldest task: claim it, run it, record its result.
    own = _task_of(first)
    own.claim("w1")
    own.set_successful(process_inbound.call(first.pk))
    assert own.return_value == [first.pk, reply.pk, automatic.pk]
    for request in (reply, automatic):
        task = _task_of(request)
        assert task.status == TaskResultStatus.SUCCESSFUL
        assert task.return_value == []  # what running it would have returned
    assert not DBTaskResult.objects.ready().filter(task_path=process_inbound.module_path).exists()


def test_it_leaves_a_claimed_task_of_a_taken_along_request_to_its_worker(cast: Personas) -> None:
    first, second = _email("plain.eml"), _email("auto_replied.eml")
    _task_of(second).claim("w2")  # another worker took it before the batch was written
    process_inbound.call(first.pk)
    assert _task_of(second).status == TaskResultStatus.RUNNING
    assert process_inbound.call(second.pk) == []  # its run finds nothing, as before


def test_it_leaves_the_task_of_a_request_that_failed_in_a_batch_to_retry_it(
    cast: Personas, test_channel: list[bool]
) -> None:
    email = _email("plain.eml")
    broken = actions.receive(channel="test", raw=b"boom").request
    assert process_inbound.call(email.pk) == [email.pk, broken.pk]
    broken.refresh_from_db()
    assert broken.state == InboundRequest.State.PENDING
    assert _task_of(broken).status == TaskResultStatus.READY  # its own run retries it


@pytest.mark.django_db(transaction=True)
def test_it_hands_a_batchs_standard_replies_to_one_delivery_task(cast: Personas) -> None:
    raw = (SAMPLES / "plain.eml").read_bytes()
    senders = ("andi@gmail.test", "sari@gmail.test")
    first, second = (
        actions.receive(
            channel="email",
            raw=raw.replace(b"dewi@acme.test", s.encode()).replace(
                b"Message-ID: <", f"Message-ID: <{s}".encode()
            ),
        ).request
        for s in senders
    )
    assert process_inbound.call(first.pk) == [first.pk, second.pk]
    replies = list(OutboundEmail.objects.order_by("pk"))
    assert [r.to for r in replies] == list(senders)
    (task,) = DBTaskResult.objects.filter(task_path="capdesk.notify.tasks.deliver_emails")
    assert task.args_kwargs["args"] == [[r.pk for r in replies]]
    assert not DBTaskResult.objects.filter(task_path="capdesk.notify.tasks.deliver_email").exists()


def test_it_keeps_the_others_work_when_one_request_of_a_batch_fails(
    cast: Personas, test_channel: list[bool]
) -> None:
    email = _email("plain.eml")
    broken = actions.receive(channel="test", raw=b"boom").request
    fine = actions.receive(channel="test", raw=b"fine").request
    assert actions.process(broken.pk, with_pending=10)
    for request in (email, broken, fine):
        request.refresh_from_db()
    assert email.state == fine.state == InboundRequest.State.PROCESSED
    assert email.ticket is not None
    assert broken.state == InboundRequest.State.PENDING
    assert broken.attempts == 1
    assert broken.reason == "RuntimeError: the write step broke"


def test_it_quarantines_only_the_unreadable_email_of_a_batch(cast: Personas) -> None:
    unreadable = _email("no_from.eml")
    readable = _email("plain.eml")
    assert actions.process(readable.pk, with_pending=10)
    unreadable.refresh_from_db()
    readable.refresh_from_db()
    assert unreadable.state == InboundRequest.State.QUARANTINED
    assert "From" in unreadable.reason
    assert readable.state == InboundRequest.State.PROCESSED


def test_it_prepares_requests_outside_the_write_transaction(
    transactional_db: None, test_channel: list[bool], run_worker: Callable[[], None]
) -> None:
    for raw in (b"one", b"two", b"three"):
        actions.receive(channel="test", raw=raw)
    run_worker()
    assert test_channel == [False, False, False]
    assert set(InboundRequest.objects.values_list("state", flat=True)) == {InboundRequest.State.PROCESSED}


def _reserved_elsewhere(request: InboundRequest, *, for_seconds: float = 30) -> None:
    # What another worker's batch does before it prepares: reserve the request.
    InboundRequest.objects.filter(pk=request.pk).update(
        preparing_until=timezone.now() + timedelta(seconds=for_seconds)
    )


def test_it_leaves_a_request_another_worker_is_preparing_out_of_its_batch(
    db: None, test_channel: list[bool]
) -> None:
    first, taken, third = (actions.receive(channel="test", raw=raw).request for raw in (b"1", b"2", b"3"))
    _reserved_elsewhere(taken)
    assert actions.process_batch(first.pk, with_pending=10) == [first.pk, third.pk]
    taken.refresh_from_db()
    assert taken.state == InboundRequest.State.PENDING and taken.attempts == 0


@pytest.mark.parametrize("others", [0, 1], ids=["alone", "with-another-pending"])
def test_it_leaves_its_own_request_to_the_worker_that_reserved_it(
    db: None, test_channel: list[bool], others: int
) -> None:
    own = actions.receive(channel="test", raw=b"own").request
    for n in range(others):
        actions.receive(channel="test", raw=f"other {n}".encode())
    _reserved_elsewhere(own)
    assert actions.process_batch(own.pk, with_pending=10) == []
    assert test_channel == []  # nothing prepared twice
    assert set(InboundRequest.objects.values_list("state", flat=True)) == {InboundRequest.State.PENDING}
    # Nor are the others reserved by a batch that does not run: nobody would write them.
    assert not InboundRequest.objects.exclude(pk=own.pk).filter(preparing_until__isnull=False).exists()
    # In case the worker that reserved it died: a task runs it when the reservation lapses.
    own.refresh_from_db()
    assert own.preparing_until is not None
    waiting = DBTaskResult.objects.filter(status=TaskResultStatus.READY, args_kwargs__args=[own.pk])
    assert waiting.filter(run_after=own.preparing_until).count() == 1


def test_the_stalled_sweep_takes_over_a_request_whose_worker_died_holding_it(
    db: None, test_channel: list[bool]
) -> None:
    request = actions.receive(channel="test", raw=b"1").request
    _reserved_elsewhere(request)
    assert actions.retry_stalled(older_than=timedelta(0)) == 1
    request.refresh_from_db()
    assert request.state == InboundRequest.State.PROCESSED and request.preparing_until is None


def test_it_takes_along_a_request_whose_reservation_lapsed(db: None, test_channel: list[bool]) -> None:
    # The worker that reserved it died: the reservation lapses and the request is free again.
    first, orphan = (actions.receive(channel="test", raw=raw).request for raw in (b"1", b"2"))
    _reserved_elsewhere(orphan, for_seconds=-1)
    assert actions.process_batch(first.pk, with_pending=10) == [first.pk, orphan.pk]


def test_it_reserves_the_batch_before_preparing_it_and_frees_it_when_written(
    db: None, monkeypatch: pytest.MonkeyPatch, test_channel: list[bool]
) -> None:
    requests = [actions.receive(channel="test", raw=raw).request for raw in (b"1", b"boom", b"3")]
    reserved_while_preparing: list[int] = []
    prepare = channels._HANDLERS["test"]

    def watching(batch: Sequence[InboundRequest]) -> list[channels.Prepared]:
        reserved_while_preparing.extend(
            InboundRequest.objects.filter(preparing_until__gt=timezone.now()).values_list("pk", flat=True)
        )
        return prepare(batch)

    monkeypatch.setitem(channels._HANDLERS, "test", watching)
    assert actions.process_batch(requests[0].pk, with_pending=10) == [r.pk for r in requests]
    assert sorted(reserved_while_preparing) == [r.pk for r in requests]
    # Written, processed or failed alike: nothing stays reserved, so the failed one's own task retries it now.
    assert not InboundRequest.objects.filter(preparing_until__isnull=False).exists()
    assert actions.process_batch(requests[1].pk) == [requests[1].pk]


def test_it_hands_back_what_it_reserved_and_did_not_write(
    db: None, monkeypatch: pytest.MonkeyPatch, test_channel: list[bool]
) -> None:
    own, *along = (actions.receive(channel="test", raw=raw).request for raw in (b"1", b"2", b"3"))
    DBTaskResult.objects.all().delete()  # as if each one's own task had already run and found it reserved

    def prepare(batch: Sequence[InboundRequest]) -> list[channels.Prepared]:
        # Another worker's retry wrote our own request while we prepared.
        InboundRequest.objects.filter(pk=own.pk).update(state=InboundRequest.State.PROCESSED)
        return [lambda request: None for _ in batch]

    monkeypatch.setitem(channels._HANDLERS, "test", prepare)
    assert actions.process_batch(own.pk, with_pending=10) == []
    handed_back = [r.pk for r in along]
    assert not InboundRequest.objects.filter(pk__in=handed_back, preparing_until__isnull=False).exists()
    tasks = DBTaskResult.objects.filter(status=TaskResultStatus.READY, task_path=process_inbound.module_path)
    assert sorted(t.args_kwargs["args"][0] for t in tasks) == handed_back


def test_it_reserves_nothing_when_another_worker_took_its_own_request_meanwhile(
    db: None, test_channel: list[bool]
) -> None:
    # The race process_batch cannot show alone: its own request was free when it looked,
    # and another worker's batch reserved it before this one reserved its batch.
    own, *along = (actions.receive(channel="test", raw=raw).request for raw in (b"1", b"2", b"3"))
    _reserved_elsewhere(own)
    assert actions._reserve(own.pk, [r.pk for r in along]) == set()
    assert not InboundRequest.objects.filter(
        pk__in=[r.pk for r in along], preparing_until__isnull=False
    ).exists()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SKIP LOCKED: SQLite runs one reserving transaction at a time"
)
def test_it_waits_for_its_own_request_that_another_reserving_worker_holds_for_a_moment(
    transactional_db: None, test_channel: list[bool]
) -> None:
    # Another worker's reservation holds our own row while it decides (and then reserves
    # nothing): skipping the row would end our task with the request reserved by nobody.
    own, *along = (actions.receive(channel="test", raw=raw).request for raw in (b"1", b"2", b"3"))
    held, release = threading.Event(), threading.Event()

    def another_worker_reserving() -> None:
        try:
            with transaction.atomic():
                list(InboundRequest.objects.select_for_update(skip_locked=True).filter(pk=own.pk))
                held.set()
                release.wait(10)
        finally:
            connections.close_all()

    other = threading.Thread(target=another_worker_reserving)
    other.start()
    try:
        assert held.wait(10)
        threading.Timer(0.5, release.set).start()
        done = actions.process_batch(own.pk, with_pending=10)
    finally:
        release.set()
        other.join(10)
    assert done == [own.pk, *(r.pk for r in along)]


@pytest.mark.parametrize("own_task", ["ended", "waiting"])
def test_it_leaves_a_failed_request_taken_along_with_exactly_one_task_to_retry_it(
    db: None, test_channel: list[bool], own_task: str
) -> None:
    first = actions.receive(channel="test", raw=b"fine").request
    broken = actions.receive(channel="test", raw=b"boom").request
    if own_task == "ended":
        # Its own task ran while the batch was being prepared, and found it reserved.
        _task_of(broken).delete()
    assert actions.process_batch(first.pk, with_pending=10) == [first.pk, broken.pk]
    broken.refresh_from_db()
    assert broken.state == InboundRequest.State.PENDING and broken.attempts == 1
    ready = DBTaskResult.objects.filter(status=TaskResultStatus.READY, task_path=process_inbound.module_path)
    assert [t.args_kwargs["args"] for t in ready if t.args_kwargs["args"] != [first.pk]] == [[broken.pk]]


@pytest.fixture
def refused_row_channel(monkeypatch: pytest.MonkeyPatch) -> None:
    """A channel "test" whose write step for ``refused`` appends a row the database refuses.

    A NOT NULL column left empty stands for any value a database rejects only at INSERT
    (a string too long for a PostgreSQL column): with the batch's rows inserted at its end,
    the refusal comes after every request's own savepoint was released.
    """

    def prepare(requests: Sequence[InboundRequest]) -> list[channels.Prepared]:
        return [_write for _ in requests]

    def _write(request: InboundRequest) -> Ticket | None:
        ticket = Ticket.objects.create(
            subject=bytes(request.raw).decode(), requester_email="t@example.test", queue=default_queue()
        )
        event = Event(ticket=ticket, kind="test.written")
        if bytes(request.raw) == b"refused":
            event.kind = None  # type: ignore[assignment]  # what the NOT NULL column refuses
        appends.save(event)
        return ticket

    monkeypatch.setattr(channels, "_HANDLERS", dict(channels._HANDLERS))
    channels.register_prepared("test")(prepare)


def test_it_isolates_a_request_whose_appended_row_the_database_refuses(
    db: None, refused_row_channel: None
) -> None:
    first, refused, last = (
        actions.receive(channel="test", raw=raw).request for raw in (b"a", b"refused", b"z")
    )
    assert actions.process(first.pk, with_pending=10)
    for request in (first, refused, last):
        request.refresh_from_db()
    assert first.state == last.state == InboundRequest.State.PROCESSED
    assert set(Event.objects.values_list("kind", "ticket__subject")) == {
        ("test.written", "a"),
        ("test.written", "z"),
    }
    assert refused.state == InboundRequest.State.PENDING
    assert (refused.attempts, refused.reason.split(":")[0]) == (1, "IntegrityError")
    assert not Ticket.objects.filter(subject="refused").exists()
