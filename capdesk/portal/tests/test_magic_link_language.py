"""The sign-in mail: in the language chosen in this browser, else the person's saved one, never the browser's guess."""

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
def test_a_language_chosen_in_this_browser_wins_over_the_saved_one(
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


@pytest.mark.parametrize(
    ("profile", "browser", "subject"),
    [
        # Sari (Indonesian) signing in from an English browser, never having switched in it.
        ("id", "en-GB,en;q=0.9", "Tautan masuk Dukungan Capgo Anda"),
        ("en", "id-ID,id;q=0.9", "Your Capgo Support sign-in link"),
        ("id", "", "Tautan masuk Dukungan Capgo Anda"),
    ],
)
def test_without_a_choice_in_this_browser_the_mail_follows_the_persons_saved_language(
    client, cast, run_worker, profile, browser, subject
):
    cast.developer.language = profile
    cast.developer.save()
    client.post("/portal/sign-in/", {"email": "dewi@acme.test"}, HTTP_ACCEPT_LANGUAGE=browser)
    run_worker()
    (sent,) = mail.outbox
    assert sent.subject == subject
