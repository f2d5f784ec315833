"""The safety-net sweeps of `capdesk scheduler`."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest
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


def test_a_migrate_that_applied_something_refreshes_sqlites_statistics_where_there_were_some(cast):
    from django.core.management.sql import emit_post_migrate_signal
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    from capdesk.core.jobs import refresh_planner_statistics
    from capdesk.testing.requests import file_portal_request

    if connection.vendor != "sqlite":
        pytest.skip(
            "PostgreSQL keeps statistics per column: an index on existing columns needs none of its own"
        )
    for n in range(3):
        file_portal_request(cast.developer, f"Question {n}", "How do channels work?", project="com.acme.shop")
    refresh_planner_statistics()
    with connection.cursor() as cursor:
        # As after a migration that added the index: statistics for the others, none for it.
        cursor.execute("DELETE FROM sqlite_stat1 WHERE idx = 'ticket_queue_deadline_idx'")
        # A migrate with nothing to apply (every `make run`) leaves them alone: 2-3 s at a million tickets.
        emit_post_migrate_signal(verbosity=0, interactive=False, db="default", plan=[])
        cursor.execute("SELECT 1 FROM sqlite_stat1 WHERE idx = 'ticket_queue_deadline_idx'")
        assert cursor.fetchone() is None
        added = MigrationLoader(connection).get_migration("tickets", "0009_queue_deadline_index")
        emit_post_migrate_signal(verbosity=0, interactive=False, db="default", plan=[(added, False)])
        cursor.execute("SELECT 1 FROM sqlite_stat1 WHERE idx = 'ticket_queue_deadline_idx'")
        assert cursor.fetchone() is not None


def test_it_analyzes_again_when_the_table_grew_by_a_quarter_or_the_statistics_are_an_hour_old(cast):
    from django.db import connection

    from capdesk.core.jobs import refresh_planner_statistics
    from capdesk.testing.requests import file_portal_request

    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")

    filed = iter(range(100))

    def file(n: int) -> None:
        for _ in range(n):
            i = next(filed)
            file_portal_request(
                cast.developer, f"Question {i}", f"How do channels work? ({i})", project="com.acme.shop"
            )

    file(4)
    assert refresh_planner_statistics() == 1
    assert refresh_planner_statistics() == 0  # the same size, minutes later
    file(1)  # 5 of 4: within a quarter
    assert refresh_planner_statistics() == 0
    file(2)  # 7 of 4
    assert refresh_planner_statistics() == 1
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        assert refresh_planner_statistics() == 1


def test_it_prunes_finished_task_results_past_their_days_and_keeps_the_rest(cast, settings):
    from capdesk.core.jobs import prune_finished_tasks

    settings.CAPDESK_TASK_RESULT_DAYS = 14
    settings.CAPDESK_FAILED_TASK_RESULT_DAYS = 30
    for n in range(7):
        intake.receive(channel="email", raw=f"From: a@b.test\r\nSubject: {n}\r\n\r\nhello\r\n".encode())
    rows = list(DBTaskResult.objects.order_by("pk"))
    now = timezone.now()

    def ended(pk: UUID | str, status: TaskResultStatus, days: int) -> None:
        at = now - timedelta(days=days)
        DBTaskResult.objects.filter(pk=pk).update(status=status, started_at=at, finished_at=at)

    ended(rows[0].pk, TaskResultStatus.SUCCESSFUL, 15)  # gone
    ended(rows[1].pk, TaskResultStatus.SUCCESSFUL, 13)  # kept: younger than 14 days
    ended(rows[2].pk, TaskResultStatus.FAILED, 15)  # kept: a failure is kept 30 days
    ended(rows[3].pk, TaskResultStatus.FAILED, 31)  # gone
    DBTaskResult.objects.filter(pk=rows[4].pk).update(
        status=TaskResultStatus.RUNNING, started_at=now - timedelta(days=40)
    )  # kept: not finished (the abandoned-task job fails it first)
    ended(rows[5].pk, TaskResultStatus.SUCCESSFUL, 20)  # gone, on the second run: one per run here
    # rows[6] is still waiting: kept

    assert prune_finished_tasks(per_run=2) == 2
    assert prune_finished_tasks(per_run=2) == 1
    assert prune_finished_tasks() == 0
    kept = set(DBTaskResult.objects.values_list("pk", flat=True))
    assert kept == {rows[1].pk, rows[2].pk, rows[4].pk, rows[6].pk}
