"""The sender-confirmation mail says how long its link works as a person would: "24 hours", in the reply's language."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import translation

from capdesk.intake.confirmation import lifetime_text
from capdesk.testing.requests import send_plain_email


@pytest.mark.parametrize(
    ("minutes", "en", "id_"),
    [
        (1440, "24 hours", "24 jam"),
        (60, "1 hour", "1 jam"),
        (90, "90 minutes", "90 menit"),
        (5, "5 minutes", "5 menit"),
    ],
)
def test_it_writes_a_links_lifetime_in_hours_when_it_is_whole_hours(minutes, en, id_):
    with translation.override("en"):
        assert lifetime_text(minutes) == en
    with translation.override("id"):
        assert lifetime_text(minutes) == id_


@override_settings(CAPDESK_CONFIRM_MINUTES=1440)
@pytest.mark.parametrize(
    ("language", "says"),
    [("en", "The link works for 24 hours."), ("id", "Tautan ini berlaku selama 24 jam.")],
)
def test_the_confirmation_mail_says_24_hours_not_1440_minutes(cast, run_worker, language, says):
    cast.developer.language = language
    cast.developer.save()
    send_plain_email(
        "dewi@acme.test",
        "Live update not applied",
        "We call notifyAppReady() but the new bundle is never downloaded on the production channel. "
        "How do we debug the updater? App: com.acme.shop",
    )
    run_worker()
    (confirmation,) = mail.outbox
    assert "/confirm/" in confirmation.body
    assert says in confirmation.body
    assert "1440" not in confirmation.body
