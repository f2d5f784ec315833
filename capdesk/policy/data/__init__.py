"""The scope classifier's labelled data: the generator, the hand-written sets, the held-out set.

Files (one JSON object a line, ``{"subject", "body", "scope", "lang"}``):

- ``labelled.jsonl``: the training set, written by ``generate.py`` (templates + slots,
  fixed seed) followed by every line of ``handwritten.jsonl``.
- ``handwritten.jsonl``: requests written by hand, not produced by the generator.
- ``heldout.jsonl``: hand-written, not from the training templates; only for evaluation.
- ``realworld.jsonl``: phrased like public issue trackers of mobile-app tooling.
"""

from __future__ import annotations

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent
LABELLED = DATA_DIR / "labelled.jsonl"
HANDWRITTEN = DATA_DIR / "handwritten.jsonl"
HELDOUT = DATA_DIR / "heldout.jsonl"
REALWORLD = DATA_DIR / "realworld.jsonl"
