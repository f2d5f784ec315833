"""Emails queued by one intake batch reach the worker as one delivery task, each still sent once."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core import mail
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from capdesk.notify.actions import deliveries_batched, queue_email
from capdesk.notify.models import OutboundEmail


def _queue(to: str) -> OutboundEmail:
    email = queue_email(to=to, subject="Hello", body_text="Thanks for writing.", kind="test")
    assert email is not None
    return email


def _tasks(name: str) -> list[object]:
    return list(
        DBTaskResult.objects.filter(task_path=f"capdesk.notify.tasks.{name}").values_list(
            "args_kwargs__args", flat=True
        )
    )


@pytest.mark.django_db(transaction=True)
def test_it_hands_a_batchs_emails_to_one_delivery_task(run_worker: Callable[[], None]) -> None:
    with deliveries_batched(), transaction.atomic():
        first, second = _queue("dewi@acme.test"), _queue("andi@example.test")
    assert _tasks("deliver_emails") == [[[first.pk, second.pk]]]
    assert _tasks("deliver_email") == []
    run_worker()
    assert sorted(m.to[0] for m in mail.outbox) == ["andi@example.test", "dewi@acme.test"]
    assert set(OutboundEmail.objects.values_list("state", flat=True)) == {OutboundEmail.State.SENT}


@pytest.mark.django_db(transaction=True)
def test_it_hands_over_nothing_from_a_batch_that_rolled_back() -> None:
    with deliveries_batched(), pytest.raises(RuntimeError), transaction.atomic():
        _queue("dewi@acme.test")
        raise RuntimeError("the batch failed")
    assert not DBTaskResult.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_it_still_gives_each_email_its_own_task_outside_a_batch() -> None:
    with transaction.atomic():
        email = _queue("dewi@acme.test")
    assert _tasks("deliver_email") == [[email.pk]]
