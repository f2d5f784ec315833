"""`capdesk classify`: JSON Lines on stdin, one answer line per input line on stdout, in order.

Input, one per line: ``{"subject": "...", "body": "..."}``. Output, one per line:
``{"scope": <scope id>, "group": <group>, "confidence": <0..1>, "clauses": [...]}``.
A line that is not such an object (not JSON, not an object, a field missing or not a
string, a blank line) gets ``{"error": "line N: ..."}`` in its place, so line N of
the output always answers line N of the input; the other lines are still answered,
and the command then exits with status 1 (0 when every line was answered).
"""

from __future__ import annotations

import sys
from typing import Any, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser

from capdesk.policy.classifier.model import ModelError
from capdesk.policy.classifier.stream import DEFAULT_BATCH, ChunkReader, classify_stream


class Command(BaseCommand):
    help = "Classify requests read as JSON Lines on stdin; one JSON line out per line in (see DESIGN.md)."
    # A filter in a pipeline: no database, no system checks at start-up.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH,
            help=f"Most lines classified in one model call (default {DEFAULT_BATCH}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        try:
            # stdin.buffer is a BufferedReader: read1 returns what has arrived without waiting for more.
            stdin = cast(ChunkReader, sys.stdin.buffer)
            errors = classify_stream(stdin, sys.stdout.buffer, max_batch=options["batch_size"])
        except ModelError as exc:
            raise CommandError(str(exc)) from None
        if errors:
            raise CommandError(
                f"{errors} input line(s) were not requests; each was answered with an error line"
            )
