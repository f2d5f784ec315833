"""In Debian's Chromium: merging from the ticket page, and htmx answering, filtering and assigning without reloads."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from capdesk.testing.browser import sign_in_to_console
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets.models import Message, Ticket

pytestmark = pytest.mark.browser


def _shots(tmp_path: Path) -> Path:
    """Screenshots go to $CAPDESK_SCREENSHOTS when set (CI keeps them as artifacts), else the test's folder."""
    folder = Path(os.environ.get("CAPDESK_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _sign_in_agent(page: Page) -> None:
    sign_in_to_console(page)
    page.wait_for_load_state("load")


def _open(cast, subject: str, body: str) -> Ticket:
    return ticket_actions.open_ticket(
        subject=subject,
        body=body,
        channel="portal",
        requester=cast.developer,
        requester_email="dewi@acme.test",
        project=cast.project,
    )


def _refused_by_csp(page: Page) -> list[str]:
    refused: list[str] = []

    def note(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            refused.append(f"{message.text} at {message.location}")

    page.on("console", note)
    return refused


def test_an_agent_merges_a_duplicate_from_its_ticket_page_after_confirming(
    browser_page: Page, cast, tmp_path
):
    page = browser_page
    shots = _shots(tmp_path)
    kept = _open(cast, "Rollback loop after update", "The app rolls back to 1.4.1 on every start.")
    dup = _open(cast, "Still rolling back", "Same again today, bundle 1.4.3.")
    _sign_in_agent(page)

    page.goto(f"/console/tickets/{dup.reference}/")
    page.fill("#id_into", kept.reference)
    page.click("#merge button[type=submit]")

    confirm = page.locator("#merge-confirm")
    expect(confirm).to_contain_text("Rollback loop after update")
    expect(confirm).to_contain_text("Still rolling back")
    page.screenshot(path=shots / "console-merge-confirm.png", full_page=True)
    page.click("#merge-confirm button[type=submit]")

    expect(page).to_have_url(f"{page.url.split('/console/')[0]}/console/tickets/{kept.reference}/")
    expect(page.locator(".flash")).to_contain_text(f"{dup.reference} was merged into {kept.reference}")
    expect(page.locator("#conversation")).to_contain_text("Same again today, bundle 1.4.3.")
    page.screenshot(path=shots / "console-merged.png", full_page=True)
    dup.refresh_from_db()
    assert dup.merged_into_id == kept.pk and dup.status == "closed"


def test_an_agent_replies_assigns_and_filters_without_a_page_load(browser_page: Page, cast, tmp_path):
    page = browser_page
    shots = _shots(tmp_path)
    refused = _refused_by_csp(page)
    ticket = _open(cast, "Rollback loop after update", "The app rolls back to 1.4.1 on every start.")
    _open(cast, "Invoice needs our VAT number", "Please add VAT ID ID-0123.")
    _sign_in_agent(page)

    page.goto(f"/console/tickets/{ticket.reference}/")
    page.wait_for_load_state("load")
    # A mark on this document: a full page load would start a new one without it.
    page.evaluate("window.__capdeskSamePage = true")
    page.fill("#id_body", "Please run `npx @capgo/cli bundle list` and send us the output.")
    page.click("#reply button[type=submit]")

    expect(page.locator("#conversation article")).to_have_count(2)
    expect(page.locator("#conversation article").last).to_contain_text("npx @capgo/cli bundle list")
    expect(page.locator("#ticket-facts")).to_contain_text("Pending customer")
    expect(page.locator("#ticket-facts select[name=status]")).to_have_value("pending")
    expect(page.locator("#id_body")).to_have_value("")
    page.click("#take button[type=submit]")
    # The Assignee fact itself: the panel's assign select names every agent before and after.
    expect(page.locator("#ticket-facts dt:text-is('Assignee') + dd")).to_have_text("agent")
    assert page.evaluate("window.__capdeskSamePage") is True
    page.screenshot(path=shots / "console-htmx-reply.png", full_page=True)
    assert Message.objects.filter(ticket=ticket, author_kind="agent").count() == 1

    page.goto("/console/")
    page.wait_for_load_state("load")
    page.evaluate("window.__capdeskSamePage = true")
    expect(page.locator("#ticket-rows tr")).to_have_count(2)
    page.select_option("#f-status", "pending")
    expect(page.locator("#ticket-rows tr")).to_have_count(1)
    expect(page.locator("#ticket-rows")).to_contain_text("Rollback loop after update")
    assert page.evaluate("window.__capdeskSamePage") is True
    assert "status=pending" in page.url  # pushed, so a reload or a shared link shows the same rows
    # j / k on a ticket page walk the filtered list, not the one first loaded.
    remembered = page.evaluate("JSON.parse(sessionStorage.getItem('capdesk.console.list'))")
    assert remembered == [f"/console/tickets/{ticket.reference}/"]
    page.screenshot(path=shots / "console-htmx-filter.png", full_page=True)
    assert refused == []
