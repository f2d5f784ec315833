"""A sweep's loop: every delivery in turn, none more to a target that failed, none after its budget."""

from __future__ import annotations

import time

from capdesk.core import deliveries


def test_a_sweep_tries_every_delivery_within_its_budget() -> None:
    tried: list[int] = []

    def deliver(pk: int) -> bool:
        tried.append(pk)
        return True

    assert deliveries.deliver_each([(1, "a"), (2, "b"), (3, "a")], deliver, seconds=60) == (3, {})
    assert tried == [1, 2, 3]


def test_a_target_that_fails_gets_no_other_delivery_in_that_sweep() -> None:
    tried: list[int] = []

    def deliver(pk: int) -> bool:
        tried.append(pk)
        return pk != 1  # the receiver behind "a" hangs or refuses

    rows = [(1, "a"), (2, "b"), (3, "a"), (4, "a"), (5, "b")]
    assert deliveries.deliver_each(rows, deliver, seconds=60) == (3, {"a": 1})
    assert tried == [1, 2, 5]


def test_deliveries_to_one_place_stop_at_its_first_failure() -> None:
    tried: list[int] = []

    def deliver(pk: int) -> bool:
        tried.append(pk)
        return pk != 2

    assert deliveries.deliver_each([(1, None), (2, None), (3, None)], deliver, seconds=60) == (2, {None: 2})
    assert tried == [1, 2]


def test_a_sweep_starts_no_delivery_after_its_budget_but_always_the_first() -> None:
    tried: list[int] = []

    def slow(pk: int) -> bool:
        tried.append(pk)
        time.sleep(0.05)
        return True

    assert deliveries.deliver_each([(1, "a"), (2, "b"), (3, "c")], slow, seconds=0.01) == (1, {})
    assert tried == [1]
