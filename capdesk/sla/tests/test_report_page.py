"""The attainment page: tables and inline SVG charts by plan, severity, agent and month, and its CSV export."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from capdesk.sla.charts import share_met_chart
from capdesk.sla.reports import Row
from capdesk.sla.tests.helpers import MONDAY_9_WIB, open_ticket_at, organization, staff_user, utc
from capdesk.testing.factories import Personas
from capdesk.tickets import actions as ticket_actions

LATER = utc(2026, 6, 8, 12)


def answered(plan: str, severity: str, minutes_later: int, agent: str) -> None:
    ticket = open_ticket_at(MONDAY_9_WIB, organization(plan), severity=severity)
    with time_machine.travel(MONDAY_9_WIB + timedelta(minutes=minutes_later), tick=False):
        ticket_actions.reply_as_agent(ticket, agent=staff_user(agent), body="Answer")


@pytest.fixture
def june(db: None) -> None:
    answered("enterprise", "urgent", 30, "dina")
    answered("enterprise", "urgent", 90, "dina")  # missed: 1 hour
    answered("team", "normal", 60, "budi")


def test_an_agent_sees_attainment_by_plan_severity_agent_and_month_with_charts(
    client: Client, cast: Personas, june: None
) -> None:
    client.force_login(staff_user(cast.agent.get_username()))
    with time_machine.travel(LATER, tick=False):
        page = client.get("/console/sla/report/")
    text = page.content.decode()
    assert page.status_code == 200
    for section in ("by-policy", "by-severity", "by-agent", "by-month"):
        assert f'id="{section}"' in text
    assert text.count("<svg") == 8  # share met and response, for each of the four
    assert "<script>" not in text  # charts need no script (the CSP allows only script files)
    assert "<title>enterprise: 1 of 2 met</title>" in text
    assert "<title>dina: p90 90 min</title>" in text
    assert "<td>enterprise</td><td>2</td><td>1</td><td>0.500</td><td>30</td><td>90</td>" in text
    assert "style=" not in text.split("<figure")[1]  # the CSP refuses inline styles


def test_the_csv_export_is_the_commands_report(client: Client, cast: Personas, june: None) -> None:
    client.force_login(staff_user(cast.agent.get_username()))
    with time_machine.travel(LATER, tick=False):
        response = client.get("/console/sla/report.csv?by=policy,agent&month=2026-06")
        out = StringIO()
        call_command("sla", "report", "--by", "policy,agent", "--month", "2026-06", stdout=out)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="sla-attainment-policy-agent-2026-06.csv"' in response["Content-Disposition"]
    assert response.content.decode() == out.getvalue()
    assert out.getvalue().splitlines()[1] == "enterprise,dina,2,1,0.500,30,90"


def test_it_filters_by_month(client: Client, cast: Personas, june: None) -> None:
    client.force_login(staff_user(cast.agent.get_username()))
    with time_machine.travel(LATER, tick=False):
        page = client.get("/console/sla/report/?month=2026-05&metric=first_response")
    assert page.status_code == 200
    assert page.content.decode().count("No decided targets.") == 4


@pytest.mark.parametrize("query", ["month=June", "metric=speed", "by=colour"])
def test_it_refuses_a_filter_that_does_not_exist(client: Client, cast: Personas, query: str) -> None:
    client.force_login(staff_user(cast.agent.get_username()))
    assert client.get(f"/console/sla/report.csv?{query}").status_code == 400
    if not query.startswith("by"):
        assert client.get(f"/console/sla/report/?{query}").status_code == 400


def test_it_draws_the_share_met_as_the_green_part_of_the_bar() -> None:
    row = Row(key=("enterprise",), targets=4, met=3, median=None, p90=None)
    (chart_row,) = share_met_chart("t", [row]).rows
    met, missed = chart_row.bars
    assert (met.width, missed.x, missed.width) == (300, 160 + 300, 100)
    assert chart_row.value_text == "75.0% of 4"


# Saturday 13 June 2026, 10:00 in Jakarta: outside the 06:00-18:00 Monday-Friday hours.
SATURDAY_10_WIB = utc(2026, 6, 13, 3)


def test_it_charts_a_reply_outside_business_hours_as_the_zero_minutes_its_table_shows(
    client: Client, cast: Personas
) -> None:
    # A high-severity Enterprise target counts business hours: answered on a Saturday,
    # it took no business time at all, and it was met. The chart used to read a zero
    # longest response as "no replies" while the table beside it said 1 of 1 met in 0 min.
    ticket = open_ticket_at(SATURDAY_10_WIB, organization("enterprise"), severity="high")
    with time_machine.travel(SATURDAY_10_WIB + timedelta(minutes=20), tick=False):
        ticket_actions.reply_as_agent(ticket, agent=staff_user("dina"), body="Answer")
    client.force_login(staff_user(cast.agent.get_username()))
    with time_machine.travel(LATER + timedelta(days=7), tick=False):
        page = client.get("/console/sla/report/?month=2026-06&metric=first_response")
    text = page.content.decode()
    assert "<td>enterprise</td><td>1</td><td>1</td><td>1.000</td><td>0</td><td>0</td>" in text
    assert "no replies" not in text
    assert "<title>enterprise: median 0 min</title>" in text


def test_it_says_no_replies_in_the_table_and_the_chart_for_a_target_missed_unanswered(
    client: Client, cast: Personas
) -> None:
    open_ticket_at(MONDAY_9_WIB, organization("enterprise"), severity="urgent")
    client.force_login(staff_user(cast.agent.get_username()))
    with time_machine.travel(LATER, tick=False):
        page = client.get("/console/sla/report/?month=2026-06")
    text = page.content.decode()
    row = '<td>enterprise</td><td>1</td><td>0</td><td>0.000</td><td colspan="2" class="muted">no replies</td>'
    assert row in text
    assert 'fill="currentColor">no replies</text>' in text
