"""Email into tickets, from .eml samples of the mail real clients and servers send.

Each test goes through the same path as every channel: ``receive`` stores the bytes,
the worker processes them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from pytest_django.fixtures import Settings

from capdesk.console import macros
from capdesk.intake import actions
from capdesk.intake.mail_parsing import MailIdentity, parse, read_identity
from capdesk.intake.models import InboundRequest
from capdesk.intake.smtpd import store_message
from capdesk.policy.loader import get_policy
from capdesk.testing.factories import Personas, make_user
from capdesk.tickets.models import Attachment, Message, Ticket

SAMPLES = Path(__file__).parent / "samples"

Deliver = Callable[..., InboundRequest]


def sample(name: str, **replacements: str) -> bytes:
    raw = (SAMPLES / name).read_bytes()
    for old, new in replacements.items():
        raw = raw.replace(old.encode(), new.encode())
    return raw


@pytest.fixture
def deliver(run_worker: Callable[[], None]) -> Deliver:
    """Store a sample as the SMTP receiver would, run the worker, return the processed request."""

    def deliver(name: str, **replacements: str) -> InboundRequest:
        raw = sample(name, **replacements)
        receipt = actions.receive(channel="email", raw=raw)
        run_worker()
        receipt.request.refresh_from_db()
        return receipt.request

    return deliver


def test_it_opens_a_ticket_from_a_plain_text_message(cast: Personas, deliver: Deliver) -> None:
    request = deliver("plain.eml")
    assert request.state == InboundRequest.State.PROCESSED
    ticket = Ticket.objects.get()
    assert request.ticket == ticket
    assert ticket.subject == "Live updates never download"
    assert ticket.channel == "email"
    assert ticket.requester == cast.developer
    assert ticket.requester_email == "dewi@acme.test"
    message = ticket.messages.get(author_kind="customer")
    assert message.message_id == "<plain-1@mail.acme.test>"
    assert "notifyAppReady() is called on start." in message.body_text
    assert message.body_html.startswith('<div class="plain">')


def test_it_opens_a_ticket_for_an_unregistered_sender_without_a_requester(db: None, deliver: Deliver) -> None:
    deliver("plain.eml")
    ticket = Ticket.objects.get()
    assert ticket.requester is None
    assert ticket.events.get(kind="sender.identified").data == {
        "registered": False,
        "verdict": "unknown",
        "authenticated": False,
        "method": "",
        "reason": "no DKIM signature",
    }


def test_it_strips_scripts_styles_and_handlers_from_an_html_only_message(db: None, deliver: Deliver) -> None:
    deliver("html_only.eml")
    message = Message.objects.get(author_kind="customer")
    html = message.body_html.lower()
    for unsafe in ("<script", "alert(", "<style", "color: red", "onerror", "onload", "javascript:"):
        assert unsafe not in html
    # Its image has a relative src, which would load from the desk itself: not loaded either.
    assert (
        "<img" not in message.body_html
        and '<span class="remote-image">screenshot</span>' in message.body_html
    )
    assert 'href="https://capgo.app/docs/"' in message.body_html
    # The text is derived from the HTML, with entities decoded once and nothing from <head>.
    text = message.body_text
    assert "The update & the rollback both fail on Android 14." in text
    assert 'Error: "bundle <1.2.3> is invalid" \u2014 caf\u00e9 build' in text
    for leaked in ("alert", "color: red", "evil.example", "&amp;", "&quot;", "&#8212;"):
        assert leaked not in text


def test_it_takes_the_text_and_the_html_from_a_multipart_alternative_message(
    db: None, deliver: Deliver
) -> None:
    deliver("alternative.eml")
    message = Message.objects.get(author_kind="customer")
    assert message.body_text == 'The device stays on the production channel after setChannel("beta").'
    assert "<b>production</b>" in message.body_html
    assert "<code>" in message.body_html
    assert not Attachment.objects.exists()


def test_it_stores_attachments_on_disk_under_the_media_root(db: None, deliver: Deliver) -> None:
    deliver("attachment.eml")
    message = Message.objects.get(author_kind="customer")
    assert message.body_text == "The log and a screenshot are attached."
    attachments = {a.filename: a for a in message.attachments.all()}
    assert set(attachments) == {"updater.log", "layar \u2014 r\u00e9sum\u00e9.png"}
    log = attachments["updater.log"]
    assert log.content_type == "text/plain"
    png = attachments["layar \u2014 r\u00e9sum\u00e9.png"]
    assert png.content_type == "image/png"
    assert png.size == 1024
    path = Path(png.file.path)
    assert path.is_file()
    assert path.resolve().is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    assert path.read_bytes() == bytes(range(256)) * 4
    assert Path(log.file.path).read_bytes().startswith(b"2026-11-24 09:30:01 CapacitorUpdater")


def test_it_reads_a_body_in_an_unknown_charset_as_windows_1252(db: None, deliver: Deliver) -> None:
    deliver("unknown_charset.eml")
    ticket = Ticket.objects.get()
    assert ticket.messages.get(author_kind="customer").body_text == (
        "La mise \u00e0 jour \u00e9choue apr\u00e8s le red\u00e9marrage \u2013 merci."
    )
    # Raw Latin-1 bytes in the Subject cannot be decoded: they are replaced, not dropped.
    assert ticket.subject.startswith("Probl")
    assert ticket.subject.endswith("jour")


def test_it_reads_raw_utf8_mislabelled_as_ascii(db: None, deliver: Deliver) -> None:
    deliver("raw_8bit.eml")
    ticket = Ticket.objects.get()
    assert ticket.subject == "Pembaruan gagal \u2014 caf\u00e9"
    assert ticket.messages.get(author_kind="customer").body_text == (
        "Aplikasi kami crash setelah pembaruan \u2014 na\u00efve caf\u00e9 \u2713"
    )


def test_it_reads_latin1_without_a_charset_and_drops_nul_bytes(db: None, deliver: Deliver) -> None:
    request = deliver("no_charset.eml")
    assert request.state == InboundRequest.State.PROCESSED
    assert (
        Message.objects.get(author_kind="customer").body_text
        == "Gr\u00fc\u00dfe, das Update schl\u00e4gt fehl."
    )


def test_it_decodes_an_rfc2047_encoded_subject_and_sender_name(db: None, deliver: Deliver) -> None:
    deliver("encoded_subject.eml")
    ticket = Ticket.objects.get()
    assert ticket.subject == "Actualizaci\u00f3n fallida en espa\u00f1ol"
    assert ticket.requester_email == "jose@example.es"


def test_it_threads_a_reply_by_the_ticket_reference_in_the_subject(cast: Personas, deliver: Deliver) -> None:
    deliver("plain.eml")
    ticket = Ticket.objects.get()
    request = deliver("reply_by_reference.eml", **{"CAP-1001": ticket.reference})
    assert request.ticket == ticket
    assert Ticket.objects.count() == 1
    reply = ticket.messages.last()
    assert reply is not None
    assert reply.body_text.startswith("It still fails after reinstalling the app.")
    assert reply.author_person == cast.developer


def test_it_threads_a_reply_by_in_reply_to_a_stored_message(db: None, deliver: Deliver) -> None:
    deliver("plain.eml")
    ticket = Ticket.objects.get()
    request = deliver("reply_by_in_reply_to.eml")
    assert request.ticket == ticket
    assert ticket.messages.filter(author_kind="customer").count() == 2
    assert Ticket.objects.count() == 1


def test_it_opens_a_new_ticket_when_a_stranger_replies_to_someone_elses(
    cast: Personas, deliver: Deliver
) -> None:
    deliver("plain.eml")
    first = Ticket.objects.get()
    request = deliver("reply_from_stranger.eml", **{"CAP-1001": first.reference})
    assert request.ticket is not None
    assert request.ticket != first
    assert request.ticket.requester == cast.outsider
    assert first.messages.filter(author_kind="customer").count() == 1


@pytest.mark.parametrize("name", ["auto_replied.eml", "precedence_bulk.eml", "x_autoreply.eml", "bounce.eml"])
def test_it_opens_no_ticket_for_automatic_mail(cast: Personas, deliver: Deliver, name: str) -> None:
    request = deliver(name)
    assert request.state == InboundRequest.State.PROCESSED
    assert request.ticket is None
    assert request.reason.startswith("automatic message ignored (")
    assert not Ticket.objects.exists()


def test_it_does_not_add_an_out_of_office_reply_to_the_ticket(cast: Personas, deliver: Deliver) -> None:
    deliver("plain.eml")
    ticket = Ticket.objects.get()
    deliver("auto_replied.eml", **{"CAP-1001": ticket.reference})
    assert ticket.messages.filter(author_kind="customer").count() == 1


def test_it_quarantines_a_message_without_a_sender(db: None, deliver: Deliver) -> None:
    request = deliver("no_from.eml")
    assert request.state == InboundRequest.State.QUARANTINED
    assert request.reason == "the message has no usable From address"
    assert not Ticket.objects.exists()


def test_it_quarantines_a_reply_with_too_many_attachments_at_once(
    cast: Personas, deliver: Deliver, settings: Settings
) -> None:
    settings.CAPDESK_MAX_ATTACHMENTS = 1
    deliver("plain.eml")
    ticket = Ticket.objects.get()
    request = deliver(
        "attachment.eml", **{"Subject: Logs attached": f"Subject: Re: [{ticket.reference}] logs"}
    )
    assert request.state == InboundRequest.State.QUARANTINED
    assert request.reason == "at most 1 attachments per message; the sender was told"
    assert ticket.messages.filter(author_kind="customer").count() == 1


def test_it_opens_a_ticket_for_a_message_with_only_an_attachment(db: None, deliver: Deliver) -> None:
    raw_text_part = 'Content-Type: text/plain; charset="utf-8"\n\nThe log and a screenshot are attached.\n'
    request = deliver("attachment.eml", **{raw_text_part: 'Content-Type: text/plain; charset="utf-8"\n\n'})
    assert request.state == InboundRequest.State.PROCESSED
    assert Message.objects.get(author_kind="customer").attachments.count() == 2


def test_it_keeps_a_text_part_it_cannot_show_as_a_file() -> None:
    raw = sample("alternative.eml").replace(b"Content-Type: text/html", b"Content-Type: text/csv")
    mail = parse(raw)
    assert mail.html == ""
    assert [(f.filename, f.content_type) for f in mail.files] == [("attachment.csv", "text/csv")]


def test_it_reads_the_id_out_of_a_message_id_with_a_comment() -> None:
    raw = sample("plain.eml").replace(
        b"Message-ID: <plain-1@mail.acme.test>", b"Message-ID:\n <plain-1@mail.acme.test> (added by relay)"
    )
    assert parse(raw).message_id == "<plain-1@mail.acme.test>"
    assert read_identity(raw) == MailIdentity(
        "<plain-1@mail.acme.test>", "dewi@acme.test", "Live updates never download"
    )


@pytest.mark.parametrize(
    ("subject", "stored"),
    [
        (
            b"=?utf-8?q?Pembaruan_tidak_terunduh_=E2=80=94_darurat?=",
            "Pembaruan tidak terunduh \u2014 darurat",
        ),
        (b"=?utf-8?q?broken_=FF?=", "broken \ufffd"),  # not UTF-8 inside the encoded word
        (b"Live updates\n never download", "Live updates never download"),  # folded
    ],
)
def test_it_stores_the_subject_the_quarantine_and_intake_log_show(
    transactional_db: None, subject: bytes, stored: str
) -> None:
    raw = sample("plain.eml").replace(b"Subject: Live updates never download", b"Subject: " + subject)
    assert raw != sample("plain.eml")
    request = InboundRequest.objects.get(pk=store_message(raw).request.pk)
    assert request.subject == stored


@pytest.mark.parametrize(
    "from_header",
    [
        b'"Dewi\n Lestari" <Dewi@Acme.test>',  # folded, mixed case
        b"=?utf-8?q?Dewi_=3Cmallory=40evil.test=3E?= <dewi@acme.test>",  # an address hidden in the name
        b"D\xc3\xa9wi <dewi@acme.test>",  # raw 8-bit name
        b"dewi@acme.test (Dewi)",
        b"dewi@acme.test, mallory@evil.test",  # the first of two
    ],
)
def test_it_reads_the_claimed_sender_the_receiver_stores_as_the_full_parse_does(from_header: bytes) -> None:
    raw = sample("plain.eml").replace(b"From: Dewi Developer <dewi@acme.test>", b"From: " + from_header)
    assert raw != sample("plain.eml")
    assert read_identity(raw).from_address == parse(raw).from_address == "dewi@acme.test"


@pytest.mark.parametrize(
    ("header", "value", "stored"),
    [
        # RFC 6532: UTF-8 in an address; the key is the sample's own Message-ID.
        (
            b"From",
            "J\u00e9r\u00f4me <j\u00e9rome@acme.test>".encode(),
            ("<plain-1@mail.acme.test>", "j\u00e9rome@acme.test"),
        ),
        # A byte that is not UTF-8 at all becomes U+FFFD.
        (b"Message-ID", b"<a\xffb@mail.acme.test>", ("<a\ufffdb@mail.acme.test>", "dewi@acme.test")),
    ],
    ids=["utf8-from", "8bit-message-id"],
)
def test_it_stores_mail_whose_headers_carry_raw_8bit(
    transactional_db: None, header: bytes, value: bytes, stored: tuple[str, str]
) -> None:
    # Raw 8-bit header bytes arrive as surrogate escapes, which no database stores: the
    # receiver must still store the message (a 451 would have the sender retry for ever).
    # Transactional: the receiver closes connections left from an earlier store, as a
    # worker thread does, which would end a test's wrapping transaction on PostgreSQL.
    lines = sample("plain.eml").split(b"\n")
    raw = b"\n".join(header + b": " + value if line.startswith(header + b":") else line for line in lines)
    assert raw != sample("plain.eml")
    request = InboundRequest.objects.get(pk=store_message(raw).request.pk)
    assert (request.idempotency_key, request.claimed_sender) == stored


def test_it_finds_the_ticket_reference_among_other_bracketed_tags(cast: Personas, deliver: Deliver) -> None:
    deliver("plain.eml")
    ticket = Ticket.objects.get()
    tagged = f"[EXT-12] Re: [{ticket.reference.lower()}]"
    request = deliver("reply_by_reference.eml", **{"Re: [CAP-1001]": tagged})
    assert request.ticket == ticket


@pytest.mark.parametrize(
    ("sender", "shown"),
    [
        ("Alice  Stranger <dewi@acme.test>", "Alice Stranger"),
        ("dewi@acme.test", ""),
        # A name that is an address would read as someone else's in the console.
        ('"support@capgo.app" <dewi@acme.test>', ""),
    ],
)
def test_an_unregistered_sender_is_named_as_they_named_themselves(
    db: None, deliver: Deliver, client, sender: str, shown: str
) -> None:
    deliver("plain.eml", **{"Dewi Developer <dewi@acme.test>": sender})
    ticket = Ticket.objects.get()
    assert ticket.requester is None and ticket.requester_name == shown
    agent = make_user("nina", staff=True)
    assert isinstance(agent, User)
    client.force_login(agent)
    facts = client.get(f"/console/tickets/{ticket.reference}/").content.decode()
    assert f"<dd>{shown} dewi@acme.test" in facts
    # A macro greets them by it ({name}), or by the address when they gave none.
    values = macros.ticket_values(ticket, agent, get_policy())
    assert values["name"] == (shown or "dewi@acme.test")
