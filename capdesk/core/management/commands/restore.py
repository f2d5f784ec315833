"""`capdesk restore FILE`: put a backup back (stop the desk first)."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from capdesk.core.backup import BackupError, restore


class Command(BaseCommand):
    help = "Restore the SQLite database and attachments from a `capdesk backup` archive."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = restore(Path(options["file"]))
        except (BackupError, OSError, KeyError, tarfile.TarError, json.JSONDecodeError) as exc:
            raise CommandError(f"cannot restore {options['file']}: {exc}") from None
        self.stdout.write(
            f"restored the backup of {manifest.created_at} ({sum(manifest.tables.values())} rows)"
        )
