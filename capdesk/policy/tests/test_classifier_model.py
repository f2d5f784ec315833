"""The shipped model: reproducible from the committed data, refused under another scikit-learn."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import sklearn

from capdesk.policy.classifier import classify, model
from capdesk.policy.classifier.dataset import read_examples, train_from_files
from capdesk.policy.data import HANDWRITTEN, HELDOUT, LABELLED, REALWORLD, generate
from capdesk.policy.loader import get_policy
from capdesk.policy.types import GROUPS


@pytest.fixture(scope="module")
def trained() -> model.ScopeModel:
    return train_from_files()[0]


def _probe_texts() -> list[str]:
    return [e.text for e in read_examples(HELDOUT) + read_examples(REALWORLD)]


def test_it_regenerates_the_committed_labelled_set_byte_for_byte():
    assert generate.labelled_text() == LABELLED.read_text(encoding="utf-8")


def test_it_keeps_every_held_out_request_out_of_the_training_set():
    training = {(e.subject, e.body) for e in read_examples(LABELLED)}
    assert not [
        e.subject
        for e in read_examples(HELDOUT) + read_examples(REALWORLD)
        if (e.subject, e.body) in training
    ]


def test_it_has_every_scope_of_the_policy_in_both_languages_in_every_set():
    scopes = set(get_policy().scopes)
    for path in (LABELLED, HANDWRITTEN, HELDOUT):
        examples = read_examples(path)
        assert {e.scope for e in examples if e.lang == "en"} == scopes, path.name
        assert {e.scope for e in examples if e.lang == "id"} == scopes, path.name


def test_it_trains_the_same_model_twice(trained):
    again = train_from_files()[0]
    texts = _probe_texts()
    assert again.temperature == trained.temperature
    assert np.allclose(again.probabilities(texts), trained.probabilities(texts), atol=1e-9)


def test_it_ships_the_model_that_training_on_the_committed_data_produces(trained):
    meta = model.read_meta()
    assert meta["sklearn_version"] == sklearn.__version__
    assert meta["training_data_sha256"] == model.data_digest(LABELLED), "labelled.jsonl changed: retrain"
    shipped = model.load()
    texts = _probe_texts()
    assert shipped.temperature == trained.temperature
    assert np.allclose(shipped.probabilities(texts), trained.probabilities(texts), atol=1e-6)


def test_it_keeps_the_model_file_small():
    assert model.MODEL_FILE.stat().st_size < 5 * 1024 * 1024


def test_it_refuses_a_model_written_by_another_scikit_learn(tmp_path: Path):
    copy = tmp_path / "model"
    shutil.copytree(model.MODEL_DIR, copy)
    meta = json.loads((copy / model.META_FILE.name).read_text())
    meta["sklearn_version"] = "0.24.2"
    (copy / model.META_FILE.name).write_text(json.dumps(meta))
    with pytest.raises(model.ModelError, match=r"trained with scikit-learn 0\.24\.2, but .* is installed"):
        model.load(copy)


def test_it_names_the_train_command_when_the_model_is_missing(tmp_path: Path):
    with pytest.raises(model.ModelError, match="capdesk classifier train"):
        model.load(tmp_path)


def test_it_classifies_one_request_through_the_python_api():
    result = classify(
        "Re: invoice",
        "Could you resend the March invoice with our VAT number?\n\n> On Mon wrote: app is down",
    )
    assert (result.scope, result.group) == ("billing", "billing_account")
    assert result.group in GROUPS
    assert 0.0 <= result.confidence <= 1.0
