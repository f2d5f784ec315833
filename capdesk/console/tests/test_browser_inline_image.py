"""In Chromium, under the console's CSP, an email's pasted screenshot really shows in the message."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from capdesk.intake import actions as intake_actions
from capdesk.testing.browser import sign_in_to_console
from capdesk.tickets.tests.test_inline_images import screenshot_mail

pytestmark = pytest.mark.browser


def test_it_renders_the_inline_screenshot_on_the_console_ticket_page(
    browser_page: Page, cast, run_worker: Callable[[], None]
) -> None:
    receipt = intake_actions.receive(channel="email", raw=screenshot_mail())
    run_worker()
    receipt.request.refresh_from_db()
    assert receipt.request.ticket is not None
    page = browser_page
    sign_in_to_console(page)
    page.goto(f"/console/tickets/{receipt.request.ticket.reference}/")
    image = page.get_by_role("img", name="the error dialog")
    expect(image).to_be_visible()
    page.wait_for_function("img => img.complete", arg=image.element_handle())
    assert image.evaluate("img => img.naturalWidth") == 3
    expect(page.get_by_text("[remote image not loaded: tracker.example]")).to_be_visible()
