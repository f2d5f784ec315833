"""The scope classifier: what a request is about (a scope id of the policy) and how sure we are.

``classify(subject, body)`` is the API the policy engine calls; ``capdesk classify``
serves the same model over JSON Lines. The model (``model/scope.joblib``) is loaded
on first use and kept for the life of the process, so importing this package costs
nothing and scikit-learn is only imported by a process that classifies.

Each scope's group and clauses come from the policy file's ``[scopes]`` table, so
the classifier and ``decide()`` cannot disagree about them.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from capdesk.policy.classifier.text import prepare
from capdesk.policy.types import Classification

if TYPE_CHECKING:
    from capdesk.policy.classifier.model import ScopeModel

__all__ = ["Labels", "classify", "classify_many", "labels", "reset"]


# A linear model is confident about anything, including text with nothing to go on
# ("Hello, I have a question."): softmax over a few weak features still peaks. Evidence
# is the number of distinct words the model leans on (its heaviest fifth by weight);
# with fewer than MIN_EVIDENCE of them the confidence is capped below any sensible
# triage threshold, so such a request goes to a person (nobody is declined on a guess).
# Every held-out and real-world request has at least two (BENCHMARKS.md).
EVIDENCE_PERCENTILE = 80
MIN_EVIDENCE = 2
CAP_WITHOUT_EVIDENCE = (0.25, 0.5)  # the cap with 0 and with 1 evidence word


@dataclass(frozen=True)
class Labels:
    """The loaded model and, per class index, its scope id, group and clauses from the policy."""

    model: ScopeModel
    scopes: tuple[str, ...]
    groups: tuple[str, ...]
    clauses: tuple[tuple[str, ...], ...]
    evidence_words: frozenset[str]

    def predict(self, texts: list[str]) -> list[tuple[int, float]]:
        """Per prepared text: the index of the most likely scope and its calibrated probability."""
        if not texts:
            return []
        probabilities = self.model.probabilities(texts)
        best = probabilities.argmax(axis=1)
        analyze = self.model.word_analyzer()
        out = []
        for row, i in enumerate(best):
            confidence = float(probabilities[row, i])
            evidence = len(self.evidence_words.intersection(analyze(texts[row])))
            if evidence < MIN_EVIDENCE:
                confidence = min(confidence, CAP_WITHOUT_EVIDENCE[evidence])
            out.append((int(i), confidence))
        return out


@functools.cache
def labels() -> Labels:
    """Load the model once per process and check every scope it predicts is in the policy."""
    from capdesk.policy.classifier.model import ModelError, load
    from capdesk.policy.loader import get_policy

    model = load()
    policy = get_policy()
    unknown = [s for s in model.classes if s not in policy.scopes]
    if unknown:
        raise ModelError(
            f"the scope model predicts {', '.join(unknown)}, which the policy file {policy.source} does not define"
        )
    scopes = tuple(model.classes)
    return Labels(
        model=model,
        scopes=scopes,
        groups=tuple(policy.scopes[s].group.value for s in scopes),
        clauses=tuple(policy.scopes[s].clauses for s in scopes),
        evidence_words=model.heavy_words(EVIDENCE_PERCENTILE),
    )


def classify_many(requests: Iterable[tuple[str, str]]) -> list[Classification]:
    """Classify (subject, body) pairs in one batch: much faster than one call each."""
    table = labels()
    predictions = table.predict([prepare(subject, body) for subject, body in requests])
    return [Classification(table.scopes[i], confidence, table.groups[i]) for i, confidence in predictions]


def classify(subject: str, body: str) -> Classification:
    """The scope of one request, its calibrated confidence (0..1) and the scope's group."""
    return classify_many([(subject, body)])[0]


def reset() -> None:
    """Forget the loaded model (after retraining, or when a test switches policy)."""
    labels.cache_clear()
