"""Which images a body keeps: an email's own parts yes, anything fetched from elsewhere no."""

from __future__ import annotations

from capdesk.tickets.rendering import render_markdown, sanitise_email


def test_it_turns_an_emails_remote_image_into_a_mark_with_its_alt_text_or_host() -> None:
    shown = sanitise_email(
        '<img src="https://tracker.example/p.gif?id=1&amp;x=2"><img alt="Our &quot;logo&quot;" src="//cdn.example/l.png">'
    )
    assert shown == (
        '<span class="remote-image">tracker.example</span><span class="remote-image">Our &quot;logo&quot;</span>'
    )


def test_it_does_not_load_an_image_with_a_relative_src_from_the_desk_either() -> None:
    # It would be fetched from the desk itself, with the reader's cookies.
    assert (
        sanitise_email('<img src="/console/x" alt="screenshot">')
        == '<span class="remote-image">screenshot</span>'
    )


def test_it_keeps_an_emails_inline_image_as_the_mail_cites_it() -> None:
    assert sanitise_email('<img src="cid:a@b" alt="shot">') == '<img src="cid:a@b" alt="shot">'


def test_it_leaves_an_agents_markdown_image_as_it_was() -> None:
    assert '<img src="https://capgo.app/docs/shot.png" alt="shot">' in render_markdown(
        "![shot](https://capgo.app/docs/shot.png)"
    )
