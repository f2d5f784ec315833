"""Every id on a page is unique and every <label for> names a control there, so labels reach the right field."""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

import pytest
from django.test import Client

from capdesk.portal.actions import user_for_person
from capdesk.testing.requests import open_for
from capdesk.tickets.models import Ticket


class _Ids(HTMLParser):
    """Collects id attributes and the targets of label for= attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: Counter[str] = Counter()
        self.label_targets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "id" and value:
                self.ids[value] += 1
            if tag == "label" and name == "for" and value:
                self.label_targets.append(value)


def _problems(html: str) -> tuple[list[str], list[str]]:
    """The ids used more than once, and the label targets with no element of that id."""
    parser = _Ids()
    parser.feed(html)
    duplicates = sorted(i for i, n in parser.ids.items() if n > 1)
    dangling = sorted(t for t in parser.label_targets if t not in parser.ids)
    return duplicates, dangling


def _page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


@pytest.fixture
def ticket(cast) -> Ticket:
    return open_for(
        cast.developer,
        "Rollback loop after update",
        email="dewi@acme.test",
        project=cast.project,
        body="The app rolls back to 1.4.1 on every start.",
    )


def test_it_would_notice_a_repeated_id_and_a_label_for_nothing() -> None:
    html = '<label for="a">A</label><input id="x"><input id="x"><label for="x">X</label>'
    assert _problems(html) == (["x"], ["a"])


@pytest.mark.parametrize("who", ["agent", "admin"])
def test_it_gives_the_console_ticket_page_unique_ids_and_working_labels(
    client: Client, cast, ticket: Ticket, who: str
) -> None:
    client.force_login(getattr(cast, who))
    html = _page(client, f"/console/tickets/{ticket.reference}/")
    assert _problems(html) == ([], [])
    assert 'id="status-status"' in html and 'id="severity-reason"' in html  # the forms really were rendered


@pytest.mark.parametrize(
    "url",
    [
        "/console/",
        "/console/sla/report/",
        "/console/sla/credits/",
        "/console/sla/levels/",
        "/console/sla/levels/?policy=team&zone=Asia/Jakarta&severity=high",
        "/console/audit/",
        "/console/rotations/",
        "/console/macros/",
        "/console/reports/",
        "/console/incidents/",
        "/console/incidents/new/",
        "/console/quarantine/",
    ],
)
def test_it_gives_console_pages_unique_ids_and_working_labels(
    client: Client, cast, ticket: Ticket, url: str
) -> None:
    client.force_login(cast.admin)
    assert _problems(_page(client, url)) == ([], [])


def test_it_gives_portal_pages_unique_ids_and_working_labels(client: Client, cast, ticket: Ticket) -> None:
    assert _problems(_page(client, "/portal/sign-in/")) == ([], [])
    client.force_login(user_for_person(cast.developer))
    for url in ["/portal/requests/", f"/portal/requests/{ticket.reference}/", "/portal/requests/new/"]:
        assert _problems(_page(client, url)) == ([], []), url


def test_it_gives_the_status_page_unique_ids_and_working_labels(client: Client, cast) -> None:
    assert _problems(_page(client, "/status/")) == ([], [])
