"""Worker tasks for intake."""

from __future__ import annotations

from django_tasks import task

from capdesk.intake import actions


@task()
def process_inbound(request_id: int) -> bool:
    return actions.process(request_id)
