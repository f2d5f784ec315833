"""Rows a write batch only appends: kept, then one INSERT per model when the batch ends."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.db.models.signals import post_save

from capdesk.core import appends
from capdesk.notify.actions import queue_email
from capdesk.notify.models import OutboundEmail
from capdesk.testing.factories import Personas
from capdesk.tickets import actions
from capdesk.tickets.models import Message

pytestmark = pytest.mark.django_db


def test_it_inserts_a_batchs_rows_of_every_model_at_its_end_and_announces_each(cast: Personas) -> None:
    announced: list[tuple[str, int | None]] = []

    def heard(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
        announced.append((type(instance).__name__, instance.pk))

    post_save.connect(heard, sender=OutboundEmail, dispatch_uid="test_appends")
    try:
        with transaction.atomic(), appends.batched():
            ticket = actions.open_ticket(
                subject="Where is my bundle?",
                body="It never arrived.",
                channel="portal",
                requester=cast.developer,
                requester_email=cast.developer.primary_email,
            )
            emails = [
                queue_email(to=f"dev{n}@acme.test", subject="hi", body_text="hello", kind="test")
                for n in range(3)
            ]
            note = actions.add_system_message(ticket, "Sent the standard reply.", public=True)
            assert len(appends.pending(OutboundEmail)) == 3
            first, kept_note = appends.pending(Message)  # the request's own message, then the note
            assert first.author_kind == Message.Author.CUSTOMER and kept_note is note
            assert not OutboundEmail.objects.exists()
            assert not Message.objects.exists()
    finally:
        post_save.disconnect(dispatch_uid="test_appends", sender=OutboundEmail)
    assert all(email is not None and email.pk is not None for email in emails)
    assert sorted(OutboundEmail.objects.values_list("to", flat=True)) == [
        f"dev{n}@acme.test" for n in range(3)
    ]
    assert Message.objects.get(author_kind=Message.Author.SYSTEM).pk == note.pk
    assert Message.objects.get(author_kind=Message.Author.CUSTOMER).pk == first.pk
    assert announced == [("OutboundEmail", email.pk) for email in emails if email is not None]
    assert appends.pending(OutboundEmail) == []


def test_it_inserts_at_once_outside_a_batch(cast: Personas) -> None:
    email = queue_email(to="dev@acme.test", subject="hi", body_text="hello", kind="test")
    assert email is not None and OutboundEmail.objects.filter(pk=email.pk).exists()
