"""403 and 404 pages in the site's style, and a favicon so browsers do not ask for a missing /favicon.ico."""

from __future__ import annotations

from django.contrib.staticfiles import finders
from django.test import Client


def test_it_shows_an_agent_a_styled_403_on_the_admins_audit_log(client: Client, cast) -> None:
    client.force_login(cast.agent)
    response = client.get("/console/audit/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "capdesk/capdesk.css" in html
    assert "<h1>Access denied</h1>" in html
    assert 'href="/console/">Back to the console</a>' in html


def test_it_shows_a_styled_404_that_leads_a_customer_to_the_start_page(client: Client, cast) -> None:
    response = client.get("/portal/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "capdesk/capdesk.css" in html
    assert "<h1>Page not found</h1>" in html
    assert 'href="/">Back to the start page</a>' in html


def test_it_links_a_favicon_that_exists_from_every_page(client: Client) -> None:
    html = client.get("/portal/sign-in/").content.decode()
    assert 'rel="icon" href="/static/capdesk/favicon.svg"' in html
    assert finders.find("capdesk/favicon.svg")


def test_it_shows_the_error_pages_in_indonesian_to_someone_who_chose_it(
    client: Client, cast, settings
) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    client.force_login(cast.agent)
    assert "<h1>Akses ditolak</h1>" in client.get("/console/audit/").content.decode()
    assert "<h1>Halaman tidak ditemukan</h1>" in client.get("/portal/no-such-page/").content.decode()
