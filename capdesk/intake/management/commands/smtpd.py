"""`capdesk smtpd`: receive mail for the support address until SIGTERM or SIGINT."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from capdesk.intake.smtpd import SmtpReceiver


class Command(BaseCommand):
    help = "Receive mail for the support address over SMTP; stop cleanly on SIGTERM or SIGINT."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=None, help="Address to listen on (CAPDESK_SMTP_HOST).")
        parser.add_argument(
            "--port",
            type=int,
            default=None,
            help="Port to listen on, 0 for any free one (CAPDESK_SMTP_PORT).",
        )

    def handle(self, *args: Any, host: str | None, port: int | None, **options: Any) -> None:
        stopping = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stopping.set()

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        receiver = SmtpReceiver(host, port)
        try:
            try:
                bound_host, bound_port = receiver.start()
            except OSError as exc:
                receiver.stop(grace=0)
                raise CommandError(
                    f"cannot listen on {receiver.address[0]}:{receiver.address[1]}: {exc}"
                ) from None
            self.stdout.write(
                f"capdesk smtpd: receiving mail for {settings.CAPDESK_SUPPORT_ADDRESS} "
                f"on {bound_host}:{bound_port}"
            )
            self.stdout.flush()
            stopping.wait()
            receiver.stop()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write("capdesk smtpd: stopped")
