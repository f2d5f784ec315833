"""Worker tasks for outbound notifications."""

from __future__ import annotations

from django_tasks import task

from capdesk.notify import actions


@task()
def deliver_email(email_id: int) -> bool:
    return actions.deliver(email_id)
