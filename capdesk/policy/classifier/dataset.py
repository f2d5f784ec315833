"""Read the labelled JSON Lines files and train the shipped model from them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from capdesk.policy.classifier.model import ScopeModel, train
from capdesk.policy.classifier.text import prepare
from capdesk.policy.data import HANDWRITTEN, LABELLED


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled request: what the customer wrote, its scope id and its language."""

    subject: str
    body: str
    scope: str
    lang: str

    @property
    def text(self) -> str:
        return prepare(self.subject, self.body)


def read_examples(path: Path) -> list[Example]:
    examples = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                examples.append(Example(row["subject"], row["body"], row["scope"], row["lang"]))
    return examples


def train_from_files(labelled: Path = LABELLED, handwritten: Path = HANDWRITTEN) -> tuple[ScopeModel, int]:
    """Train on ``labelled``; calibrate on the requests in it that also appear in ``handwritten``."""
    examples = read_examples(labelled)
    written = {(e.subject, e.body) for e in read_examples(handwritten)}
    model = train(
        [e.text for e in examples],
        [e.scope for e in examples],
        [(e.subject, e.body) in written for e in examples],
    )
    return model, len(examples)
