"""The safety-net sweeps of `capdesk scheduler`."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from capdesk.core.jobs import _fail_abandoned_tasks
from capdesk.intake import actions as intake


def test_it_fails_a_task_left_running_by_a_killed_worker_and_the_request_is_still_processed(cast):
    receipt = intake.receive(channel="email", raw=b"From: a@b.test\r\nSubject: x\r\n\r\nhello\r\n")
    task = DBTaskResult.objects.get()
    # The worker claimed it and was killed before finishing.
    DBTaskResult.objects.filter(pk=task.pk).update(status=TaskResultStatus.RUNNING, started_at=timezone.now())
    assert _fail_abandoned_tasks() == 0  # a task that is merely running is left alone
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        assert _fail_abandoned_tasks() == 1
        assert intake.retry_stalled() == 1
    task.refresh_from_db()
    receipt.request.refresh_from_db()
    assert task.status == TaskResultStatus.FAILED
    assert receipt.request.state != "pending"
