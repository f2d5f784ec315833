"""`capdesk status_publish [--dir DIR]`: write the status page's public documents as files now.

The worker does this on every change and the scheduler every minute; the command is for a
first publish, a cron job that syncs the folder to a CDN, or a folder of one's own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from capdesk.status import publish


class Command(BaseCommand):
    help = "Publish the status page, its JSON, feeds and calendar as static files (default CAPDESK_STATUS_PUBLISH_DIR)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dir", default="", help="Folder to write to instead of CAPDESK_STATUS_PUBLISH_DIR."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        folder = Path(options["dir"]).resolve() if options["dir"] else publish.publish_dir()
        version = publish.publish(folder)
        self.stdout.write(f"published version {version} to {folder}")
