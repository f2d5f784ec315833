"""`capdesk scheduler`: run the registered periodic jobs until SIGTERM."""

from __future__ import annotations

import logging
import signal
import threading
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from capdesk.core.schedule import jobs

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run the periodic jobs (stalled-request retries, outbox retries, SLA sweeps) until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Run every job once and exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        next_run = {job.name: 0.0 for job in jobs()}
        while not stop.is_set():
            now = time.monotonic()
            for job in jobs():
                if now < next_run[job.name]:
                    continue
                close_old_connections()
                try:
                    handled = job.run()
                    if handled:
                        logger.info("scheduler.job", extra={"job": job.name, "handled": handled})
                except Exception:
                    logger.exception("scheduler.job_failed", extra={"job": job.name})
                next_run[job.name] = now + job.every_seconds
            if options["once"]:
                return
            stop.wait(1.0)
