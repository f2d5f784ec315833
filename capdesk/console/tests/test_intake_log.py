"""The intake log: admins see every stored request and what became of it, including mail ignored on purpose."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from capdesk.core.audit import Action
from capdesk.core.models import AuditEntry
from capdesk.intake import actions as intake
from capdesk.intake.models import InboundRequest
from capdesk.portal.actions import user_for_person
from capdesk.testing.factories import Personas
from capdesk.testing.requests import file_portal_request, open_for

SAMPLES = Path(__file__).parents[2] / "intake" / "tests" / "samples"
URL = "/console/intake/"


def _login(client: Client, user: object) -> Client:
    assert isinstance(user, User)
    client.force_login(user)
    return client


def _admin(client: Client, cast: Personas) -> Client:
    return _login(client, cast.admin)


def _row(html: str, pk: int) -> str:
    row = html[html.index(f'<tr data-request="{pk}">') :]
    return row[: row.index("</tr>")]


def _stored(sender: str, *, key: str, **fields: object) -> InboundRequest:
    return InboundRequest.objects.create(
        channel="email", idempotency_key=key, raw=b"x", claimed_sender=sender, **fields
    )


def _shown(client: Client, query: str = "") -> set[int]:
    html = client.get(f"{URL}?{query}").content.decode()
    return {r.pk for r in InboundRequest.objects.all() if f'<tr data-request="{r.pk}">' in html}


def test_it_sends_the_anonymous_visitor_to_the_console_sign_in(client: Client, cast: Personas) -> None:
    response = client.get(URL)
    assert (response.status_code, response["Location"]) == (302, f"/console/login/?next={URL}")


@pytest.mark.parametrize("customer", ["developer", "reader", "org_admin", "billing_admin", "outsider"])
def test_it_sends_any_customer_to_the_console_sign_in_as_the_quarantine_does(
    client: Client, cast: Personas, customer: str
) -> None:
    client.force_login(user_for_person(getattr(cast, customer)))
    for url in (URL, "/console/quarantine/"):
        response = client.get(url)
        assert (response.status_code, response["Location"].split("?")[0]) == (302, "/console/login/")


def test_it_refuses_an_agent_who_is_not_an_admin_as_the_audit_log_does(
    client: Client, cast: Personas
) -> None:
    held = _stored("dewi@acme.test", key="a")
    _login(client, cast.agent)
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}{held.pk}/raw/").status_code == 403
    assert client.get("/console/audit/").status_code == 403
    assert not AuditEntry.objects.filter(action=Action.INTAKE_DOWNLOADED).exists()


def test_it_shows_the_page_and_its_link_to_admins_only(client: Client, cast: Personas) -> None:
    response = _admin(client, cast).get(URL)
    assert response.status_code == 200
    assert 'href="/console/intake/">Intake log</a>' in response.content.decode()
    _login(client, cast.agent)
    assert "/console/intake/" not in client.get("/console/").content.decode()


def test_it_shows_an_ignored_out_of_office_reply_with_its_reason_and_no_ticket(
    client: Client, cast: Personas
) -> None:
    raw = (SAMPLES / "auto_replied.eml").read_bytes()
    receipt = intake.receive(
        channel="email", raw=raw, idempotency_key="<ooo-1@mail.acme.test>", claimed_sender="dewi@acme.test"
    )
    intake.receive(channel="email", raw=raw, idempotency_key="<ooo-1@mail.acme.test>")  # delivered twice
    intake.process(receipt.request.pk)
    receipt.request.refresh_from_db()
    assert (receipt.request.state, receipt.request.ticket) == (InboundRequest.State.PROCESSED, None)

    row = _row(_admin(client, cast).get(URL).content.decode(), receipt.request.pk)
    assert "Processed, no ticket" in row
    assert receipt.request.reason.startswith("automatic message ignored (")
    assert receipt.request.reason in row
    assert "dewi@acme.test" in row
    assert "<td>1</td>" in row  # the repeat delivery
    assert "/console/tickets/" not in row
    assert f'href="/console/intake/{receipt.request.pk}/raw/"' in row


def test_it_links_a_processed_request_to_its_ticket_and_names_the_signed_in_sender(
    client: Client, cast: Personas
) -> None:
    ticket = file_portal_request(cast.developer, "Updates stopped", "Since 6.1 nothing updates")
    request = InboundRequest.objects.get(ticket=ticket)
    row = _row(_admin(client, cast).get(URL).content.decode(), request.pk)
    assert f'<a href="/console/tickets/{ticket.reference}/">{ticket.reference}</a>' in row
    assert "Dewi Developer" in row and "signed in" in row
    assert ">portal<" in row


def test_it_gives_an_admin_any_stored_request_as_received_and_audits_it(
    client: Client, cast: Personas
) -> None:
    ticket = file_portal_request(cast.developer, "Updates stopped", "Since 6.1 nothing updates")
    request = InboundRequest.objects.get(ticket=ticket)
    response = _admin(client, cast).get(f"{URL}{request.pk}/raw/")
    assert response["Content-Type"] == "application/json"
    assert f'filename="request-{request.pk}.json"' in response["Content-Disposition"]
    assert response.content == bytes(request.raw)
    entry = AuditEntry.objects.get(action=Action.INTAKE_DOWNLOADED)
    assert (entry.actor_user_id, entry.target_id) == (cast.admin.pk, str(request.pk))
    assert client.get(f"{URL}999999/raw/").status_code == 404


def test_it_filters_by_state_by_ignored_automatic_mail_and_by_channel(client: Client, cast: Personas) -> None:
    ticket = open_for(cast.developer, "Crash", email="dewi@acme.test")
    opened = _stored("dewi@acme.test", key="opened", state="processed", ticket=ticket)
    ignored = _stored("dewi@acme.test", key="ooo", state="processed", reason="automatic message ignored (x)")
    held = _stored("dewi@acme.test", key="held", state="quarantined", reason="no From")
    waiting = _stored("dewi@acme.test", key="waiting")
    portal = InboundRequest.objects.create(
        channel="portal", idempotency_key="p", raw=b"{}", claimed_sender="dewi@acme.test"
    )
    _admin(client, cast)
    assert _shown(client) == {opened.pk, ignored.pk, held.pk, waiting.pk, portal.pk}
    assert _shown(client, "state=processed") == {opened.pk, ignored.pk}
    assert _shown(client, "state=ignored") == {ignored.pk}
    assert _shown(client, "state=quarantined") == {held.pk}
    assert _shown(client, "state=pending") == {waiting.pk, portal.pk}
    assert _shown(client, "state=pending&channel=portal") == {portal.pk}
    assert _shown(client, "channel=email&state=nonsense") == {opened.pk, ignored.pk, held.pk, waiting.pk}


def test_it_finds_a_sender_by_address_or_domain_whatever_the_case_and_never_another_domain(
    client: Client, cast: Personas
) -> None:
    dewi = _stored("dewi@acme.test", key="1")
    shouting = _stored("Rudi@ACME.Test", key="2")
    lookalike = _stored("dewi@notacme.test", key="3")
    longer = _stored("dewi@acme.test.example", key="4")
    sub = _stored("ops@eu.acme.test", key="5")
    _admin(client, cast)
    assert _shown(client, "sender=acme.test") == {dewi.pk, shouting.pk}
    assert _shown(client, "sender=%40ACME.TEST") == {dewi.pk, shouting.pk}
    assert _shown(client, "sender=DEWI%40acme.test") == {dewi.pk}
    assert _shown(client, "sender=rudi%40acme.test") == {shouting.pk}
    assert _shown(client, "sender=eu.acme.test") == {sub.pk}
    assert _shown(client, "sender=dewi") == set()
    assert lookalike.pk in _shown(client, "sender=notacme.test")
    assert longer.pk in _shown(client, "sender=acme.test.example")


def test_it_pages_newest_first_without_skipping_or_repeating_a_row(client: Client, cast: Personas) -> None:
    at = timezone.now()
    rows = [
        # Pairs share a second: the id breaks the tie, so the cursor neither skips nor repeats one.
        _stored("dewi@acme.test", key=str(n), received_at=at - timedelta(seconds=n // 2))
        for n in range(120)
    ]
    _admin(client, cast)
    seen: list[int] = []
    query = ""
    for _ in range(5):  # bounded: three pages are expected
        html = client.get(f"{URL}?{query}").content.decode()
        seen += [int(part.split('"')[0]) for part in html.split('<tr data-request="')[1:]]
        if "Older</a>" not in html:
            break
        query = html.split('href="?')[-1].split('"')[0].replace("&amp;", "&")
    expected = [r.pk for r in sorted(rows, key=lambda r: (r.received_at, r.pk), reverse=True)]
    assert seen == expected
    for broken in ("not-a-cursor", f"{at.isoformat()}_{10**30}", "2026-11-28T04:00:00_5"):
        assert client.get(URL, {"before": broken}).content.decode().count("<tr data-request=") == 50


def _page(client: Client, query: str) -> tuple[list[int], dict[str, str]]:
    """The ids a page shows, and its links by label ("Newest", "Newer", "Older")."""
    html = client.get(f"{URL}?{query}").content.decode()
    ids = [int(part.split('"')[0]) for part in html.split('<tr data-request="')[1:]]
    nav = html.split('<nav class="pages">')[1].split("</nav>")[0] if '<nav class="pages">' in html else ""
    links = {
        label.split("<")[0]: href.replace("&amp;", "&")
        for href, label in (part.split('">', 1) for part in nav.split('<a href="?')[1:])
    }
    return ids, links


def test_it_pages_back_to_newer_rows_the_way_it_came(client: Client, cast: Personas) -> None:
    at = timezone.now()
    for n in range(120):
        _stored("dewi@acme.test", key=str(n), received_at=at - timedelta(seconds=n // 2))
    InboundRequest.objects.create(
        channel="portal", idempotency_key="p", raw=b"{}", received_at=at
    )  # filtered out
    _admin(client, cast)
    forward: list[list[int]] = []
    query = "channel=email"
    for _ in range(5):  # bounded: three pages are expected
        ids, links = _page(client, query)
        forward.append(ids)
        if "Older" not in links:
            break
        query = links["Older"]
    assert [len(p) for p in forward] == [50, 50, 20]
    ids, links = _page(client, query)
    assert "Older" not in links and links["Newest"] == "channel=email"
    backward = [ids]
    for _ in range(5):
        if "Newer" not in links:
            break
        assert "channel=email" in links["Newer"]  # the filter stays on
        ids, links = _page(client, links["Newer"])
        backward.append(ids)
    assert backward[::-1] == forward
    assert "Newer" not in links and "Newest" not in links  # back on the first page


def test_a_newer_cursor_past_the_newest_row_shows_the_newest_page(client: Client, cast: Personas) -> None:
    row = _stored("dewi@acme.test", key="1")
    _admin(client, cast)
    ids, links = _page(client, f"after={(row.received_at + timedelta(days=1)).isoformat()}_1")
    assert ids == [row.pk] and links == {}


def _fill(count: int, cast: Personas) -> None:
    ticket = open_for(cast.developer, "Crash", email="dewi@acme.test")
    for n in range(InboundRequest.objects.count(), count):
        InboundRequest.objects.create(
            channel="portal",
            idempotency_key=f"fill-{n}",
            raw=b"{}",
            claimed_sender="dewi@acme.test",
            authenticated_person=cast.developer,
            state="processed",
            ticket=ticket,
            sender_verdict="verified",
        )


def test_it_reads_the_same_number_of_queries_for_five_rows_as_for_fifty(
    client: Client, cast: Personas, django_assert_max_num_queries
) -> None:
    _admin(client, cast)
    _fill(5, cast)
    with CaptureQueriesContext(connection) as five:
        assert client.get(URL).content.decode().count("<tr data-request=") == 5
    _fill(50, cast)
    with django_assert_max_num_queries(len(five.captured_queries)):
        assert client.get(URL).content.decode().count("<tr data-request=") == 50


def test_it_speaks_indonesian_to_an_admin_who_asks_for_it(client: Client, cast: Personas) -> None:
    _stored("dewi@acme.test", key="ooo", state="processed", reason="automatic message ignored (x)")
    html = _admin(client, cast).get(URL, HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert "Log penerimaan" in html
    assert "Diproses, tanpa tiket" in html
