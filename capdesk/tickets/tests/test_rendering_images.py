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


def test_it_leaves_an_image_without_a_scheme_or_host_as_it_was() -> None:
    assert sanitise_email('<img src="x" alt="screenshot">') == '<img src="x" alt="screenshot">'


def test_it_keeps_an_emails_inline_image_as_the_mail_cites_it() -> None:
    assert sanitise_email('<img src="cid:a@b" alt="shot">') == '<img src="cid:a@b" alt="shot">'


def test_it_leaves_an_agents_markdown_image_as_it_was() -> None:
    assert '<img src="https://capgo.app/docs/shot.png" alt="shot">' in render_markdown(
        "![shot](https://capgo.app/docs/shot.png)"
    )
