"""The safety-net sweeps: whatever a lost task left behind is picked up here."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, connections
from django.db.backends.utils import CursorWrapper
from django.db.models import Q
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from capdesk.core.schedule import every
from capdesk.intake.actions import retry_stalled
from capdesk.intake.confirmation import discard_expired_held_replies
from capdesk.intake.waiting import email_waiting
from capdesk.notify.actions import hand_over_due


@every(30, name="intake.retry_stalled")
def _retry_stalled() -> int:
    return retry_stalled(older_than=timedelta(seconds=settings.CAPDESK_STALLED_AFTER_SECONDS))


@every(3600, name="intake.discard_expired_held_replies")
def _discard_expired_held_replies() -> int:
    return discard_expired_held_replies()


@every(120, name="intake.email_waiting")
def _email_waiting() -> int:
    return email_waiting()


@every(15, name="notify.deliver_due")
def _deliver_due() -> int:
    return hand_over_due()


# A task whose worker was killed mid-run stays RUNNING for ever: django-tasks-db never
# takes a claimed task back. Its work is safe (the stalled-request and outbox sweeps
# above re-run what it left undone, and both are idempotent), but the row is a lie and
# they pile up with every crash. No task of ours runs for anything near this long: the
# longest, an email batch, starts nothing after 4 x EMAIL_TIMEOUT (notify.actions._budget),
# and its last send is about a dozen socket steps of at most EMAIL_TIMEOUT each: 8 minutes
# at the default of 30 s, 16 at the largest allowed (60 s).
ABANDONED_AFTER = timedelta(minutes=30)


@every(300, name="tasks.fail_abandoned")
def _fail_abandoned_tasks() -> int:
    cutoff = timezone.now() - ABANDONED_AFTER
    return DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, started_at__lt=cutoff).update(
        status=TaskResultStatus.FAILED,
        finished_at=timezone.now(),
        exception_class_path="capdesk.core.jobs.AbandonedTask",
        traceback=f"the worker stopped while running it (still RUNNING after {ABANDONED_AFTER})",
    )


# django-tasks-db keeps every task's row once it ends: a row per email received, per reply
# sent, per webhook. Kept for a while for whoever looks into a failure, then deleted, a
# bounded number per run in short transactions (the SMTP receiver waits for SQLite's write
# lock while one is open), in chunks by primary key (a random UUID: any order will do, and
# the key's index keeps each chunk's read short).
PRUNE_CHUNK = 500
PRUNE_PER_RUN = 20_000


@every(3600, name="tasks.prune_finished")
def _prune_finished_tasks() -> int:
    return prune_finished_tasks()


def prune_finished_tasks(per_run: int = PRUNE_PER_RUN) -> int:
    """Delete finished task results older than the settings' days; how many went."""
    now = timezone.now()
    old = DBTaskResult.objects.finished().filter(
        Q(
            status=TaskResultStatus.SUCCESSFUL,
            finished_at__lt=now - timedelta(days=settings.CAPDESK_TASK_RESULT_DAYS),
        )
        | Q(
            status=TaskResultStatus.FAILED,
            finished_at__lt=now - timedelta(days=settings.CAPDESK_FAILED_TASK_RESULT_DAYS),
        )
    )
    deleted = 0
    while deleted < per_run:
        chunk = list(old.order_by("pk").values_list("pk", flat=True)[: min(PRUNE_CHUNK, per_run - deleted)])
        if not chunk:
            break
        deleted += DBTaskResult.objects.filter(pk__in=chunk).delete()[0]
    return deleted


# SQLite plans from sqlite_stat1, which only ANALYZE writes and nothing else keeps up
# to date. Without it every index looks equally selective, so "open tickets by deadline"
# reads the 700,000 open tickets of a big desk through a (status, ...) index and sorts
# them, where the deadline index reads 200 entries (the 1M-ticket bench: 1.5 s against
# 12 ms). Sampled statistics (analysis_limit) are too coarse to tell those apart, so the
# ticket table is analyzed whole: 1.8 s at a million tickets, on the scheduler's clock.
# PostgreSQL's autovacuum analyzes by itself.
#
# Hourly, and sooner for a table whose size moved by more than a quarter since its
# statistics were taken (a desk importing its history, or a new one filling up: with no
# statistics at all, 20,000 tickets were read by status and sorted, 10 ms a page against
# under 1 ms). Knowing the size is a count over the smallest index; the recorded size is
# the first number of the table's sqlite_stat1 rows.
ANALYZED_TABLES = ("tickets_ticket",)
REANALYZE_AFTER = timedelta(hours=1)
SIZE_DRIFT = 1.25
_analyzed_at: dict[str, datetime] = {}


@every(300, name="db.refresh_planner_statistics")
def refresh_planner_statistics() -> int:
    """ANALYZE each table whose statistics are missing, an hour old, or off by a quarter of its size; how many."""
    if connection.vendor != "sqlite":
        return 0
    done = 0
    now = timezone.now()
    with connection.cursor() as cursor:
        for table in ANALYZED_TABLES:
            recorded = _recorded_rows(cursor, table)
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - our own table names
            rows = cursor.fetchone()[0]
            fresh = now - _analyzed_at.get(table, now - REANALYZE_AFTER) < REANALYZE_AFTER
            drifted = recorded is None or not recorded / SIZE_DRIFT <= rows <= recorded * SIZE_DRIFT
            if rows and (drifted or not fresh):
                cursor.execute(f"ANALYZE {table}")
                _analyzed_at[table] = now
                done += 1
    return done


def _has_statistics(cursor: CursorWrapper) -> bool:
    """Whether ANALYZE ever ran on this SQLite database (it creates sqlite_stat1)."""
    cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
    return cursor.fetchone() is not None


def _recorded_rows(cursor: CursorWrapper, table: str) -> int | None:
    """The row count ANALYZE last recorded for ``table``, or None if it was never analyzed."""
    if not _has_statistics(cursor):
        return None
    cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s LIMIT 1", [table])
    row = cursor.fetchone()
    return int(row[0].split()[0]) if row else None


def analyze_after_migrate(using: str = "default", plan: object = None, **kwargs: object) -> None:
    """A migration that added an index leaves SQLite without statistics for it, and the planner
    then guesses it selective: with a new (queue, deadline) index it read 700,000 open tickets
    by queue and sorted them (1.5 s a page at a million tickets) until the hourly refresh.
    So a migrate refreshes them at once, where statistics were kept before."""
    db = connections[using]
    if db.vendor != "sqlite" or not plan:
        return  # nothing was migrated: the statistics are as good as they were (2-3 s saved per start)
    with db.cursor() as cursor:
        if not _has_statistics(cursor):
            return  # a new or small database the scheduler has not analyzed yet: nothing stale
        for table in ANALYZED_TABLES:
            cursor.execute(f"ANALYZE {table}")
