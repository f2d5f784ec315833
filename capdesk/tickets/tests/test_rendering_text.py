"""Replies typed as people type email: line breaks kept, bare URLs linked, app ids left as text."""

from capdesk.tickets.rendering import render_markdown


def test_a_single_line_break_is_a_line_break_in_the_html():
    html = render_markdown("Hi Claire,\nplease send the device logs.\nThanks")
    assert html.count("<br>") == 2 and html.count("<p>") == 1


def test_a_bare_url_is_a_link_that_opens_nothing_of_ours():
    html = render_markdown("The guide: https://capgo.app/docs/live-updates/rollbacks/ (see step 3)")
    assert (
        '<a href="https://capgo.app/docs/live-updates/rollbacks/" rel="noopener noreferrer nofollow">' in html
    )


def test_an_app_id_or_a_domain_without_a_scheme_stays_text():
    html = render_markdown("com.acme.shop on capgo.app fails; see `https://example.com/x`")
    assert "<a " not in html


def test_a_script_url_is_not_made_a_link():
    assert "<a " not in render_markdown("javascript:alert(1) and vbscript:msgbox")
