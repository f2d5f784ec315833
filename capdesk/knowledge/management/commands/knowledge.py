"""`capdesk knowledge import DIR`: load articles and known issues from Markdown files, showing progress."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from capdesk.knowledge.actions import import_folder


class Command(BaseCommand):
    help = "Manage the knowledge base (import Markdown files with front matter: title, product_area, tags)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="Import every *.md file under DIR (again: updates by slug)")
        imp.add_argument("folder", metavar="DIR", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        folder: Path = options["folder"]
        if not folder.is_dir():
            raise CommandError(f"{folder} is not a folder")

        def progress(index: int, total: int, path: Path, outcome: str) -> None:
            line = f"[{index}/{total}] {path.relative_to(folder)}: {outcome}"
            self.stdout.write(self.style.ERROR(line) if outcome.startswith("failed") else line)

        report = import_folder(folder, progress)
        self.stdout.write(f"{report.created} created, {report.updated} updated, {len(report.failed)} failed")
        if report.failed:
            raise CommandError(f"{len(report.failed)} file(s) could not be imported (see above)")
