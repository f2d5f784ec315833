"""Worker tasks for intake."""

from __future__ import annotations

from django_tasks import task

from capdesk.intake import actions

# A task takes along up to this many other pending requests: under a backlog the worker
# prepares and commits them together (one classifier call, one commit), and their own
# tasks then find nothing to do. Small enough that the write lock, which the SMTP
# receiver waits for, is held for well under a second (BENCHMARKS.md, email intake).
BATCH = 24


@task()
def process_inbound(request_id: int) -> list[int]:
    """The ids of the requests this task processed: its own first-come, or none if another did it."""
    return actions.process_batch(request_id, with_pending=BATCH - 1)
