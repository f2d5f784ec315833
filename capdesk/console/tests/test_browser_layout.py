"""Pages fit the window in Debian's Chromium: long addresses, app ids and code lines wrap or scroll inside their box."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import FloatRect, Locator, Page, ViewportSize
from pytest_django.live_server_helper import LiveServer

from capdesk.directory.models import Person
from capdesk.portal.actions import user_for_person
from capdesk.testing.factories import PersonFactory, ProjectFactory, bind
from capdesk.testing.requests import open_for
from capdesk.tickets.models import Ticket

pytestmark = pytest.mark.browser

LONG_EMAIL = "dewi.santoso.engineering.lead@kopinusantara-mobile-apps.co.id"
LONG_APP_ID = "com.kopinusantara.app.production.flavour.indonesia"
LONG_CODE = (
    "const res = await CapacitorUpdater.download({ url: 'https://example.com/bundles/kopinusantara/"
    "bundle-1.4.0-production-indonesia.zip', version: '1.4.0', checksum: 'a3f1c0ffee0123456789abcdef' });"
)
LONG_WORD = "https://cdn.example.com/" + "a" * 160
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}


def _shots(tmp_path: Path) -> Path:
    """Screenshots go to $CAPDESK_SCREENSHOTS when set, else the test's folder."""
    folder = Path(os.environ.get("CAPDESK_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _sign_in(page: Page, live_server: LiveServer, user: object) -> None:
    """A session cookie from Django's test client: the sign-in pages have tests of their own."""
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )


def _long_ticket(cast) -> tuple[Ticket, Person]:
    person = PersonFactory.create(name="Dewi Santoso", email=LONG_EMAIL)
    project = ProjectFactory.create(app_id=LONG_APP_ID, organization=cast.org)
    bind(person, "app_developer", project=project)
    body = f"After upgrading, see {LONG_WORD}\n\nSnippet:\n```\n{LONG_CODE}\n```"
    subject = "Update not applied on iOS after download of the production bundle for Indonesia"
    return open_for(person, subject, email=LONG_EMAIL, project=project, body=body), person


def _box(locator: Locator) -> FloatRect:
    box = locator.bounding_box()
    assert box is not None, "not rendered"
    return box


def _fits(page: Page, size: ViewportSize, shot: Path) -> tuple[int, int]:
    page.set_viewport_size(size)
    page.wait_for_load_state("load")
    page.screenshot(path=shot, full_page=True)
    widths: tuple[int, int] = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    return widths


def test_it_keeps_the_console_ticket_page_within_the_window_on_a_desktop_and_a_phone(
    browser_page: Page, live_server: LiveServer, cast, tmp_path: Path
) -> None:
    ticket, _ = _long_ticket(cast)
    _sign_in(browser_page, live_server, cast.agent)
    browser_page.goto(f"/console/tickets/{ticket.reference}/")
    shots = _shots(tmp_path)
    scroll, inner = _fits(browser_page, DESKTOP, shots / "layout-console-ticket-1280.png")
    assert scroll <= inner
    scroll, inner = _fits(browser_page, PHONE, shots / "layout-console-ticket-390.png")
    assert scroll <= inner


def test_it_keeps_the_portal_list_and_request_within_a_phone_screen(
    browser_page: Page, live_server: LiveServer, cast, tmp_path: Path
) -> None:
    ticket, person = _long_ticket(cast)
    _sign_in(browser_page, live_server, user_for_person(person))
    shots = _shots(tmp_path)
    browser_page.set_viewport_size(PHONE)
    browser_page.goto("/portal/requests/")
    scroll, inner = _fits(browser_page, PHONE, shots / "layout-portal-list-390.png")
    assert scroll <= inner
    browser_page.goto(f"/portal/requests/{ticket.reference}/")
    scroll, inner = _fits(browser_page, PHONE, shots / "layout-portal-request-390.png")
    assert scroll <= inner


def test_it_gives_the_subject_column_the_room_and_keeps_references_and_due_dates_on_one_line(
    browser_page: Page, live_server: LiveServer, cast, tmp_path: Path
) -> None:
    _long_ticket(cast)
    _sign_in(browser_page, live_server, cast.agent)
    browser_page.set_viewport_size(DESKTOP)
    browser_page.goto("/console/")
    scroll, inner = _fits(browser_page, DESKTOP, _shots(tmp_path) / "layout-console-queue-1280.png")
    assert scroll <= inner
    row = browser_page.locator("#ticket-rows tr").first
    one_line = "el => el.getClientRects().length === 1"
    assert row.locator("td:nth-child(2) a").evaluate(one_line)
    assert row.locator("td:nth-child(8) time").evaluate(one_line)
    assert row.locator("td:nth-child(3)").evaluate("el => el.getBoundingClientRect().width") >= 250


@pytest.mark.parametrize(
    ("url", "shot"), [("/console/audit/", "audit"), ("/console/sla/report/", "sla-report")]
)
def test_it_puts_each_filter_label_above_its_control_and_the_csv_link_level_with_the_button(
    browser_page: Page, live_server: LiveServer, cast, tmp_path: Path, url: str, shot: str
) -> None:
    _sign_in(browser_page, live_server, cast.admin)
    browser_page.goto(url)
    scroll, inner = _fits(browser_page, DESKTOP, _shots(tmp_path) / f"layout-{shot}-1280.png")
    assert scroll <= inner
    form = browser_page.locator("main form").first
    # The label's own text, whether the label wraps its control or points at it with for=.
    above = """el => { const r = document.createRange(); r.selectNodeContents(el.firstChild);
        return r.getBoundingClientRect().bottom <= el.control.getBoundingClientRect().top + 1; }"""
    labels = form.locator("label").all()
    assert len(labels) >= 2
    assert all(label.evaluate(above) for label in labels)
    button = _box(form.locator("button"))
    link = _box(form.get_by_text("Export CSV"))
    assert abs((link["y"] + link["height"] / 2) - (button["y"] + button["height"] / 2)) <= 4


def test_it_shows_the_sign_in_as_a_narrow_centred_card_under_the_csp(
    browser_page: Page, tmp_path: Path
) -> None:
    browser_page.goto("/portal/sign-in/")
    _fits(browser_page, DESKTOP, _shots(tmp_path) / "layout-portal-sign-in-1280.png")
    card = _box(browser_page.locator("main .card"))
    assert card["width"] <= 480
    assert abs(card["x"] + card["width"] / 2 - DESKTOP["width"] / 2) <= 20


def test_it_shows_an_agent_the_styled_403_page(
    browser_page: Page, live_server: LiveServer, cast, tmp_path: Path
) -> None:
    _sign_in(browser_page, live_server, cast.agent)
    browser_page.goto("/console/audit/")
    _fits(browser_page, DESKTOP, _shots(tmp_path) / "layout-403-1280.png")
    assert browser_page.locator("h1").inner_text() == "Access denied"
    assert browser_page.locator("header.top").is_visible()
