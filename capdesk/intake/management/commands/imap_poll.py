"""`capdesk imap_poll`: store mail from an IMAP mailbox until SIGTERM or SIGINT."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from capdesk.intake.imap import ImapPoller, Mailbox


class Command(BaseCommand):
    help = "Read support mail from the IMAP mailbox in CAPDESK_IMAP_*; IDLE where offered; stop on SIGTERM."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval", type=float, default=60.0, help="Seconds between polls when the server has no IDLE."
        )
        parser.add_argument("--once", action="store_true", help="Poll once and exit (for cron).")

    def handle(self, *args: Any, interval: float, once: bool, **options: Any) -> None:
        mailbox = Mailbox.from_settings()
        if not mailbox.host or not mailbox.user:
            raise CommandError("set CAPDESK_IMAP_HOST and CAPDESK_IMAP_USER to poll a mailbox")
        poller = ImapPoller(mailbox)
        if once:
            try:
                count = poller.poll_once()
            finally:
                poller.close()
            self.stdout.write(f"capdesk imap_poll: stored {count} message(s)")
            return
        stopping = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stopping.set()

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            self.stdout.write(f"capdesk imap_poll: reading {mailbox.folder} on {mailbox.host}:{mailbox.port}")
            self.stdout.flush()
            poller.run(stopping, interval=interval)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write("capdesk imap_poll: stopped")
