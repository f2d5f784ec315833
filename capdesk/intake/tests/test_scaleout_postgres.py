"""Two ``capdesk db_worker`` processes on one PostgreSQL backlog: every request processed once.

DESIGN.md's scaled deployment runs any number of workers; they claim tasks with
``SELECT ... FOR UPDATE SKIP LOCKED`` and ``intake.actions.process`` locks the request
row, so none is done twice. This is the bounded CI variant of issue 8's scale-out run
(``bench/scaleout_bench.py`` drains 10,000 and times one worker against two); it asserts
exactly-once only, not speed, on a machine whose load we do not control.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections import Counter
from collections.abc import Sequence
from contextlib import ExitStack
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count, Min
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from capdesk.intake.actions import receive
from capdesk.intake.models import InboundRequest
from capdesk.testing.desk import BATCH_WORKER, CAPDESK
from capdesk.tickets.models import Message, Ticket

BACKLOG = 200
WORKERS = 2
WORKER_TIMEOUT = 240  # seconds; two workers drain 200 requests in about 15 s on a quiet machine

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="scale-out needs PostgreSQL (SKIP LOCKED across processes); SQLite has one writer",
)


def support_email(i: int) -> bytes:
    message = EmailMessage()
    message["From"] = f"Customer {i} <customer{i}@example.net>"
    message["To"] = settings.CAPDESK_SUPPORT_ADDRESS
    message["Subject"] = f"Live update {i} does not download on Android"
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = make_msgid(f"scaleout{i}", domain="example.net")
    message.set_content(
        f"Bundle 1.0.{i} is uploaded to the production channel but devices keep the old one.\n"
    )
    return message.as_bytes()


def database_url_of_the_test_database() -> str:
    """The worker processes must open the database this test writes to (pytest's ``test_`` copy)."""
    db = connection.settings_dict
    user = quote(str(db["USER"]), safe="")
    password = quote(str(db["PASSWORD"]), safe="")
    return f"postgres://{user}:{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def start_workers(tmp_path: Path, logs: Sequence[BinaryIO]) -> list[subprocess.Popen[bytes]]:
    env = dict(
        os.environ,
        DATABASE_URL=database_url_of_the_test_database(),
        CAPDESK_DATA_DIR=str(tmp_path),
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        CAPDESK_LOG_LEVEL="WARNING",
    )
    return [
        subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            [*CAPDESK, *BATCH_WORKER, "--worker-id", f"scaleout-test-{i}"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )
        for i, log in enumerate(logs)
    ]


def run_to_the_end(workers: list[subprocess.Popen[bytes]]) -> None:
    try:
        for worker in workers:
            worker.wait(timeout=WORKER_TIMEOUT)
    finally:
        for worker in workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()


def test_it_processes_every_request_of_a_backlog_once_with_two_worker_processes(
    transactional_db: None, tmp_path: Path
) -> None:
    for i in range(BACKLOG):
        receive(channel="email", raw=support_email(i))
    with ExitStack() as files:
        logs = [files.enter_context(open(tmp_path / f"worker-{i}.log", "wb")) for i in range(WORKERS)]
        workers = start_workers(tmp_path, logs)
        run_to_the_end(workers)
    logs_text = {p.name: p.read_text()[-2000:] for p in tmp_path.glob("worker-*.log")}
    assert [w.returncode for w in workers] == [0] * WORKERS, logs_text

    requests = InboundRequest.objects.filter(channel="email")
    assert requests.count() == BACKLOG
    assert dict(Counter(requests.values_list("state", flat=True))) == {"processed": BACKLOG}
    assert set(requests.values_list("attempts", flat=True)) == {1}
    customer_messages = Message.objects.filter(author_kind=Message.Author.CUSTOMER)
    per_source = customer_messages.values("source").annotate(n=Count("id"))
    assert sorted(row["n"] for row in per_source) == [1] * BACKLOG
    assert set(customer_messages.values_list("source", flat=True)) == set(
        requests.values_list("pk", flat=True)
    )
    first_messages = (
        customer_messages.values("ticket").annotate(first=Min("id")).values_list("first", flat=True)
    )
    openers = Counter(Message.objects.filter(id__in=list(first_messages)).values_list("source", flat=True))
    assert Ticket.objects.count() == BACKLOG
    assert max(openers.values()) == 1
    # Each task returns the ids it processed (its own, and others of the backlog it took
    # along): every request is in exactly one task's list.
    did_the_work = Counter(
        request_id
        for result in DBTaskResult.objects.filter(task_path__endswith="process_inbound").values_list(
            "return_value", flat=True
        )
        for request_id in result or []
    )
    assert sorted(did_the_work.values()) == [1] * BACKLOG
    # Both processes took part: the claims were shared, not serialised onto one worker.
    claimed_by = Counter(
        worker_id
        for ids in DBTaskResult.objects.filter(task_path__endswith="process_inbound").values_list(
            "worker_ids", flat=True
        )
        for worker_id in ids
    )
    assert set(claimed_by) == {f"scaleout-test-{i}" for i in range(WORKERS)}, claimed_by
