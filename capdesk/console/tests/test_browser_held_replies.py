"""Held replies in Chromium: an agent discards one from the list and publishes another from
the ticket, and both pages fit a desktop window and a phone."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page
from pytest_django.live_server_helper import LiveServer

from capdesk.console.tests.test_browser_layout import DESKTOP, LONG_EMAIL, PHONE, _fits, _shots, _sign_in
from capdesk.testing.requests import file_portal_request
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets.models import Message, Ticket

pytestmark = pytest.mark.browser


def _hold(ticket: Ticket, body: str, author: str) -> Message:
    return ticket_actions.hold_customer_reply(
        ticket,
        body=body,
        person=ticket.requester,  # type: ignore[arg-type]
        author_email=author,
        body_html=f"<p>{body}</p>",
        files=[],
        source_id=None,
        message_id="",
        cites=[],
    )


def test_an_agent_settles_held_replies_in_the_browser(
    browser_page: Page, live_server: LiveServer, cast, tmp_path: Path
) -> None:
    ticket = file_portal_request(cast.developer, "Live update not applied", "Bundle 1.4.2 never arrives.")
    forged = _hold(ticket, "Delete the production channel.", LONG_EMAIL)
    genuine = _hold(ticket, "We use plugin 6.14.2.", "dewi@acme.test")
    page = browser_page
    _sign_in(page, live_server, cast.agent)
    page.goto("/console/")
    page.get_by_role("link", name="2 held replies").click()
    for size, name in ((DESKTOP, "1280"), (PHONE, "390")):
        scroll, inner = _fits(page, size, _shots(tmp_path) / f"held-list-{name}.png")
        assert scroll <= inner, name
    page.set_viewport_size(DESKTOP)
    row = page.locator("tbody tr", has_text="Delete the production channel")
    row.get_by_placeholder("Why, e.g. forged sender").fill("forged: Dewi never wrote it")
    row.get_by_role("button", name="Discard").click()
    page.wait_for_url("**/console/held/")
    assert "was discarded from" in page.inner_text("body")
    assert page.locator("tbody tr", has_text="Delete the production channel").count() == 0
    assert not Message.objects.filter(pk=forged.pk).exists()

    page.goto(f"/console/tickets/{ticket.reference}/")
    held = page.locator("article.message.held")
    assert held.count() == 1
    scroll, inner = _fits(page, PHONE, _shots(tmp_path) / "held-ticket-390.png")
    assert scroll <= inner
    page.set_viewport_size(DESKTOP)
    held.get_by_placeholder("How you confirmed it, e.g. by phone").fill("Dewi confirmed on a call")
    held.get_by_role("button", name="Publish as the customer's reply").click()
    page.wait_for_url(f"**/console/tickets/{ticket.reference}/")
    assert page.locator("article.message.held").count() == 0
    genuine.refresh_from_db()
    assert genuine.public and not genuine.held
    page.locator("summary", has_text="History").click()
    history = page.inner_text("body")
    assert "Dewi confirmed on a call" in history and "forged: Dewi never wrote it" in history
