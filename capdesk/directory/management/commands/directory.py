"""`capdesk directory pull|import`: fill the directory from Capgo's API, or from JSON/CSV files.

    capdesk directory pull [--json] [--dry-run] [--prune-organizations]
    capdesk directory import FILE [FILE ...] [--kind KIND] [--json] [--dry-run]

Both print what changed (created/updated/deleted/unchanged per kind), as text or
with ``--json`` as ``{"dry_run": ..., "changes": {...}, "warnings": [...]}``;
progress and problems go to stderr. The file formats are in ``sync/import_files.py``
and ``sync/importer.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from capdesk.directory import actions
from capdesk.directory.sync import importer
from capdesk.directory.sync.api_client import CapgoApiError, CapgoClient
from capdesk.directory.sync.import_files import FileError, Row, read_file
from capdesk.directory.sync.pull import fetch_snapshot
from capdesk.directory.sync.records import RecordError
from capdesk.directory.sync.summary import KINDS, Summary


class Command(BaseCommand):
    help = "Sync the directory from Capgo's API (pull) or import it from JSON/CSV files (import)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{pull,import}")
        pull = sub.add_parser("pull", help="read organizations, members and apps from Capgo's API")
        pull.add_argument(
            "--prune-organizations",
            action="store_true",
            help="also remove organizations the API key does not list (it may not see them all)",
        )
        load = sub.add_parser("import", help="import organizations, people, projects, bindings from files")
        load.add_argument("files", nargs="+", type=Path, metavar="FILE", help=".json, or .csv of one kind")
        load.add_argument("--kind", choices=KINDS, help="the kind of rows in the CSV files")
        for each in (pull, load):
            each.add_argument("--json", action="store_true", help="print the report as JSON")
            each.add_argument(
                "--dry-run", action="store_true", help="report what would change; change nothing"
            )

    def handle(self, *args: Any, **options: Any) -> None:
        summary = self._pull(options) if options["action"] == "pull" else self._import(options)
        self._report(summary, as_json=options["json"], dry_run=options["dry_run"])

    def _progress(self, message: str) -> None:
        self.stderr.write(message)

    def _pull(self, options: dict[str, Any]) -> Summary:
        try:
            client = CapgoClient(settings.CAPGO_API_URL, settings.CAPGO_API_KEY, progress=self._progress)
            self._progress(f"reading {settings.CAPGO_API_URL}")
            snapshot = fetch_snapshot(client, self._progress)
        except (CapgoApiError, RecordError) as exc:
            raise CommandError(f"pull failed, nothing changed: {exc}") from None
        self._progress(f"{client.requests} requests; applying")
        return actions.apply_snapshot(
            snapshot, prune_organizations=options["prune_organizations"], dry_run=options["dry_run"]
        )

    def _import(self, options: dict[str, Any]) -> Summary:
        rows: list[Row] = []
        files: list[Path] = options["files"]
        try:
            for path in files:
                rows.extend(read_file(path, kind=options["kind"], label=str(path)))
        except FileError as exc:
            raise CommandError(f"import refused, nothing changed: {exc}") from None
        self._progress(f"{len(rows)} rows read; checking")
        batch, errors = importer.check(rows)
        if errors:
            for error in errors:
                self.stderr.write(error)
            raise CommandError(f"import refused, nothing changed: {len(errors)} problem(s) above")
        try:
            return actions.import_batch(batch, dry_run=options["dry_run"])
        except DatabaseError as exc:  # a row changed between checking and writing
            raise CommandError(f"import failed, nothing changed: {exc}") from None

    def _report(self, summary: Summary, *, as_json: bool, dry_run: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps({"dry_run": dry_run, **summary.as_dict()}, indent=2))
            return
        if dry_run:
            self.stdout.write("dry run: nothing was changed")
        for line in summary.lines():
            self.stdout.write(line)
