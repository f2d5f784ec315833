"""The scope model: a linear text model, how it is trained, saved and loaded.

Features are TF-IDF word 1-2 grams plus character 3-5 grams inside word boundaries
(they survive typos and Indonesian affixes: "di-download", "update-nya"); a
multinomial logistic regression reads them. Hyper-parameters were chosen by
cross-validation on the hand-written training requests, never on the held-out set.

A logistic regression over 17 classes is under-confident: it is right ~94 % of the
time with a median top probability near 0.4. The desk routes by a confidence
threshold (below it a person triages), so the scores are calibrated with one
temperature, fitted on out-of-fold predictions of the hand-written training
requests (the generated ones are too easy to calibrate on).

The model file is a pickle (joblib) and pickles only load under the scikit-learn
that wrote them, so a JSON sidecar records the version and loading refuses a
mismatch with a clear message instead of predicting garbage.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from numpy.typing import NDArray
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline, make_union

MODEL_DIR = Path(__file__).resolve().parent / "model"
MODEL_FILE = MODEL_DIR / "scope.joblib"
META_FILE = MODEL_DIR / "scope.json"
RANDOM_STATE = 0
CALIBRATION_FOLDS = 3
_TEMPERATURES = np.exp(np.linspace(np.log(0.02), np.log(2.0), 400))


class ModelError(RuntimeError):
    """The shipped scope model cannot be used as it is (missing, or from another scikit-learn)."""


@dataclass(frozen=True)
class ScopeModel:
    """A fitted pipeline and the temperature that turns its scores into calibrated confidences."""

    pipeline: Pipeline
    temperature: float

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self.pipeline.classes_]

    def _words(self) -> TfidfVectorizer:
        union = self.pipeline.steps[0][1]
        vectorizer: TfidfVectorizer = union.transformer_list[0][1]
        return vectorizer

    def word_analyzer(self) -> Callable[[str], list[str]]:
        """The word vectorizer's tokenizer: the words of a prepared text as the model sees them."""
        analyzer: Callable[[str], list[str]] = self._words().build_analyzer()
        return analyzer

    def heavy_words(self, percentile: float) -> frozenset[str]:
        """Single words whose largest weight over the scopes is in the top (100 - percentile) %."""
        vocabulary = self._words().vocabulary_
        coef = self.pipeline.steps[-1][1].coef_
        single = {word: index for word, index in vocabulary.items() if " " not in word}
        weight = np.abs(coef[:, list(single.values())]).max(axis=0)
        cut = np.percentile(weight, percentile)
        return frozenset(word for word, w in zip(single, weight, strict=True) if w >= cut)

    def probabilities(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """One row per text: the calibrated probability of every scope, in ``classes`` order."""
        return softmax(np.asarray(self.pipeline.decision_function(texts)) / self.temperature)


def softmax(scores: NDArray[np.float64]) -> NDArray[np.float64]:
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    result: NDArray[np.float64] = shifted / shifted.sum(axis=1, keepdims=True)
    return result


def build_pipeline() -> Pipeline:
    words = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=15000)
    chars = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(3, 5), min_df=2, sublinear_tf=True, max_features=20000
    )
    # lbfgs is deterministic; random_state is fixed anyway so a solver change cannot add noise.
    classifier = LogisticRegression(C=10.0, max_iter=3000, random_state=RANDOM_STATE)
    return make_pipeline(make_union(words, chars), classifier)


def fit_temperature(scores: NDArray[np.float64], truth: NDArray[np.int64]) -> float:
    """The temperature that minimises the negative log-likelihood of the true classes (grid search)."""
    best, best_loss = 1.0, float("inf")
    for t in _TEMPERATURES:
        probs = softmax(scores / t)
        loss = float(-np.log(probs[np.arange(len(truth)), truth] + 1e-12).mean())
        if loss < best_loss:
            best, best_loss = float(t), loss
    return round(best, 6)


def train(texts: Sequence[str], scopes: Sequence[str], calibrate: Sequence[bool]) -> ScopeModel:
    """Fit on every text; calibrate on out-of-fold scores of the texts marked in ``calibrate``."""
    y = np.asarray(scopes)
    marked = np.flatnonzero(np.asarray(calibrate))
    always = np.flatnonzero(~np.asarray(calibrate))
    classes = sorted(set(scopes))
    folds = StratifiedKFold(n_splits=CALIBRATION_FOLDS, shuffle=True, random_state=RANDOM_STATE)
    oof_scores: list[NDArray[np.float64]] = []
    oof_truth: list[int] = []
    for fit_part, score_part in folds.split(marked, y[marked]):
        fit_idx = np.concatenate([always, marked[fit_part]])
        pipeline = build_pipeline().fit([texts[i] for i in fit_idx], y[fit_idx])
        if list(pipeline.classes_) != classes:
            raise ValueError("every scope needs generated examples, so each fold sees every class")
        oof_scores.append(np.asarray(pipeline.decision_function([texts[i] for i in marked[score_part]])))
        oof_truth.extend(classes.index(s) for s in y[marked[score_part]])
    temperature = fit_temperature(np.vstack(oof_scores), np.asarray(oof_truth))
    return ScopeModel(build_pipeline().fit(list(texts), y), temperature)


def data_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save(
    model: ScopeModel, *, trained_on: Path, examples: int, model_dir: Path = MODEL_DIR
) -> dict[str, Any]:
    model_dir.mkdir(parents=True, exist_ok=True)
    joblib.dump(model.pipeline, model_dir / MODEL_FILE.name, compress=3)
    meta: dict[str, Any] = {
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "temperature": model.temperature,
        "classes": model.classes,
        "training_data": trained_on.name,
        "training_data_sha256": data_digest(trained_on),
        "examples": examples,
        "random_state": RANDOM_STATE,
        "command": "capdesk classifier train",
    }
    (model_dir / META_FILE.name).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta


def read_meta(model_dir: Path = MODEL_DIR) -> dict[str, Any]:
    path = model_dir / META_FILE.name
    try:
        meta: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"no scope model at {model_dir}: run `capdesk classifier train`") from None
    return meta


def load(model_dir: Path = MODEL_DIR) -> ScopeModel:
    """The saved model, after checking it was written by the scikit-learn installed now."""
    meta = read_meta(model_dir)
    if meta.get("sklearn_version") != sklearn.__version__:
        raise ModelError(
            f"the scope model in {model_dir} was trained with scikit-learn {meta.get('sklearn_version')}, "
            f"but {sklearn.__version__} is installed; install the locked version (make install) "
            "or retrain with `capdesk classifier train` and commit the new model"
        )
    # The file is ours, shipped in the repository next to this module: not untrusted input.
    pipeline = joblib.load(model_dir / MODEL_FILE.name)
    return ScopeModel(pipeline, float(meta["temperature"]))
