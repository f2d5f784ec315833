"""A portal form with a file over the limit comes back with the text kept and the reason in the page's language."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from capdesk.intake import web_channel
from capdesk.intake.channels import Unprocessable
from capdesk.intake.models import InboundRequest
from capdesk.portal.actions import user_for_person
from capdesk.tickets.models import Message, Ticket

LIMIT = 1024 * 1024  # 1 MB, so the tests need not upload 10


@pytest.fixture(autouse=True)
def small_limit(settings):
    settings.CAPDESK_MAX_ATTACHMENT_BYTES = LIMIT


@pytest.fixture
def customer(client, cast):
    client.force_login(user_for_person(cast.developer))
    return client


def _big(name="big.bin"):
    return SimpleUploadedFile(name, b"x" * (LIMIT + 1), content_type="application/octet-stream")


def _open_request(client):
    client.post(
        "/portal/requests/new/",
        {
            "project": "com.acme.shop",
            "subject": "Bundle never downloads",
            "severity": "normal",
            "idempotency_key": uuid.uuid4().hex,
            "body": "It stays on the old bundle.",
        },
    )
    return Ticket.objects.get()


def _reply(client, ticket, **extra):
    data = {
        "body": "Here is the full device log you asked for.",
        "idempotency_key": uuid.uuid4().hex,
        **extra,
    }
    return client.post(f"/portal/requests/{ticket.reference}/reply/", data)


def test_a_reply_with_a_file_too_large_comes_back_with_the_text_kept(customer):
    ticket = _open_request(customer)
    response = _reply(customer, ticket, attachment=_big())
    assert response.status_code == 200
    page = response.content.decode()
    assert "Here is the full device log you asked for." in page
    assert "big.bin is larger than 1 MB, the limit for one attachment." in page
    # Nothing was accepted, so nothing was quarantined or added.
    assert InboundRequest.objects.count() == 1
    assert not InboundRequest.objects.filter(state=InboundRequest.State.QUARANTINED).exists()
    assert ticket.messages.filter(author_kind=Message.Author.CUSTOMER).count() == 1


def test_the_reason_is_in_indonesian_on_an_indonesian_page(customer):
    ticket = _open_request(customer)
    customer.cookies["django_language"] = "id"
    page = _reply(customer, ticket, attachment=_big()).content.decode()
    assert "big.bin berukuran lebih dari 1 MB, batas untuk satu lampiran." in page
    assert "is larger than" not in page
    assert "Here is the full device log you asked for." in page


def test_a_reply_with_a_file_within_the_limit_is_added(customer):
    ticket = _open_request(customer)
    small = SimpleUploadedFile("device.log", b"x" * LIMIT, content_type="text/plain")
    response = _reply(customer, ticket, attachment=small)
    assert response.status_code == 302
    assert ticket.messages.filter(author_kind=Message.Author.CUSTOMER).count() == 2


def test_an_empty_reply_comes_back_with_the_form(customer):
    ticket = _open_request(customer)
    response = _reply(customer, ticket, body="")
    assert response.status_code == 200
    assert InboundRequest.objects.count() == 1


def test_a_new_request_with_a_file_too_large_comes_back_with_the_text_kept(customer):
    response = customer.post(
        "/portal/requests/new/",
        {
            "project": "com.acme.shop",
            "subject": "Crash on launch",
            "severity": "normal",
            "idempotency_key": uuid.uuid4().hex,
            "body": "The app crashes right after the splash screen.",
            "attachment": _big("crash.bin"),
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "The app crashes right after the splash screen." in page
    assert "crash.bin is larger than 1 MB, the limit for one attachment." in page
    assert not InboundRequest.objects.exists()


def test_the_forms_show_the_limit_next_to_the_file_input(customer):
    page = customer.get("/portal/requests/new/").content.decode()
    assert "Up to 1 MB." in page
    assert f'data-max-bytes="{LIMIT}"' in page
    ticket = _open_request(customer)
    page = customer.get(f"/portal/requests/{ticket.reference}/").content.decode()
    assert "Up to 1 MB." in page and f'data-max-bytes="{LIMIT}"' in page
    assert "capdesk/portal.js" in page


@pytest.mark.parametrize(
    ("limit", "english", "indonesian"),
    [
        (512 * 1024, "512 KB", "512 KB"),
        (1536 * 1024, "1.5 MB", "1,5 MB"),
        (25 * 1024 * 1024, "25 MB", "25 MB"),
    ],
)
def test_a_limit_that_is_not_whole_megabytes_is_said_as_it_is(customer, settings, limit, english, indonesian):
    """Whole megabytes said "0 MB" of a 512 KB limit; the size is now said to a decimal, in the page's number format."""
    settings.CAPDESK_MAX_ATTACHMENT_BYTES = limit
    assert f"Up to {english}." in customer.get("/portal/requests/new/").content.decode()
    customer.cookies["django_language"] = "id"
    assert f"Maksimal {indonesian}." in customer.get("/portal/requests/new/").content.decode()


def test_a_request_that_cannot_be_filed_is_kept_and_the_customer_is_not_shown_the_admins_reason(
    customer, monkeypatch
):
    """What the forms cannot catch (a race with a membership change, say) is quarantined, and said plainly."""

    def refuse(payload):
        raise Unprocessable("the request names a project this person does not belong to")

    monkeypatch.setattr(web_channel, "_files", refuse)
    customer.cookies["django_language"] = "id"
    page = customer.post(
        "/portal/requests/new/",
        {
            "project": "com.acme.shop",
            "subject": "Bundle never downloads",
            "severity": "normal",
            "idempotency_key": uuid.uuid4().hex,
            "body": "It stays on the old bundle.",
        },
        follow=True,
    ).content.decode()
    assert "Kami tidak dapat mencatat permintaan ini." in page
    assert "does not belong to" not in page
    kept = InboundRequest.objects.get()
    assert kept.state == InboundRequest.State.QUARANTINED
    assert kept.reason == "the request names a project this person does not belong to"
