"""Text with nothing for the model to go on is never classified confidently (nobody is declined on a guess)."""

import pytest

from capdesk.policy.classifier import classify, labels
from capdesk.policy.classifier.dataset import read_examples
from capdesk.policy.data import HELDOUT, REALWORLD
from capdesk.policy.loader import get_policy


@pytest.mark.parametrize(
    "subject, body",
    [
        ("Question", "Hello, I have a question."),
        ("hi", "call me back please"),
        ("Re: meeting", "See you tomorrow at the office, bring the documents."),
        ("Bonjour", "Je voudrais des informations."),
        ("", ""),
    ],
)
def test_it_is_not_confident_about_a_request_without_evidence(subject, body):
    assert classify(subject, body).confidence < get_policy().confidence_threshold


def test_every_held_out_and_real_world_request_has_enough_evidence():
    table = labels()
    analyze = table.model.word_analyzer()
    from capdesk.policy.classifier import MIN_EVIDENCE
    from capdesk.policy.classifier.text import prepare

    for path in (HELDOUT, REALWORLD):
        for e in read_examples(path):
            found = table.evidence_words.intersection(analyze(prepare(e.subject, e.body)))
            assert len(found) >= MIN_EVIDENCE, (path.name, e.subject)


def test_a_clear_request_stays_confident():
    result = classify(
        "Invoice charged twice", "Our card was charged twice for invoice INV-42, please refund."
    )
    assert result.scope == "billing"
    assert result.confidence >= get_policy().confidence_threshold
