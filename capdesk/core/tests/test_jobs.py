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


def test_it_keeps_sqlites_planner_statistics_for_the_ticket_table(cast):
    from django.db import connection

    from capdesk.core.jobs import refresh_planner_statistics
    from capdesk.testing.requests import file_portal_request

    for n in range(3):  # ANALYZE records nothing for an empty table
        file_portal_request(cast.developer, f"Question {n}", "How do channels work?", project="com.acme.shop")

    handled = refresh_planner_statistics()

    if connection.vendor != "sqlite":
        assert handled == 0  # autovacuum's business
        return
    assert handled == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT idx FROM sqlite_stat1 WHERE tbl = 'tickets_ticket'")
        analyzed = {row[0] for row in cursor.fetchall()}
    # The queue's own index must be known to the planner, or it falls back to guessing.
    assert "ticket_deadline_idx" in analyzed
