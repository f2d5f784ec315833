"""In Chromium: a macro goes into an Indonesian ticket's reply box in Indonesian, the box says so, and a send clears it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from capdesk.console import actions as console_actions
from capdesk.testing.browser import sign_in_to_console
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets.models import Message, Ticket

pytestmark = pytest.mark.browser


def test_an_agent_inserts_a_macro_in_indonesian_sees_which_language_and_sends_it(
    browser_page: Page, cast
) -> None:
    page = browser_page
    ticket = ticket_actions.open_ticket(
        subject="Rollback",
        body="Bagaimana cara rollback?",
        channel="portal",
        requester=cast.developer,
        requester_email="dewi@acme.test",
        project=cast.project,
    )
    Ticket.objects.filter(pk=ticket.pk).update(language="id")
    console_actions.save_macro(
        owner=cast.agent,
        title="Ask for versions",
        body="Hello {name}, which versions does {project} run?",
        shared=True,
        translations={
            "id": {"title": "Minta versi", "body": "Halo {name}, versi berapa yang dijalankan {project}?"}
        },
    )
    console_actions.save_macro(
        owner=cast.agent, title="Out of scope", body="Hello {name}: {reason}", shared=True
    )
    sign_in_to_console(page)
    page.goto(f"/console/tickets/{ticket.reference}/")
    page.wait_for_load_state("load")

    page.select_option("#macro", label="Out of scope")
    page.click("#macro-form button[type=submit]")
    expect(page.locator("#macro-language")).to_have_text(
        "This macro has no text in Indonesian: inserted in English."
    )
    expect(page.locator("#macro-unfilled")).to_contain_text("{reason}")

    page.fill("#id_body", "")
    page.select_option("#macro", label="Ask for versions")
    page.click("#macro-form button[type=submit]")
    expect(page.locator("#id_body")).to_have_value(
        "Halo Dewi Developer, versi berapa yang dijalankan com.acme.shop?\n"
    )
    expect(page.locator("#macro-language")).to_have_text("Inserted in Indonesian.")
    expect(page.locator("#macro-unfilled")).to_be_hidden()
    assert page.url.endswith(f"/console/tickets/{ticket.reference}/")  # by the script, no reload

    page.click("#reply button[type=submit]:text('Send')")
    expect(page.locator("#conversation")).to_contain_text("versi berapa")
    expect(page.locator("#macro-language")).to_be_hidden()
    assert page.url.endswith(f"/console/tickets/{ticket.reference}/")  # sent over htmx
    assert Message.objects.filter(ticket=ticket, author_kind="agent", public=True).count() == 1
