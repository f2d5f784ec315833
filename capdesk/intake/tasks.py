"""Worker tasks for intake."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.db.models import QuerySet
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
    return actions.process_batch(request_id, with_pending=BATCH - 1)


def reconcile_taken_along(request_ids: Sequence[int]) -> None:
    """After a batch, make the tasks of the requests it took along agree with what became of them.

    One read of their states, then:

    - **Finished** (processed or quarantined, by this batch or another): their tasks not
      yet started are recorded with what they would return, ``[]``. One UPDATE spares the
      worker a claim, a run and a result write per request (about 2 ms each on SQLite, a
      fifth of the worker's time per email). Only READY rows change: a task a worker
      already claimed runs and finds nothing, as before.
    - **Still pending** (not run: the batch's own request was gone at the write, or
      preparing failed; or run and failed): freed from the batch's reservation, and given
      a task unless one is waiting, since their own may have ended seeing the reservation.

    Safe to skip (a crash before it): the tasks then run and do nothing, and the stalled
    sweep takes up what has no task.
    """
    if not request_ids:
        return
    states = dict(InboundRequest.objects.filter(pk__in=request_ids).values_list("pk", "state"))
    finished = [pk for pk, state in states.items() if state != InboundRequest.State.PENDING]
    left = [pk for pk, state in states.items() if state == InboundRequest.State.PENDING]
    database_tasks = isinstance(process_inbound.get_backend(), DatabaseBackend)
    if finished and database_tasks:
        now = timezone.now()
        _ready(finished).update(
            status=TaskResultStatus.SUCCESSFUL, started_at=now, finished_at=now, return_value=[]
        )
    if left:
        waiting = (
            {task.args_kwargs["args"][0] for task in _ready(left).only("args_kwargs")}
            if database_tasks
            else set()
        )
        with transaction.atomic():
            InboundRequest.objects.filter(pk__in=left, preparing_until__isnull=False).update(
                preparing_until=None
            )
            for pk in set(left) - waiting:
                process_inbound.enqueue(pk)


def _ready(request_ids: Sequence[int]) -> QuerySet[DBTaskResult[[int], list[int]]]:
    """The not yet started ``process_inbound`` tasks of these requests."""
    return DBTaskResult.objects.filter(
        status=TaskResultStatus.READY,
        task_path=process_inbound.module_path,
        args_kwargs__args__0__in=list(request_ids),
    )
