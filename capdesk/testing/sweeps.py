"""A check for the delivery sweeps: the scheduler hands each to the outbound queue, once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from capdesk.core import deliveries, queues
from capdesk.core.schedule import jobs


def hand_over_checked(job_name: str, task: Any, traveller: Any, *, posted: Callable[[], int]) -> None:
    """Run the scheduler's job ``job_name`` for one delivery that has just come due, then its sweep.

    Nothing is handed over while its own task may still take it (``SWEEP_AFTER``); then
    one ``task`` is queued on the outbound queue ahead of its backlog, and no second one
    while it waits. ``posted()`` counts what reached the receiver: the scheduler posted
    nothing itself, and the sweep, run as the outbound worker runs it, posts the one.
    """
    before = posted()
    (job,) = [j for j in jobs() if j.name == job_name]
    sweeps = DBTaskResult.objects.filter(task_path=task.module_path, status=TaskResultStatus.READY)
    assert job.run() == 0 and not sweeps.exists()
    traveller.shift(deliveries.SWEEP_AFTER)
    assert job.run() == 1
    (sweep,) = sweeps
    assert (sweep.queue_name, sweep.priority) == (queues.OUTBOUND, deliveries.SWEEP_PRIORITY)
    assert job.run() == 0 and sweeps.count() == 1
    assert posted() == before
    assert task.call() == 1
    assert posted() == before + 1
