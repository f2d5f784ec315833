"""What every email the desk sends says about itself in its headers."""

from __future__ import annotations

import pytest
from django.core import mail

from capdesk.notify.actions import deliver, queue_email

pytestmark = pytest.mark.django_db


def test_it_dates_its_mail_in_utc_not_in_an_unknown_time_zone() -> None:
    # RFC 5322 3.3: "-0000" says the sender's zone is unknown; the desk knows it is UTC.
    email = queue_email(to="dewi@acme.test", subject="Hello", body_text="Thanks for writing.", kind="test")
    assert email is not None and deliver(email.pk)
    (sent,) = mail.outbox
    date = sent.message()["Date"]
    assert date.endswith("+0000"), date
