"""`capdesk classifier train|evaluate`: rebuild the shipped scope model and measure it.

``train`` fits the model on ``capdesk/policy/data/labelled.jsonl`` (fixed random
state: the same data gives the same model) and writes ``model/scope.joblib`` and its
sidecar ``model/scope.json``; commit both. ``evaluate`` scores the shipped model on
the held-out and real-world sets and prints Markdown, or rewrites the accuracy block
of BENCHMARKS.md's classifier section with ``--write``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Train the scope classifier from the labelled set, or evaluate it on the held-out set."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        train = actions.add_parser("train", help="Fit on labelled.jsonl and write the model and its sidecar.")
        train.add_argument(
            "--output", type=Path, default=None, help="Directory to write to (default: the shipped model's)."
        )
        evaluate = actions.add_parser(
            "evaluate", help="Score the shipped model on heldout.jsonl and realworld.jsonl."
        )
        evaluate.add_argument(
            "--write",
            type=Path,
            default=None,
            metavar="BENCHMARKS.md",
            help="Rewrite the accuracy block of this file.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "train":
            self._train(options["output"])
        else:
            self._evaluate(options["write"])

    def _train(self, output: Path | None) -> None:
        from capdesk.policy.classifier import model, reset
        from capdesk.policy.classifier.dataset import train_from_files
        from capdesk.policy.data import LABELLED

        trained, examples = train_from_files()
        meta = model.save(
            trained, trained_on=LABELLED, examples=examples, model_dir=output or model.MODEL_DIR
        )
        reset()
        self.stdout.write(
            f"trained on {examples} requests; temperature {meta['temperature']}; "
            f"wrote {(output or model.MODEL_DIR) / model.MODEL_FILE.name}"
        )

    def _evaluate(self, write: Path | None) -> None:
        from capdesk.policy.classifier import labels
        from capdesk.policy.classifier.dataset import read_examples
        from capdesk.policy.classifier.evaluate import markdown, score
        from capdesk.policy.classifier.model import ModelError, read_meta
        from capdesk.policy.classifier.report import write_block
        from capdesk.policy.data import HELDOUT, REALWORLD
        from capdesk.policy.loader import get_policy

        try:
            table = labels()
        except ModelError as exc:
            raise CommandError(str(exc)) from None
        heldout = score(table, read_examples(HELDOUT))
        realworld = score(table, read_examples(REALWORLD))
        text = markdown(table, heldout, realworld, read_meta(), get_policy().confidence_threshold)
        if write is None:
            self.stdout.write(text)
            return
        write_block(write, "accuracy", text)
        self.stdout.write(f"wrote the accuracy block of {write}")
