"""`capdesk worker` loads what intake needs at start, and runs without it when it cannot load."""

from __future__ import annotations

import logging

import pytest
import sklearn
from django.core import mail
from django.core.management import call_command

from capdesk.notify.actions import queue_email
from capdesk.policy import classifier


@pytest.fixture
def fresh_classifier():
    classifier.reset()
    yield
    classifier.reset()


def _run_worker() -> None:
    call_command("worker", batch=True, interval=0, startup_delay=False, verbosity=0)


def test_it_loads_the_classifier_before_its_first_task(transactional_db, fresh_classifier):
    _run_worker()
    assert classifier.labels.cache_info().currsize == 1


def test_it_still_sends_mail_when_the_model_cannot_be_loaded(
    transactional_db, fresh_classifier, monkeypatch, caplog
):
    # A model written by another scikit-learn is refused (capdesk.policy.classifier.model.load):
    # only intake needs it, so mail out, webhooks and SLA jobs must not stop with it.
    monkeypatch.setattr(sklearn, "__version__", "0.0.0")
    queue_email(to="dewi@acme.test", subject="Your request", body_text="Hello", kind="test")
    with caplog.at_level(logging.ERROR, logger="capdesk.core.management.commands.worker"):
        _run_worker()
    assert [m.to for m in mail.outbox] == [["dewi@acme.test"]]
    assert "worker.load_failed" in caplog.text
