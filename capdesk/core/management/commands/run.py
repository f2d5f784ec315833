"""`capdesk run`: the embedded desk as one process group (web, workers, SMTP receiver, scheduler).

Each part runs as a child process so a crash in one is contained and restarted;
SIGTERM or Ctrl-C stops all of them together.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import get_commands
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from capdesk.core import queues

logger = logging.getLogger(__name__)

MAX_RESTARTS_PER_MINUTE = 5


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    restarts: list[float] = field(default_factory=list)

    def start(self) -> None:
        self.process = subprocess.Popen(self.argv)  # noqa: S603 (our own interpreter and arguments)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


def _capdesk(*args: str) -> list[str]:
    return [sys.executable, "-m", "capdesk.cli", *args]


def worker_children(workers: int, outbound_workers: int, *, tag: str) -> list[Child]:
    """Intake's workers, then the outbound queue's; ``tag`` starts their worker ids.

    Intake's workers run every queue but the outbound one, which has workers of its own:
    a slow mail relay or webhook receiver never holds up intake (core/queues.py). Several
    outbound workers send at once, each its own emails (each email is claimed).
    """
    interval = ("--interval", "0.5")
    children = [
        Child(
            f"worker-{i}",
            _capdesk(
                "worker",
                *("--queue-name", "*", "--exclude-queues", queues.OUTBOUND),
                *interval,
                *("--worker-id", f"{tag}-{i}"),
            ),
        )
        for i in range(workers)
    ]
    children += [
        Child(
            queues.OUTBOUND if i == 0 else f"{queues.OUTBOUND}-{i}",
            _capdesk(
                "worker",
                *("--queue-name", queues.OUTBOUND),
                *interval,
                *("--worker-id", f"{tag}-{queues.OUTBOUND}" + (f"-{i}" if i else "")),
            ),
        )
        for i in range(outbound_workers)
    ]
    return children


class Command(BaseCommand):
    help = "Run the embedded desk: web server, task worker, SMTP receiver and scheduler, stopped together."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8, help="Web server threads.")
        parser.add_argument("--workers", type=int, default=1, help="Intake's task worker processes.")
        parser.add_argument(
            "--outbound-workers",
            type=int,
            default=1,
            help="Worker processes for the outbound queue (mail and webhooks out): more for a slow relay.",
        )
        parser.add_argument("--no-smtp", action="store_true", help="Do not start the SMTP receiver.")
        parser.add_argument(
            "--no-status-serve",
            action="store_true",
            help="Do not start the status page server (status-serve).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["workers"] < 1 or options["outbound_workers"] < 1:
            raise CommandError("--workers and --outbound-workers need at least one worker each.")
        self._check_migrations()
        if "CAPDESK_BASE_URL" not in os.environ:
            # The links in the mail the children send (magic links, confirmations) point at the
            # port this desk serves, unless a public address was configured.
            os.environ["CAPDESK_BASE_URL"] = f"http://{options['host']}:{options['port']}"
        children = [
            Child(
                "web",
                [
                    sys.executable,
                    "-m",
                    "waitress",
                    f"--listen={options['host']}:{options['port']}",
                    f"--threads={options['threads']}",
                    "--ident=capdesk",
                    "--call",
                    "capdesk.wsgi:served",
                ],
            ),
            Child("scheduler", _capdesk("scheduler")),
        ]
        children += worker_children(
            options["workers"], options["outbound_workers"], tag=f"embedded-{os.getpid()}"
        )
        if not options["no_status_serve"]:
            self._publish_status()
            children.append(Child("status", _capdesk("status-serve")))
        if not options["no_smtp"] and "smtpd" in get_commands() and settings.CAPDESK_SMTP_PORT:
            children.append(Child("smtpd", _capdesk("smtpd")))
        stopping = False

        def on_signal(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        for child in children:
            child.start()
        self._banner(options, children)
        try:
            while not stopping:
                time.sleep(0.5)
                for child in children:
                    if stopping or child.alive():
                        continue
                    self._restart_or_fail(child)
        finally:
            self._stop(children)

    def _check_migrations(self) -> None:
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError("The database has unapplied migrations: run `capdesk migrate` first.")
        connection.close()  # children open their own connections

    def _publish_status(self) -> None:
        """The status page's files before status-serve starts; the worker keeps them current."""
        from capdesk.status import publish

        try:
            publish.publish()
        except Exception:  # the desk still starts; the scheduler retries within a minute
            logger.exception("capdesk: publishing the status page failed")
        connection.close()  # children open their own connections

    def _restart_or_fail(self, child: Child) -> None:
        now = time.monotonic()
        child.restarts = [t for t in child.restarts if now - t < 60]
        code = child.process.returncode if child.process else None
        if len(child.restarts) >= MAX_RESTARTS_PER_MINUTE:
            raise CommandError(f"{child.name} keeps exiting (last status {code}); stopping the desk.")
        self.stderr.write(f"capdesk: {child.name} exited with status {code}; restarting it")
        child.restarts.append(now)
        child.start()

    def _stop(self, children: list[Child]) -> None:
        for child in children:
            if child.alive():
                assert child.process is not None
                child.process.terminate()
        deadline = time.monotonic() + 10
        for child in children:
            if child.process is None:
                continue
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()
        self.stdout.write("capdesk: stopped")

    def _banner(self, options: dict[str, Any], children: list[Child]) -> None:
        base = f"http://{options['host']}:{options['port']}"
        lines = [
            f"Capdesk is running: {', '.join(c.name for c in children)}",
            f"  portal   {base}/portal/",
            f"  console  {base}/console/",
            f"  database {settings.DATABASES['default']['NAME']}",
        ]
        if any(c.name == "status" for c in children):
            lines.append(f"  status   http://{settings.CAPDESK_STATUS_BIND}/status/ (status-serve)")
        if any(c.name == "smtpd" for c in children):
            lines.append(
                f"  smtp     {settings.CAPDESK_SMTP_HOST}:{settings.CAPDESK_SMTP_PORT} "
                f"(mail for {settings.CAPDESK_SUPPORT_ADDRESS})"
            )
        if settings.EMAIL_BACKEND.endswith("EmlDirectoryBackend"):
            lines.append(f"  outgoing mail is written to {settings.EMAIL_FILE_PATH}")
        lines.append("Press Ctrl-C to stop.")
        self.stdout.write("\n".join(lines))
        self.stdout.flush()
