"""`capdesk worker`: django-tasks-db's ``db_worker``, kept alive through a busy or restarting database.

``db_worker`` exits on the first database error outside a task: SQLite's "database is
locked" past the busy timeout while it claims a task or records a result, or a
PostgreSQL restart. `capdesk run` restarts an exited child, but only five times a
minute before it stops the whole desk, and each restart costs a Django start-up; a
lock held for a minute, or a database that is away for one, would stop the desk. This
worker waits, with a growing pause, and carries on. Nothing is lost meanwhile: a claim
that failed rolled back and the task is still ready; a task whose result could not be
written stays RUNNING while its request stays pending, and the stalled-request sweep
(capdesk/core/jobs.py) runs it again.
"""

from __future__ import annotations

import contextlib
import logging
import time
from argparse import ArgumentParser
from typing import Any

from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
from django_tasks_db.management.commands.db_worker import Worker

from capdesk.core import queues

logger = logging.getLogger(__name__)

PAUSES = (0.5, 1.0, 2.0, 4.0, 8.0)  # seconds, after each database error in a row
QUIET_AFTER = 60.0  # seconds without an error: the next one starts the pauses again


class ResilientWorker(Worker):
    def run(self) -> None:
        errors, last_error = 0, 0.0
        while self.running:
            try:
                super().run()
                return
            except (OperationalError, InterfaceError) as exc:
                if not self.running:
                    raise
                now = time.monotonic()
                errors = 1 if now - last_error > QUIET_AFTER else errors + 1
                last_error = now
                pause = PAUSES[min(errors, len(PAUSES)) - 1]
                logger.warning(
                    "worker.database_error",
                    extra={"worker_id": self.worker_id, "error": str(exc)[:200], "pause": pause},
                )
                # A broken connection is opened again on its next use.
                with contextlib.suppress(DatabaseError):
                    connections.close_all()
                time.sleep(pause)


class Command(DbWorkerCommand):
    help = "Run the task worker; a locked or restarting database pauses it instead of stopping it."

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        # Every queue unless told otherwise (db_worker's own default is "default" alone): a
        # deployment that starts plain workers must not leave the outbound queue unserved.
        parser.set_defaults(queue_name="*")

    def handle(self, *args: Any, **options: Any) -> None:
        self.configure_logging(options["verbosity"])
        queue_names = options["queue_name"].split(",")
        excluded = options["exclude_queues"].split(",") if options["exclude_queues"] else []
        worker = ResilientWorker(
            queue_names=queue_names,
            interval=options["interval"],
            batch=options["batch"],
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
            excluded_queue_names=excluded,
        )
        # No autoreload (db_worker's --reload): a desk's worker runs the code it started with.
        worker.configure_signals()
        if ("*" in queue_names or queues.DEFAULT in queue_names) and queues.DEFAULT not in excluded:
            _load_what_tasks_use()  # an outbound-only worker never decides a request
        worker.run()


def _load_what_tasks_use() -> None:
    """Load the policy and the scope classifier now, not when the first email is waiting.

    Loading the classifier takes about two seconds (scikit-learn and the model); a worker
    that loaded it lazily made the first request after every start wait for it.
    """
    from capdesk.policy.classifier import labels
    from capdesk.policy.loader import get_policy

    started = time.monotonic()
    try:
        get_policy()
        labels()
    except Exception:
        # Only intake needs them, and quarantines what it cannot decide: the worker's other
        # tasks (mail out, webhooks, SLA jobs) must run whatever is wrong with the model.
        logger.exception("worker.load_failed")
        return
    logger.info("worker.loaded", extra={"seconds": round(time.monotonic() - started, 2)})
