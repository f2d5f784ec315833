"""A check for the delivery sweeps: the scheduler hands each to the outbound queue, once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from capdesk.core import queues
from capdesk.core.schedule import jobs


def hand_over_checked(job_name: str, task: Any, *, posted: Callable[[], int]) -> None:
    """Run the scheduler's job ``job_name`` for one retry whose time has just come, then its sweep.

    One ``task`` is queued on the outbound queue at once (a retry has no task of its own
    to wait for), and no second one while it waits. ``posted()`` counts what reached the
    receiver: the scheduler posted nothing itself, and the sweep, run as the outbound
    worker runs it, posts the one.
    """
    (job,) = [j for j in jobs() if j.name == job_name]
    sweeps = DBTaskResult.objects.filter(task_path=task.module_path, status=TaskResultStatus.READY)
    before = posted()
    assert job.run() == 1
    (sweep,) = sweeps
    assert sweep.queue_name == queues.OUTBOUND
    assert job.run() == 0 and sweeps.count() == 1
    assert posted() == before
    assert task.call() == 1
    assert posted() == before + 1
