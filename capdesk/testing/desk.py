"""``capdesk run`` as a child process on loopback, for the load and fault benches and their CI variants.

The benches (bench/load_bench.py, bench/faults_bench.py) and the short CI tests
(capdesk/core/tests/test_load_short.py, test_faults_short.py, test_db_faults.py) start
the same desk the same way: a fresh data dir (SQLite) or a given ``DATABASE_URL``,
free ports on 127.0.0.1, outgoing mail as ``.eml`` files or discarded. The exactly-once
check reads the desk's rows with the ORM; run with this module's ``check`` entry point
it does so in a child process that has the desk's environment.
"""

# ruff: noqa: S603  (our own interpreter and arguments)

from __future__ import annotations

import atexit
import contextlib
import http.client
import json
import os
import random
import shutil
import signal
import smtplib
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from capdesk.core import queues

SUPPORT = "support@liveupdate.example"
CAPDESK = [sys.executable, "-m", "capdesk.cli"]
ROLES = ("worker", "db_worker", "smtpd", "scheduler")
# A worker that runs every queue until no task is ready, then exits (tests and benches draining).
BATCH_WORKER = (
    "db_worker",
    "--queue-name",
    "*",
    "--batch",
    "--interval",
    "0",
    "--no-startup-delay",
    "--no-reload",
)


def log(message: str) -> None:
    print(f"# {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    """A random free port between 20000 and 30000 (the house range for throwaway servers)."""
    for _ in range(50):
        port = random.randint(20000, 30000)  # noqa: S311 (not a secret)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port between 20000 and 30000")


def healthy(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/healthz")
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except OSError:
        return False


def smtp_answers(port: int) -> bool:
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
            return smtp.noop()[0] == 250
    except (OSError, smtplib.SMTPException):
        return False


def database_url_of(settings_dict: dict[str, Any]) -> str:
    """A ``postgres://`` URL for a Django PostgreSQL settings dict (pytest's ``test_`` copy, say)."""
    user = quote(str(settings_dict["USER"]), safe="")
    password = quote(str(settings_dict["PASSWORD"]), safe="")
    host, port, name = settings_dict["HOST"], settings_dict["PORT"], settings_dict["NAME"]
    return f"postgres://{user}:{password}@{host}:{port}/{name}"


class Desk:
    """``capdesk run`` in its own process group; SQLite in ``data_dir`` unless a database URL is given."""

    def __init__(
        self,
        data_dir: Path,
        src: Path | None = None,
        *,
        database_url: str = "",
        run_args: Sequence[str] = (),
        web_port: int | None = None,
        smtp_port: int | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.src = src or Path(__file__).resolve().parent.parent.parent
        self.web_port = web_port or free_port()
        self.smtp_port = smtp_port or free_port()
        self.run_args = list(run_args)
        self.env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        if database_url:
            self.env["DATABASE_URL"] = database_url
        self.env.update(
            CAPDESK_DATA_DIR=str(data_dir),
            CAPDESK_SUPPORT_ADDRESS=SUPPORT,
            CAPDESK_SMTP_HOST="127.0.0.1",
            CAPDESK_SMTP_PORT=str(self.smtp_port),
            # capdesk run's status-serve child: a port of its own, not the default 8001,
            # which a second desk (or anything else on this machine) may hold.
            CAPDESK_STATUS_BIND=f"127.0.0.1:{free_port()}",
            EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
            CAPDESK_LOG_LEVEL="WARNING",
            DJANGO_SETTINGS_MODULE="capdesk.settings",
            PYTHONPATH=str(self.src),
        )
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def sqlite_path(self) -> Path | None:
        return None if "DATABASE_URL" in self.env else self.data_dir / "capdesk.sqlite3"

    def write_mail_to_files(self) -> Path:
        """Outgoing mail (magic links) as ``.eml`` files in the data dir, where a test can read it."""
        self.env["EMAIL_BACKEND"] = "capdesk.notify.backends.EmlDirectoryBackend"
        self.env["CAPDESK_MAIL_DIR"] = str(self.data_dir / "mail")
        return self.data_dir / "mail"

    def capdesk(self, *args: str, timeout: float = 600) -> str:
        done = subprocess.run(
            [*CAPDESK, *args], env=self.env, cwd=self.src, capture_output=True, text=True, timeout=timeout
        )
        if done.returncode:
            raise RuntimeError(f"capdesk {' '.join(args)} failed: {done.stderr[-2000:]}")
        return done.stdout

    def start(self, timeout: float = 90) -> None:
        self.starts += 1
        argv = [*CAPDESK, "run", "--host", "127.0.0.1", "--port", str(self.web_port), *self.run_args]
        with open(self.data_dir / f"run-{self.web_port}-{self.starts}.log", "wb") as logfile:
            self.process = subprocess.Popen(
                argv,
                env=self.env,
                cwd=self.src,
                stdout=logfile,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.wait_until_up(timeout)

    def wait_until_up(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        smtp = "--no-smtp" not in self.run_args
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"capdesk run exited with {self.process.returncode}; {self.logs()}")
            if healthy(self.web_port) and (not smtp or smtp_answers(self.smtp_port)):
                return
            time.sleep(0.2)
        raise RuntimeError(f"capdesk run did not come up in {timeout:.0f} s; {self.logs()}")

    def logs(self, tail: int = 3000) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-tail:]}"
            for p in sorted(self.data_dir.glob(f"run-{self.web_port}-*.log"))
        )

    def children(self) -> dict[str, int]:
        """The run's child processes by role (web, worker, smtpd, scheduler), read from /proc."""
        assert self.process is not None
        found: dict[str, int] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except (OSError, IndexError, ValueError):
                continue
            if ppid != self.process.pid:
                continue
            words = [a.decode(errors="replace") for a in argv]
            # The outbound queue's worker (capdesk run's "outbound" child) is not intake's worker.
            outbound = (
                "--queue-name" in words[:-1] and words[words.index("--queue-name") + 1] == queues.OUTBOUND
            )
            role = "outbound" if outbound else next((r for r in ROLES if r in words), None)
            if role is None and any("waitress" in w for w in words):
                role = "web"
            if role:
                found["worker" if role == "db_worker" else role] = int(entry.name)
        return found

    def kill_child(self, role: str) -> int | None:
        """SIGKILL one child by role; ``capdesk run`` restarts it. Returns its pid, or None if not running."""
        pid = self.children().get(role)
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
        return pid

    def pause_child(self, role: str) -> int | None:
        """SIGSTOP one child by role and wait until it is stopped; None if not running.

        SIGSTOP is delivered asynchronously: the child's state in /proc is read until it
        says stopped ("T"), so what it holds can be read while it cannot finish.
        """
        pid = self.children().get(role)
        if pid is None:
            return None
        try:
            os.kill(pid, signal.SIGSTOP)
            for _ in range(1000):  # at most about a second
                if (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] in "Tt":
                    return pid
                time.sleep(0.001)
        except (ProcessLookupError, FileNotFoundError):
            return None
        self.resume_child(pid)
        return None

    def resume_child(self, pid: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)

    def kill_pid(self, pid: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)

    def kill_group(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill_group()
        # A child that outlived its parent (it should not) is killed with the group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def drain(self) -> None:
        """Run every sweep once and the worker until no task is left (the desk is stopped first)."""
        self.capdesk("scheduler", "--once")
        self.capdesk(*BATCH_WORKER)

    def in_child(self, *args: str, timeout: float = 300) -> Any:
        """Run this module's entry point (``pending``, ``check FILE``) with the desk's environment."""
        done = subprocess.run(
            [sys.executable, "-m", "capdesk.testing.desk", *args],
            env=self.env,
            cwd=self.src,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode:
            raise RuntimeError(done.stderr[-3000:])
        return json.loads(done.stdout)

    def pending(self) -> tuple[int, float]:
        """(pending requests, seconds since the newest of them was received or last attempted)."""
        pending, age = self.in_child("pending")
        return int(pending), float(age)

    def check(self, accepted: Iterable[str]) -> dict[str, Any]:
        """``exactly_once`` on the desk's rows, for these accepted idempotency keys."""
        path = self.data_dir / f"accepted-{time.monotonic_ns()}.json"
        path.write_text(json.dumps(sorted(accepted)))
        report: dict[str, Any] = self.in_child("check", str(path))
        return report


_TEMPLATE: dict[str, Path] = {}


def desk_for_tests(data_dir: Path, **kwargs: Any) -> Desk:
    """A desk on the database the test runs against: PostgreSQL's test copy, or a migrated SQLite file.

    On PostgreSQL the test must use ``transactional_db`` (the desk's processes see only
    committed rows, and the flush afterwards empties what they wrote). On SQLite the
    test database lives in memory, out of the children's reach, so the desk gets a file
    of its own, copied from one migrated once per test session.
    """
    from django.db import connection

    if connection.vendor == "postgresql":
        return Desk(data_dir, database_url=database_url_of(connection.settings_dict), **kwargs)
    if "sqlite" not in _TEMPLATE:
        template = Path(tempfile.mkdtemp(prefix="capdesk-desk-template-"))
        atexit.register(shutil.rmtree, template, True)
        Desk(template).capdesk("migrate", "--no-input", "-v", "0")
        _TEMPLATE["sqlite"] = template / "capdesk.sqlite3"
    shutil.copy(_TEMPLATE["sqlite"], data_dir / "capdesk.sqlite3")
    return Desk(data_dir, **kwargs)


def query(desk: Desk, sql: str) -> list[tuple[Any, ...]]:
    """Rows of one read-only query on the desk's database, from this process, without Django."""
    if desk.sqlite_path is not None:
        with contextlib.closing(sqlite3.connect(desk.sqlite_path, timeout=30)) as db:
            return list(db.execute(sql))
    import psycopg

    with psycopg.connect(desk.env["DATABASE_URL"], connect_timeout=10) as db:
        return list(db.execute(sql))


def _task_ids(desk: Desk, condition: str, queue: str) -> set[str]:
    if queue not in queues.ALL:
        raise ValueError(f"no task queue named {queue!r}")
    sql = f"SELECT id FROM django_tasks_database_dbtaskresult WHERE {condition} AND queue_name = '{queue}'"  # noqa: S608 (our own words)
    return {str(row[0]) for row in query(desk, sql)}


def running_task_ids(desk: Desk, queue: str = queues.DEFAULT) -> set[str]:
    """Ids of the task rows of ``queue`` a worker has claimed and not finished (by default
    intake's: the outbound queue has a worker of its own in `capdesk run`)."""
    return _task_ids(desk, "status = 'RUNNING'", queue)


def started_task_ids(desk: Desk, queue: str = queues.DEFAULT) -> set[str]:
    """Ids of the task rows of ``queue`` a worker has claimed, finished or not: a task of a
    few milliseconds is RUNNING too briefly for a poll to be sure to see it."""
    return _task_ids(desk, "started_at IS NOT NULL", queue)


def pending_count(desk: Desk) -> int:
    """Requests stored and not yet processed (or quarantined)."""
    return int(query(desk, "SELECT COUNT(*) FROM intake_inboundrequest WHERE state = 'pending'")[0][0])


def _key(key: str) -> str:
    return key.strip().strip("<>")


def pending_age() -> tuple[int, float]:
    """(pending requests, seconds since the newest of them was touched), from the ORM."""
    from django.db.models import Max
    from django.utils import timezone

    from capdesk.intake.models import InboundRequest

    pending = InboundRequest.objects.filter(state=InboundRequest.State.PENDING)
    newest = pending.aggregate(r=Max("received_at"), a=Max("last_attempt_at"))
    touched = max((t for t in (newest["r"], newest["a"]) if t is not None), default=None)
    return pending.count(), (timezone.now() - touched).total_seconds() if touched else 0.0


def exactly_once(accepted_keys: Iterable[str]) -> dict[str, Any]:
    """Every accepted request: stored once, processed, one customer message, at most one ticket opened.

    ``accepted_keys`` are idempotency keys as stored (a Message-ID, ``portal:<uuid>``);
    angle brackets are ignored. The numbers that must be zero are listed in ``problems``.
    """
    from django.db.models import Count, Min

    from capdesk.intake.models import InboundRequest
    from capdesk.tickets.models import Message

    accepted = {_key(k) for k in accepted_keys}
    rows = {
        _key(key): (pk, state, attempts)
        for key, pk, state, attempts in InboundRequest.objects.values_list(
            "idempotency_key", "pk", "state", "attempts"
        )
    }
    customer = Message.objects.filter(author_kind=Message.Author.CUSTOMER, source__isnull=False)
    twice = customer.values("source").annotate(n=Count("id")).filter(n__gt=1).count()
    firsts = customer.values("ticket").annotate(first=Min("id")).values_list("first", flat=True)
    openers = Counter(Message.objects.filter(id__in=list(firsts)).values_list("source", flat=True))
    report: dict[str, Any] = {
        "accepted": len(accepted),
        "stored": len(rows),
        "accepted_missing": sum(1 for key in accepted if key not in rows),
        "stored_without_an_answer": sum(1 for key in rows if key not in accepted),
        "states": dict(Counter(state for _, state, _ in rows.values())),
        "accepted_not_processed": sum(
            1 for key in accepted if key in rows and rows[key][1] != InboundRequest.State.PROCESSED
        ),
        "attempts": {str(k): v for k, v in sorted(Counter(a for _, _, a in rows.values()).items())},
        "requests_with_two_messages": twice,
        "requests_opening_two_tickets": sum(1 for c in openers.values() if c > 1),
    }
    report["problems"] = [
        k
        for k in (
            "accepted_missing",
            "accepted_not_processed",
            "requests_with_two_messages",
            "requests_opening_two_tickets",
        )
        if report[k]
    ]
    return report


def main(argv: list[str]) -> None:
    import django

    django.setup()
    if argv[:1] == ["pending"]:
        print(json.dumps(pending_age()))
    elif argv[:1] == ["check"]:
        print(json.dumps(exactly_once(json.loads(Path(argv[1]).read_text()))))
    else:
        raise SystemExit("usage: python -m capdesk.testing.desk pending | check ACCEPTED.json")


if __name__ == "__main__":
    main(sys.argv[1:])
