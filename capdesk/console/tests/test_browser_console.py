"""The console in Debian's Chromium: search, macros, shortcuts, presence, reports; and on a phone."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from capdesk.console import actions as console_actions
from capdesk.knowledge.demo import load_demo
from capdesk.testing.browser import sign_in_to_console
from capdesk.testing.requests import open_for
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets.models import Event, Ticket

pytestmark = pytest.mark.browser


def _shots(tmp_path: Path) -> Path:
    """Screenshots go to $CAPDESK_SCREENSHOTS when set (CI keeps them as artifacts), else the test's folder."""
    folder = Path(os.environ.get("CAPDESK_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _tickets(cast) -> list[Ticket]:
    subjects = [
        ("Rollback loop after update", "The app rolls back to 1.4.1 on every start since bundle 1.4.2."),
        ("Invoice needs our VAT number", "Please add VAT ID ID-0123 to the November invoice."),
        ("Channel override for testers", "How do testers get the beta channel?"),
    ]
    return [
        ticket_actions.open_ticket(
            subject=s,
            body=b,
            channel="portal",
            requester=cast.developer,
            requester_email="dewi@acme.test",
            project=cast.project,
        )
        for s, b in subjects
    ]


def test_an_agent_searches_moves_with_keys_answers_with_a_macro_and_sees_a_colleague(
    browser_page: Page, cast, tmp_path: Path
) -> None:
    page = browser_page
    shots = _shots(tmp_path)
    rollback, _invoice, _channel = _tickets(cast)
    console_actions.save_macro(
        owner=cast.agent,
        title="Ask for versions",
        body="Hello {name}, which versions does {project} run?",
        shared=True,
    )
    sign_in_to_console(page)

    page.keyboard.press("/")
    expect(page.locator("#q")).to_be_focused()
    page.keyboard.type("rolls back")
    page.keyboard.press("Enter")
    expect(page.locator("table.tickets mark").first).to_have_text("rolls")
    expect(page.locator("table.tickets tbody tr")).to_have_count(1)
    page.screenshot(path=shots / "console-search.png", full_page=True)

    page.goto("/console/?view=all")
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(page.locator("tr.current")).to_have_count(1)
    page.keyboard.press("Enter")
    second = page.locator("h1 .muted").inner_text()
    page.wait_for_load_state("load")
    page.keyboard.press("j")
    expect(page.locator("h1 .muted")).not_to_have_text(second)

    page.goto(f"/console/tickets/{rollback.reference}/")
    page.keyboard.press("a")
    expect(page.locator("aside")).to_contain_text("agent")
    page.select_option("#macro", label="Ask for versions")
    page.click("#macro-form button[type=submit]")
    expect(page.locator("#id_body")).to_have_value(
        "Hello Dewi Developer, which versions does com.acme.shop run?\n"
    )
    assert page.url.endswith(f"/console/tickets/{rollback.reference}/")  # inserted by the script, no reload
    page.keyboard.press("Escape")
    page.keyboard.press("n")
    expect(page.locator("#id_internal")).to_be_checked()
    expect(page.locator("#id_body")).to_be_focused()

    # A colleague opens the same ticket: the notice appears without a reload.
    console_actions.touch_presence(rollback, cast.admin, replying=True)
    expect(page.locator("#presence")).to_have_text("admin is replying to this ticket.", timeout=20_000)
    page.screenshot(path=shots / "console-ticket-macro.png", full_page=True)
    rollback.refresh_from_db()
    assert rollback.assignee == cast.agent
    assert Event.objects.filter(ticket=rollback, kind="assigned").exists()


def test_reports_and_the_knowledge_base_read_on_a_phone(browser_page: Page, cast, tmp_path: Path) -> None:
    page = browser_page
    shots = _shots(tmp_path)
    load_demo()
    _tickets(cast)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in_to_console(page)
    for path, name in [
        ("/console/", "phone-console-list.png"),
        ("/console/reports/", "phone-reports.png"),
        ("/kb/?q=rollback", "phone-kb.png"),
        ("/kb/notify-app-ready/", "phone-kb-article.png"),
    ]:
        page.goto(path)
        page.screenshot(path=shots / name, full_page=True)
        # Nothing wider than the screen: no sideways scrolling to read a page.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width}px wide on a 390px screen"
    assert (shots / "phone-reports.png").read_bytes().startswith(b"\x89PNG")


def test_an_agent_reads_on_past_the_first_page_and_moves_through_the_new_rows_with_keys(
    browser_page: Page, cast, tmp_path: Path
) -> None:
    page = browser_page
    for n in range(53):
        open_for(cast.developer, f"Queue ticket {n:02d}", email="dewi@acme.test", project=cast.project)
    sign_in_to_console(page)
    rows = page.locator("#ticket-rows tr[data-href]")
    expect(rows).to_have_count(50)
    page.get_by_role("link", name="Show more").click()
    expect(rows).to_have_count(53)
    expect(page.get_by_role("link", name="Show more")).to_have_count(0)
    # Focus went to the first new row, and j / k walk the rows drawn by htmx.
    expect(rows.nth(50).locator("a")).to_be_focused()
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(rows.nth(1)).to_have_class("current")
    for _ in range(55):
        page.keyboard.press("j")
    expect(rows.nth(52)).to_have_class("current")
    page.screenshot(path=str(_shots(tmp_path) / "console-list-more.png"), full_page=True)


def test_an_agent_is_told_which_placeholders_a_macro_left_and_cannot_send_them(
    browser_page: Page, cast
) -> None:
    page = browser_page
    rollback, _invoice, _channel = _tickets(cast)
    sign_in_to_console(page)
    page.goto(f"/console/tickets/{rollback.reference}/")
    expect(page.locator("#macro-unfilled")).to_be_hidden()
    page.select_option("#macro", label="Point to the status page for an ongoing incident")
    page.click("#macro-form button[type=submit]")
    expect(page.locator("#macro-unfilled")).to_contain_text(
        "Still to fill in before sending: {incident_title}, {incident_started}, {incident_url}."
    )
    expect(page.locator("#macro-unfilled")).to_contain_text("Link the ticket to its incident")
    page.click("#reply button[type=submit]")
    expect(page.locator("#reply-errors")).to_contain_text("Fill in or remove {incident_title}")
    expect(page.locator("#id_body")).to_have_value(re.compile(r"\{incident_url\}"))  # the typed text stays
    assert not rollback.messages.filter(author_kind="agent", public=True).exists()
