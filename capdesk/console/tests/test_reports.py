import csv
import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from time_machine import travel

from capdesk.console import charts, reports
from capdesk.directory.models import Plan
from capdesk.portal.actions import user_for_person
from capdesk.testing.factories import OrganizationFactory
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets.models import Ticket


def _ticket(cast, *, channel="portal", outcome="accept", days_ago=0, org=None):
    ticket = ticket_actions.open_ticket(
        subject="s",
        body="b",
        channel=channel,
        requester=None,
        requester_email="x@example.com",
        organization=org or cast.org,
    )
    Ticket.objects.filter(pk=ticket.pk).update(
        outcome=outcome, created_at=timezone.now() - timedelta(days=days_ago)
    )
    return ticket


@pytest.fixture
def frozen():
    with travel("2026-11-27 10:00:00Z", tick=False):
        yield


def test_it_counts_requests_per_week_by_channel_and_plan(cast, frozen):
    enterprise = OrganizationFactory.create(plan=Plan.ENTERPRISE)
    _ticket(cast, channel="email")
    _ticket(cast, channel="email", days_ago=7)
    _ticket(cast, channel="portal", org=enterprise)
    _ticket(cast, channel="portal", days_ago=200)  # outside the window
    table = reports.volume(Ticket.objects.all(), "channel", 4)
    assert [w.isoformat() for w in table.weeks] == ["2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23"]
    assert table.keys == ["email", "portal"]
    assert table.row("email") == [0, 0, 1, 1]
    assert table.row("portal") == [0, 0, 0, 1]
    plans = reports.volume(Ticket.objects.all(), "plan", 4)
    assert plans.row("enterprise") == [0, 0, 0, 1] and plans.row("team") == [0, 0, 1, 1]


def test_it_counts_as_deflected_only_requests_answered_at_once(cast, frozen):
    for outcome in ("refer_status", "redirect_community", "deny_role", "accept", "triage"):
        _ticket(cast, outcome=outcome)
    result = reports.deflection(Ticket.objects.all(), 4)
    assert (result.deflected, result.total, result.rate) == (3, 5, 60)
    assert result.by_outcome == {"refer_status": 1, "redirect_community": 1, "deny_role": 1}


def test_it_draws_a_chart_whose_bars_say_their_numbers_and_escape_names():
    svg = charts.stacked_bars(
        ["02 Nov", "09 Nov"], [charts.Series("<b>email</b>", [1, 3])], title="By channel"
    )
    assert svg.startswith('<svg class="chart"') and 'role="img"' in svg
    assert "<title>09 Nov · &lt;b&gt;email&lt;/b&gt;: 3</title>" in svg
    assert "<b>" not in svg
    assert "style=" not in svg  # the CSP allows no inline styles


def test_it_shows_the_reports_page_and_exports_csv_to_agents(client, cast, frozen):
    _ticket(cast, channel="email", outcome="refer_status")
    client.force_login(cast.agent)
    page = client.get("/console/reports/").content.decode()
    assert page.count('<svg class="chart"') == 4
    assert re.search(r'<p class="big">100 %</p>', page)
    response = client.get("/console/reports/export.csv", {"weeks": "4"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["week", "dimension", "value", "tickets"]
    assert ["2026-11-23", "channel", "email", "1"] in rows
    assert ["", "deflection", "deflected", "1"] in rows


@pytest.mark.parametrize("who", ["anonymous", "developer", "org_admin"])
def test_it_keeps_reports_from_customers(client, cast, who):
    if who != "anonymous":
        client.force_login(user_for_person(getattr(cast, who)))
    for url in ("/console/reports/", "/console/reports/export.csv"):
        assert client.get(url)["Location"].startswith("/console/login/")
