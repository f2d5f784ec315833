"""Quoted history is cut before the classifier reads a request."""

from capdesk.policy.classifier.text import MAX_BODY_CHARS, prepare, strip_quoted, strip_reply_prefix


def test_it_cuts_a_gmail_attribution_and_everything_below_it():
    body = "Still broken today.\n\nOn Tue, 3 Mar 2026 at 10:12, Capgo Support <support@capgo.app> wrote:\n> Hi, can you share your invoice?\n"
    assert strip_quoted(body) == "Still broken today."


def test_it_cuts_an_attribution_wrapped_over_two_lines():
    body = "New info below.\n\nOn Tue, Mar 3, 2026 at 10:12 AM Capgo Support <\nsupport@capgo.app> wrote:\n> old text"
    assert strip_quoted(body) == "New info below."


def test_it_cuts_an_indonesian_attribution():
    body = "Masih error kak.\n\nPada Sel, 3 Mar 2026 pukul 10.12 Capgo Support <support@capgo.app> menulis:\n> Halo, tagihan terlampir."
    assert strip_quoted(body) == "Masih error kak."


def test_it_cuts_an_outlook_original_message_without_quote_marks():
    body = "Card updated.\n\n-----Original Message-----\nFrom: Capgo Billing <billing@capgo.app>\nSent: Thursday\n\nYour payment failed."
    assert strip_quoted(body) == "Card updated."


def test_it_cuts_an_outlook_header_block():
    body = "See below.\n\nFrom: Capgo Support <support@capgo.app>\nSent: Monday, 2 March 2026 09:00\nTo: dev@acme.test\n\nold"
    assert strip_quoted(body) == "See below."


def test_it_drops_interleaved_quote_lines_but_keeps_the_answers_between_them():
    body = "> Which version?\n6.14.2\n> Which platform?\nAndroid 14"
    assert strip_quoted(body) == "6.14.2\nAndroid 14"


def test_it_keeps_a_body_that_is_only_quoted_rather_than_return_nothing():
    assert strip_quoted("> forwarded: app is down") == "> forwarded: app is down"


def test_it_keeps_a_from_line_that_is_not_a_mail_header():
    body = "From: the docs I understood channels differently.\nHow do I set one?"
    assert strip_quoted(body) == body


def test_it_strips_reply_and_forward_prefixes_from_the_subject():
    assert strip_reply_prefix("Re: RE: Fwd: Bls: checksum error") == "checksum error"


def test_it_turns_digits_into_zeros_and_reads_only_the_head_of_a_long_body():
    text = prepare("Re: v6.14.2 broken", "x" * (MAX_BODY_CHARS + 500))
    assert text.startswith("v0.00.0 broken\n")
    assert len(text) == len("v0.00.0 broken\n") + MAX_BODY_CHARS
