"""Circuits (core.circuits): a receiver that failed is left alone until its next try, made by one worker."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from capdesk.core import circuits
from capdesk.core.models import Circuit
from capdesk.testing.races import at_once

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 17, 12, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)


@pytest.fixture
def frozen() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_a_receiver_that_works_has_no_circuit_and_costs_no_write() -> None:
    passage = circuits.enter("webhook:1", lease=LEASE)
    assert passage is not None and passage.trying_until is None
    passage.worked()
    passage.close()
    assert not Circuit.objects.exists()


def test_a_failure_opens_the_circuit_and_its_wait_doubles_with_each_failed_try(
    frozen: time_machine.Traveller,
) -> None:
    waits: list[float] = []
    for n in range(7):
        passage = circuits.enter("webhook:1", lease=LEASE)
        assert passage is not None, n
        passage.failed(f"HTTP 50{n}")
        circuit = circuits.open_circuit("webhook:1")
        assert circuit is not None
        waits.append((circuit.retry_at - NOW - timedelta(seconds=sum(waits))).total_seconds())
        assert circuits.enter("webhook:1", lease=LEASE) is None  # within its wait
        frozen.move_to(circuit.retry_at)
    assert waits == [30, 60, 120, 240, 300, 300, 300]
    circuit = circuits.open_circuit("webhook:1")
    assert circuit is not None
    assert (circuit.failures, circuit.failing_since, circuit.last_error) == (7, NOW, "HTTP 506")
    assert circuits.enter("webhook:2", lease=LEASE) is not None  # another receiver is not held up


def test_one_worker_at_a_time_tries_an_open_circuit(frozen: time_machine.Traveller) -> None:
    circuits.Passage("chat").failed("TimeoutError: timed out")
    frozen.shift(timedelta(seconds=30))
    trying = circuits.enter("chat", lease=LEASE)
    assert trying is not None and trying.trying_until == NOW + timedelta(seconds=30) + LEASE
    assert circuits.enter("chat", lease=LEASE) is None  # another worker, meanwhile
    trying.worked()
    assert circuits.open_circuit("chat") is None
    assert circuits.enter("chat", lease=LEASE) is not None


def test_a_try_whose_worker_died_is_taken_over_when_its_lease_ran_out(frozen: time_machine.Traveller) -> None:
    circuits.Passage("chat").failed("TimeoutError: timed out")
    frozen.shift(timedelta(seconds=30))
    assert circuits.enter("chat", lease=LEASE) is not None  # and its worker is killed
    frozen.shift(LEASE - timedelta(seconds=1))
    assert circuits.enter("chat", lease=LEASE) is None
    frozen.shift(timedelta(seconds=1))
    assert circuits.enter("chat", lease=LEASE) is not None


def test_a_late_failure_from_outside_the_try_does_not_cut_the_tries_lease_short(
    frozen: time_machine.Traveller,
) -> None:
    started_before = circuits.enter("webhook:1", lease=LEASE)  # the circuit is closed yet
    circuits.Passage("webhook:1").failed("HTTP 503")  # another delivery: it opens
    frozen.shift(timedelta(seconds=30))
    trying = circuits.enter("webhook:1", lease=LEASE)
    assert trying is not None
    assert started_before is not None
    started_before.failed("HTTP 503")  # a minute's backoff, but the try holds two
    assert circuits.retry_at("webhook:1") == trying.trying_until
    assert circuits.enter("webhook:1", lease=LEASE) is None
    trying.failed("HTTP 503")  # the try's own failure sets the next try
    assert circuits.retry_at("webhook:1") == timezone.now() + timedelta(minutes=2)


def test_a_retry_after_is_not_shortened_by_a_later_failure(frozen: time_machine.Traveller) -> None:
    circuits.Passage("chat").failed("HTTP 429", wait=timedelta(minutes=10))
    circuits.Passage("chat").failed("URLError: timed out")
    assert circuits.retry_at("chat") == NOW + timedelta(minutes=10)


def test_a_try_that_reached_nothing_hands_the_next_try_on(frozen: time_machine.Traveller) -> None:
    circuits.Passage("mail").failed("TimeoutError: timed out")
    frozen.shift(timedelta(seconds=30))
    with circuits.passage("mail", lease=LEASE) as trying:
        assert trying is not None  # and it finds nothing left to send
    with circuits.passage("mail", lease=LEASE) as next_one:
        assert next_one is not None
        next_one.failed("TimeoutError: timed out")  # a failed try is not handed on
    assert circuits.enter("mail", lease=LEASE) is None
    circuit = circuits.open_circuit("mail")
    assert circuit is not None and circuit.failures == 2


def test_a_success_of_a_delivery_that_started_before_the_circuit_opened_leaves_it_to_the_next_try(
    frozen: time_machine.Traveller,
) -> None:
    before = circuits.enter("webhook:1", lease=LEASE)
    assert before is not None
    circuits.Passage("webhook:1").failed("HTTP 503")  # another worker's delivery, meanwhile
    before.worked()
    assert circuits.open_circuit("webhook:1") is not None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite runs one write transaction at a time")
@pytest.mark.django_db(transaction=True)
def test_of_workers_reaching_an_open_circuit_at_once_one_tries_and_every_failure_counts() -> None:
    for n in range(5):
        name = f"webhook:{n}"
        circuits.Passage(name).failed("TimeoutError: timed out")
        Circuit.objects.filter(name=name).update(retry_at=timezone.now())
        tries = at_once(partial(circuits.enter, name, lease=LEASE), workers=4)
        assert sum(passage is not None for passage in tries) == 1
    at_once(lambda: circuits.Passage("chat").failed("HTTP 503"), workers=4)
    circuit = circuits.open_circuit("chat")
    assert circuit is not None and circuit.failures == 4


@pytest.mark.parametrize(
    ("status", "opens"),
    [(status, True) for status in (None, 0, 500, 503, 408, 429)]
    + [(status, False) for status in (200, 204, 302, 400, 404, 410, 422)],
)
def test_a_receiver_fails_when_it_does_not_answer_or_cannot_take_anything_now(
    status: int | None, opens: bool, frozen: time_machine.Traveller
) -> None:
    circuits.Passage("webhook:1").failed("URLError: timed out")
    frozen.shift(timedelta(seconds=30))
    trying = circuits.enter("webhook:1", lease=LEASE)
    assert trying is not None
    trying.settle(status=status, error=f"HTTP {status}")
    assert (circuits.open_circuit("webhook:1") is not None) is opens
