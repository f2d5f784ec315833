"""Leaving a copied address out of one reply, in Debian's Chromium: the htmx reply box, then the next reply."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from capdesk.notify.models import OutboundEmail
from capdesk.testing.browser import sign_in_to_console
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets import copies

pytestmark = pytest.mark.browser


def _sent_to(ticket, body: str) -> set[str]:
    return set(
        OutboundEmail.objects.filter(
            ticket_id=ticket.pk, kind="agent_reply", body_text__startswith=body
        ).values_list("to", flat=True)
    )


def test_an_agent_unticks_a_copied_address_for_one_reply_and_the_box_is_ticked_again(
    browser_page: Page, cast
) -> None:
    page = browser_page
    ticket = ticket_actions.open_ticket(
        subject="Rollback loop after update",
        body="The app rolls back to 1.4.1 on every start.",
        channel="portal",
        requester=cast.developer,
        requester_email="dewi@acme.test",
        project=cast.project,
    )
    copies.add(ticket, ["kim@acme.test", "lee@partner.test"], how="agent", user=cast.agent)
    sign_in_to_console(page)
    page.goto(f"/console/tickets/{ticket.reference}/")
    page.wait_for_load_state("load")

    lee = page.get_by_label("lee@partner.test")
    expect(lee).to_be_checked()
    # An internal note is emailed to nobody: the choice goes away while it is ticked.
    page.get_by_label("Internal note (not sent to the customer)").check()
    expect(page.locator("#reply-copied")).to_be_hidden()
    expect(page.locator("#emailed-to")).to_be_hidden()
    page.get_by_label("Internal note (not sent to the customer)").uncheck()
    expect(lee).to_be_visible()
    lee.uncheck()
    page.fill("#id_body", "First answer, not for Lee.")
    page.locator("#reply button[type=submit]").click()
    expect(page.locator("#conversation")).to_contain_text("First answer, not for Lee.")
    # The form is reset after an htmx reply: the next one goes to everyone again.
    expect(lee).to_be_checked()
    page.fill("#id_body", "Second answer, for all.")
    page.locator("#reply button[type=submit]").click()
    expect(page.locator("#conversation")).to_contain_text("Second answer, for all.")

    assert _sent_to(ticket, "First answer") == {"dewi@acme.test", "kim@acme.test"}
    assert _sent_to(ticket, "Second answer") == {"dewi@acme.test", "kim@acme.test", "lee@partner.test"}
    expect(
        page.locator("#history-events li").filter(has_text="not emailed to lee@partner.test (still copied)")
    ).to_have_count(1)
