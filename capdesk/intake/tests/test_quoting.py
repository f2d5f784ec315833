"""Quoted history folded behind a toggle: what clients put below a reply, in English and Indonesian."""

from __future__ import annotations

from email.message import EmailMessage

from capdesk.intake import actions as intake
from capdesk.intake.quoting import split_html, split_text
from capdesk.tickets.models import Message

GMAIL = """Thanks, that fixed it.

On Tue, 24 Nov 2026 at 09:15, Capgo Support <support@capgo.app> wrote:
> Please call notifyAppReady() on start.
>
> > Live updates never download.
"""

GMAIL_ID_WRAPPED = """Sudah saya coba, masih gagal.

Pada tanggal Sel, 24 Nov 2026 pukul 09.15 Capgo Support
<support@capgo.app> menulis:
> Silakan panggil notifyAppReady() saat start.
"""

OUTLOOK = """Still failing on Android 14.

-----Original Message-----
From: Capgo Support <support@capgo.app>
Sent: Tuesday, November 24, 2026 9:15 AM
Subject: RE: [CAP-12] Live updates never download

Please call notifyAppReady() on start.
"""

INLINE = """> Which plugin version?
6.3.1
> Which channel?
production
"""


def test_it_folds_a_gmail_quote_with_its_attribution() -> None:
    visible, quoted = split_text(GMAIL)
    assert visible == "Thanks, that fixed it."
    assert quoted.startswith("On Tue, 24 Nov 2026 at 09:15, Capgo Support")
    assert quoted.endswith("> > Live updates never download.")


def test_it_folds_an_indonesian_attribution_wrapped_over_two_lines() -> None:
    visible, quoted = split_text(GMAIL_ID_WRAPPED)
    assert visible == "Sudah saya coba, masih gagal."
    assert quoted.startswith("Pada tanggal Sel, 24 Nov 2026")
    assert "menulis:" in quoted


def test_it_folds_everything_from_outlooks_original_message_line() -> None:
    visible, quoted = split_text(OUTLOOK)
    assert visible == "Still failing on Android 14."
    assert quoted.startswith("-----Original Message-----")
    assert quoted.endswith("Please call notifyAppReady() on start.")


def test_it_keeps_inline_answers_between_quotes_visible() -> None:
    assert split_text(INLINE) == (INLINE, "")


def test_it_shows_a_message_that_is_only_a_quote_whole() -> None:
    text = "> forwarded without a word\n> second line\n"
    assert split_text(text) == (text, "")


def test_it_leaves_a_message_without_quotes_alone() -> None:
    text = "Hello,\nthe update fails with error 42.\n\nDewi"
    assert split_text(text) == (text, "")


def test_it_does_not_take_a_plain_horizontal_rule_for_outlook() -> None:
    text = "Steps:\n________________________\n1. open the app\n"
    assert split_text(text) == (text, "")


def test_it_cuts_html_where_gmail_and_apple_mail_quotes_begin() -> None:
    gmail = '<div>Thanks!</div><div class="gmail_quote"><div>On ... wrote:</div><blockquote>old</blockquote></div>'
    assert split_html(gmail) == ("<div>Thanks!</div>", gmail[len("<div>Thanks!</div>") :])
    apple = '<p>Done.</p><blockquote type="cite">old text</blockquote>'
    assert split_html(apple)[1] == '<blockquote type="cite">old text</blockquote>'
    assert split_html("<p>no quote</p>") == ("<p>no quote</p>", "")


def deliver(msg: EmailMessage) -> Message:
    receipt = intake.receive(channel="email", raw=msg.as_bytes())
    intake.process(receipt.request.pk)
    receipt.request.refresh_from_db()
    assert receipt.request.ticket is not None, receipt.request.reason
    return receipt.request.ticket.messages.get(author_kind="customer")


def test_it_stores_the_full_text_and_shows_the_quote_behind_a_toggle(cast) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "dewi@acme.test", "support@capgo.app", "Live update"
    msg.set_content(GMAIL)
    message = deliver(msg)
    assert message.body_text == GMAIL.strip()
    visible, _, folded = message.body_html.partition("<details")
    assert "Thanks, that fixed it." in visible and "notifyAppReady" not in visible
    assert "<summary>Show quoted text</summary>" in folded
    assert "&gt; Please call notifyAppReady() on start." in folded


def test_it_folds_the_quote_of_an_html_reply_and_sanitises_both_halves(cast) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "dewi@acme.test", "support@capgo.app", "Live update"
    msg.set_content(
        '<div>Fixed, thanks.<script>alert(1)</script></div><div class="gmail_quote">'
        "<div>On Tue wrote:</div><blockquote><img src=x onerror=alert(2)>old answer</blockquote></div>",
        subtype="html",
    )
    message = deliver(msg)
    visible, _, folded = message.body_html.partition("<details")
    assert "Fixed, thanks." in visible and "old answer" not in visible
    assert "old answer" in folded
    assert "alert" not in message.body_html and "onerror" not in message.body_html
    assert "old answer" in message.body_text
