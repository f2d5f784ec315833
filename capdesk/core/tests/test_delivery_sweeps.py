"""The sweeps' time budget: a sweep starts no delivery once its seconds are spent."""

from __future__ import annotations

import time

from capdesk.core import deliveries


def test_a_sweep_starts_every_delivery_within_its_budget() -> None:
    started: list[int] = []
    assert deliveries.each_within([1, 2, 3], started.append, seconds=60) == 3
    assert started == [1, 2, 3]


def test_a_sweep_starts_no_delivery_after_its_budget_but_always_the_first() -> None:
    started: list[int] = []

    def slow(pk: int) -> None:
        started.append(pk)
        time.sleep(0.05)

    assert deliveries.each_within([1, 2, 3], slow, seconds=0.01) == 1
    assert started == [1]
