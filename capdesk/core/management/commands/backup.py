"""`capdesk backup [FILE]`: a consistent copy of the embedded desk, taken while it runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from capdesk.core.backup import BackupError, backup


class Command(BaseCommand):
    help = "Back up the SQLite database and attachments into one .tar.gz (PostgreSQL: use pg_dump)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file", nargs="?", help="Archive to write (default: var/backups/capdesk-<time>.tar.gz)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        name = f"capdesk-{timezone.now():%Y%m%d-%H%M%S}.tar.gz"
        target = Path(options["file"]) if options["file"] else Path(settings.DATA_DIR) / "backups" / name
        try:
            manifest = backup(target)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"backup written to {target} ({sum(manifest.tables.values())} rows)")
