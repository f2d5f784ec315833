"""Messages forwarded "as attachment" (message/rfc822): kept whole as a file, summarised in the body.

The mail is built with the stdlib ``email`` package, as a client writes it, and goes
the whole way: ``receive`` stores it, the worker turns it into a ticket.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from email import policy
from email.message import EmailMessage

import pytest

from capdesk.intake import actions
from capdesk.intake.mail_parsing import parse
from capdesk.intake.mime_bytes import multipart_children, split_head
from capdesk.intake.models import InboundRequest
from capdesk.tickets.models import Message

Deliver = Callable[[bytes], InboundRequest]


@pytest.fixture
def deliver(run_worker: Callable[[], None]) -> Deliver:
    def deliver(raw: bytes) -> InboundRequest:
        receipt = actions.receive(channel="email", raw=raw)
        run_worker()
        receipt.request.refresh_from_db()
        return receipt.request

    return deliver


def mail(sender: str, subject: str, text: str, message_id: str) -> EmailMessage:
    msg = EmailMessage(policy=policy.SMTP)  # CRLF line ends, as on the wire
    msg["From"] = sender
    msg["To"] = "support@capgo.app"
    msg["Subject"] = subject
    msg["Date"] = "Tue, 24 Nov 2026 09:15:00 +0700"
    msg["Message-ID"] = message_id
    msg.set_content(text)
    return msg


def original() -> EmailMessage:
    """What a colleague sent Dewi, with a log attached, before Dewi forwarded it."""
    msg = mail(
        "Budi <budi@acme.test>", "Build fails on iOS", "The build fails with error 42.", "<orig-1@acme.test>"
    )
    msg.add_attachment(
        b"E/Capgo: checksum mismatch\n", maintype="text", subtype="plain", filename="build.log"
    )
    return msg


def forwarding(*forwards: EmailMessage, text: str = "See below, from my colleague.") -> EmailMessage:
    msg = mail("Dewi <dewi@acme.test>", "Fwd: Build fails on iOS", text, "<fwd-1@acme.test>")
    for forward in forwards:
        msg.add_attachment(forward)
    return msg


def stored(request: InboundRequest) -> Message:
    assert request.state == InboundRequest.State.PROCESSED, request.reason
    assert request.ticket is not None
    return request.ticket.messages.get(author_kind="customer")


def files_of(message: Message) -> dict[str, bytes]:
    files = {}
    for attachment in message.attachments.all():
        with attachment.file.open("rb") as f:
            files[attachment.filename] = f.read()
    return files


def with_part_appended(part: bytes) -> bytes:
    """Dewi's message with one more part written by hand: what the email package would not write."""
    outer = forwarding()
    outer.make_mixed()
    raw = outer.as_bytes()  # writing it out is what gives the multipart its boundary
    boundary = outer.get_boundary()
    assert boundary
    head = raw.rsplit(f"--{boundary}--".encode(), 1)[0]
    return head + f"--{boundary}\r\n".encode() + part + f"--{boundary}--\r\n".encode()


def inner_bytes_of(raw: bytes, index: int) -> bytes:
    """The forwarded message's bytes as the outer message carries them (after the part's own headers)."""
    return split_head(multipart_children(raw, _boundary(raw))[index])[1]


def _boundary(raw: bytes) -> str:
    msg = EmailMessage()
    msg["Content-Type"] = split_head(raw)[0].decode().split("Content-Type: ", 1)[1].split("\r\n")[0]
    boundary = msg.get_boundary()
    assert boundary
    return boundary


def test_it_keeps_the_forwarded_message_as_an_eml_file_with_its_exact_bytes(
    db: None, deliver: Deliver
) -> None:
    raw = forwarding(original()).as_bytes()
    message = stored(deliver(raw))
    files = files_of(message)
    assert set(files) == {"forwarded-1.eml"}
    assert files["forwarded-1.eml"] == inner_bytes_of(raw, 1)
    assert files["forwarded-1.eml"].startswith(b"From: Budi <budi@acme.test>\r\n")
    assert message.attachments.get().content_type == "message/rfc822"


def test_it_keeps_a_forwarded_message_s_quirks_byte_for_byte(db: None, deliver: Deliver) -> None:
    # Odd spacing, a folded header and a bare-LF line: the email package would write them back differently.
    inner = (
        b"From:   Budi   <budi@acme.test>\r\nSubject: a subject\r\n  folded by hand\r\n"
        b"Message-ID: <quirk-1@acme.test>\r\n\r\nline one\nline two\r\n"
    )
    outer = forwarding().as_bytes()
    head, body = split_head(outer)
    boundary = "quirky-boundary"
    raw = (
        head.replace(
            b"Content-Type: text/plain", f'Content-Type: multipart/mixed; boundary="{boundary}"'.encode()
        ).replace(b"Content-Transfer-Encoding: 7bit\r\n", b"")
        + b"\r\n\r\n--quirky-boundary\r\nContent-Type: text/plain\r\n\r\n"
        + body
        + b"\r\n--quirky-boundary\r\nContent-Type: message/rfc822\r\n\r\n"
        + inner
        + b"\r\n--quirky-boundary--\r\n"
    )
    message = stored(deliver(raw))
    assert files_of(message) == {"forwarded-1.eml": inner}
    assert "Subject: a subject  folded by hand" in message.body_text  # unfolded as RFC 5322 2.2.3 says


def test_it_summarises_the_forward_after_the_own_text_and_folds_its_text(db: None, deliver: Deliver) -> None:
    message = stored(deliver(forwarding(original()).as_bytes()))
    own, _, summary = message.body_text.partition("---------- Forwarded message (forwarded-1.eml) ----------")
    assert own.strip() == "See below, from my colleague."
    assert "From: Budi <budi@acme.test>" in summary
    assert "Date: Tue, 24 Nov 2026 09:15:00 +0700" in summary
    assert "Subject: Build fails on iOS" in summary
    assert "> The build fails with error 42." in summary
    html = message.body_html
    visible, _, folded = html.partition('<details class="quoted"><summary>Show forwarded text</summary>')
    assert "See below, from my colleague." in visible
    assert "From: Budi &lt;budi@acme.test&gt;" in visible
    assert "Subject: Build fails on iOS" in visible
    assert "The build fails with error 42." in folded


def test_it_names_the_forward_s_own_attachments_but_keeps_them_inside_its_file(
    db: None, deliver: Deliver
) -> None:
    message = stored(deliver(forwarding(original()).as_bytes()))
    assert "Attachments: build.log" in message.body_text
    eml = files_of(message)["forwarded-1.eml"]
    assert b'filename="build.log"' in eml
    assert "checksum mismatch" not in message.body_text  # a file, not text of the forward


def test_it_summarises_a_forward_inside_a_forward_in_one_file(db: None, deliver: Deliver) -> None:
    middle = mail(
        "Sari <sari@acme.test>", "Fwd: Build fails on iOS", "Sari here, passing this on.", "<mid-1@acme.test>"
    )
    middle.add_attachment(original())
    raw = forwarding(middle).as_bytes()
    message = stored(deliver(raw))
    assert list(files_of(message)) == ["forwarded-1.eml"]
    text = message.body_text
    assert "> Sari here, passing this on." in text
    assert "> ---------- Forwarded message ----------" in text
    assert "> From: Budi <budi@acme.test>" in text
    assert "> > The build fails with error 42." in text
    assert message.body_html.count('<div class="forwarded">') == 2


def test_it_numbers_several_forwards_in_their_order(db: None, deliver: Deliver) -> None:
    second = mail("Sari <sari@acme.test>", "Crash on start", "It crashes on start.", "<orig-2@acme.test>")
    message = stored(deliver(forwarding(original(), second).as_bytes()))
    files = files_of(message)
    assert sorted(files) == ["forwarded-1.eml", "forwarded-2.eml"]
    assert b"Subject: Crash on start" in files["forwarded-2.eml"]
    assert message.body_text.index("(forwarded-1.eml)") < message.body_text.index("(forwarded-2.eml)")


def test_it_shows_a_forward_sent_with_no_text_of_its_own(db: None, deliver: Deliver) -> None:
    message = stored(deliver(forwarding(original(), text="").as_bytes()))
    assert message.body_text.startswith("---------- Forwarded message (forwarded-1.eml) ----------")


def test_it_adds_the_summary_after_an_html_message_s_own_text(db: None, deliver: Deliver) -> None:
    outer = mail("Dewi <dewi@acme.test>", "Fwd: Build fails", "See below.", "<fwd-html@acme.test>")
    outer.add_alternative("<p>See <b>below</b>.</p><script>alert(1)</script>", subtype="html")
    outer.make_mixed()
    outer.add_attachment(original())
    message = stored(deliver(outer.as_bytes()))
    assert message.body_html.startswith("<p>See <b>below</b>.</p>")
    assert "<script>" not in message.body_html
    assert '<div class="forwarded">' in message.body_html


def test_it_escapes_the_forwarded_message_s_headers_and_text(db: None, deliver: Deliver) -> None:
    evil = mail(
        '"<img src=x onerror=alert(1)>" <x@evil.test>', "<b>hi</b>", "<script>alert(2)</script>", "<e@x>"
    )
    message = stored(deliver(forwarding(evil).as_bytes()))
    assert "<script>" not in message.body_html
    assert "<img" not in message.body_html
    assert "&lt;script&gt;" in message.body_html


def test_it_keeps_a_malformed_forwarded_message_whole_and_still_opens_the_ticket(
    db: None, deliver: Deliver
) -> None:
    garbage = b"\xff\xfe\x00 not a header at all\r\n=?utf-8?B?!!!?=\r\n\r\n\x00\x80 body"
    raw = with_part_appended(b"Content-Type: message/rfc822\r\n\r\n" + garbage + b"\r\n")
    message = stored(deliver(raw))
    assert "See below, from my colleague." in message.body_text
    assert "Forwarded message (forwarded-1.eml)" in message.body_text
    assert files_of(message)["forwarded-1.eml"] == garbage


def test_it_decodes_a_forward_that_a_client_base64_encoded(db: None, deliver: Deliver) -> None:
    inner = original().as_bytes()
    encoded = base64.encodebytes(inner).replace(b"\n", b"\r\n")
    raw = with_part_appended(
        b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n" + encoded
    )
    message = stored(deliver(raw))
    assert files_of(message)["forwarded-1.eml"] == inner
    assert "Subject: Build fails on iOS" in message.body_text


def test_it_quarantines_only_when_the_outer_message_is_unusable(db: None, deliver: Deliver) -> None:
    outer = forwarding(original())
    del outer["From"]
    request = deliver(outer.as_bytes())
    assert request.state == InboundRequest.State.QUARANTINED
    assert request.reason == "the message has no usable From address"


def test_it_leaves_an_inline_forward_in_the_text_as_before(db: None, deliver: Deliver) -> None:
    text = (
        "FYI, see below.\n\n---------- Forwarded message ---------\nFrom: Budi <budi@acme.test>\n"
        "Date: Tue, 24 Nov 2026 at 09:15\nSubject: Build fails on iOS\n\nThe build fails with error 42.\n"
    )
    raw = forwarding(text=text).as_bytes()
    message = stored(deliver(raw))
    assert message.body_text.replace("\r\n", "\n") == text.strip()
    assert not message.attachments.exists()
    assert parse(raw).forwarded == []
