"""`capdesk status-serve [--bind HOST:PORT] [--dir DIR]`: serve the published status page from memory.

A child of `capdesk run`; on its own, put it (or nginx, or a CDN) behind the status host.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from capdesk.status import publish, server


class Command(BaseCommand):
    help = "Serve the published status page and its JSON, feeds and calendar from memory (GET and HEAD)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="", help="HOST:PORT (default CAPDESK_STATUS_BIND).")
        parser.add_argument(
            "--dir", default="", help="Published folder (default CAPDESK_STATUS_PUBLISH_DIR)."
        )
        parser.add_argument(
            "--processes",
            type=int,
            default=min(2, os.cpu_count() or 1),
            help="Serving processes sharing the port (default: one per core, at most 2).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        bind = options["bind"] or str(settings.CAPDESK_STATUS_BIND)
        folder = Path(options["dir"]).resolve() if options["dir"] else publish.publish_dir()
        try:
            server.parse_bind(bind)
        except ValueError as exc:
            raise CommandError(str(exc)) from None

        def ready(address: str) -> None:
            self.stdout.write(f"status-serve: http://{address}/status/ from {folder}")
            self.stdout.flush()

        try:
            server.serve_forever(bind, folder, processes=max(1, options["processes"]), ready=ready)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
