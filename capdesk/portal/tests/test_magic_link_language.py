"""The sign-in mail answers in the language of the page it was asked from."""

import pytest
from django.core import mail


@pytest.mark.parametrize(
    ("profile", "page", "subject"),
    [
        ("id", "en", "Your Capgo Support sign-in link"),
        ("en", "id", "Tautan masuk Dukungan Capgo Anda"),
        ("id", "id", "Tautan masuk Dukungan Capgo Anda"),
    ],
)
def test_it_writes_the_sign_in_mail_in_the_language_of_the_sign_in_page(
    client, cast, run_worker, profile, page, subject
):
    cast.developer.language = profile
    cast.developer.save()
    client.cookies["django_language"] = page
    client.post("/portal/sign-in/", {"email": "dewi@acme.test"})
    run_worker()
    (sent,) = mail.outbox
    assert sent.subject == subject
    assert sent.body.startswith("Hello," if page == "en" else "Halo,")


def test_a_browser_that_says_nothing_gets_the_english_page_and_an_english_mail(client, cast, run_worker):
    cast.developer.language = "id"
    cast.developer.save()
    client.post("/portal/sign-in/", {"email": "dewi@acme.test"}, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    run_worker()
    (sent,) = mail.outbox
    assert sent.subject == "Your Capgo Support sign-in link"
