"""Worker tasks for intake."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils import timezone
from django_tasks import task
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from capdesk.intake import actions
from capdesk.intake.models import InboundRequest

# A task takes along up to this many other pending requests: under a backlog the worker
# prepares and commits them together (one classifier call, one commit), and their own
# tasks then find nothing to do. Small enough that the write lock, which the SMTP
# receiver waits for, is held for well under a second (BENCHMARKS.md, email intake).
BATCH = 24


@task()
def process_inbound(request_id: int) -> list[int]:
    """The ids of the requests this task processed: its own first-come, or none if another did it."""
    done = actions.process_batch(request_id, with_pending=BATCH - 1)
    settle_tasks_taken_along([pk for pk in done if pk != request_id])
    return done


def waiting(request_ids: Sequence[int]) -> set[int]:
    """Those of ``request_ids`` whose task is waiting for a worker (not yet claimed)."""
    if not isinstance(process_inbound.get_backend(), DatabaseBackend):
        return set()
    ready = DBTaskResult.objects.filter(
        status=TaskResultStatus.READY,
        task_path=process_inbound.module_path,
        args_kwargs__args__0__in=list(request_ids),
    )
    return {task.args_kwargs["args"][0] for task in ready.only("args_kwargs")}


def settle_tasks_taken_along(request_ids: Sequence[int]) -> int:
    """Record, for the not yet started tasks of requests another task processed, what they would return.

    Each would find its request no longer pending and return ``[]``; recording that in one
    UPDATE spares the worker a claim, a run and a result write per request (about 2 ms
    each on SQLite, a fifth of the worker's time per email). A request whose attempt
    failed is still pending: its task stays, so it is retried as soon as before. Only
    READY rows change: a task a worker already claimed runs and finds nothing, as before.
    Safe to skip (a crash before it): the tasks then run and do nothing. Returns how many
    were settled.
    """
    if not request_ids or not isinstance(process_inbound.get_backend(), DatabaseBackend):
        return 0
    finished = list(
        InboundRequest.objects.filter(pk__in=request_ids)
        .exclude(state=InboundRequest.State.PENDING)
        .values_list("pk", flat=True)
    )
    if not finished:
        return 0
    now = timezone.now()
    return DBTaskResult.objects.filter(
        status=TaskResultStatus.READY,
        task_path=process_inbound.module_path,
        args_kwargs__args__0__in=finished,
    ).update(status=TaskResultStatus.SUCCESSFUL, started_at=now, finished_at=now, return_value=[])
