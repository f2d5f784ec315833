"""Uptime credits from the status page's real records: the agents' page, the command, the ticket's link."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.template import Context, Template
from django.test import Client

from capdesk.directory.models import Organization
from capdesk.portal.actions import user_for_person
from capdesk.sla.tests.helpers import open_ticket_at, organization, staff_user
from capdesk.status import actions as status
from capdesk.status.models import ComponentStatus
from capdesk.testing.factories import Personas
from capdesk.tickets.models import Ticket

pytestmark = pytest.mark.usefixtures("db")

NOW = datetime(2026, 11, 10, 9, tzinfo=UTC)


def at(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, 10, day, hour, minute, tzinfo=UTC)


def october_on_the_status_page() -> None:
    """A 2-hour major outage of the API, a partial outage of the console, and announced maintenance."""
    api = status.create_component(name="Live update API", at=at(1) - timedelta(days=90))
    console = status.create_component(name="Console", at=at(1) - timedelta(days=90))
    outage = status.open_incident(
        name="Updates not delivered",
        body="Investigating.",
        impact="critical",
        components={api: ComponentStatus.MAJOR_OUTAGE},
        at=at(14, 8),
    )
    status.resolve_incident(outage, at=at(14, 10))
    slow = status.open_incident(
        name="Console errors for some users",
        body="Investigating.",
        components={console: ComponentStatus.PARTIAL_OUTAGE},
        at=at(20, 12),
    )
    status.resolve_incident(slow, at=at(20, 22))  # 10 h at 30 % = 3 h
    work = status.schedule_maintenance(
        name="Database upgrade",
        scheduled_for=at(25, 1),
        scheduled_until=at(25, 3),
        components=[api],
        at=at(22, 9),
    )
    status.start_maintenance(work, at=at(25, 1))
    status.complete_maintenance(work, at=at(25, 3))


def enterprise(name: str, **fields: object) -> Organization:
    return organization("enterprise", name=name, created_at=at(1) - timedelta(days=400), **fields)


def test_it_computes_each_enterprise_organizations_credit_as_json() -> None:
    october_on_the_status_page()
    enterprise("Bank Nusantara")
    organization("enterprise", name="Trial Co", subscription_status="trialing")  # pays no fees
    organization("team", name="Team Co")
    late = enterprise("Late Joiner")
    Organization.objects.filter(pk=late.pk).update(created_at=at(21))
    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("sla", "credits", "--month", "2026-10", "--json", stdout=out)
    document = json.loads(out.getvalue())
    assert (document["commitment_percent"], document["complete"]) == (99.9, True)
    # 2 h + 10 h x 30 % = 5 h down of 744 h: 99.327 %, a 10 % credit.
    assert [
        (o["name"], o["availability_percent"], o["credit_percent"]) for o in document["organizations"]
    ] == [
        ("Bank Nusantara", 99.327, 10),
        ("Late Joiner", 100.0, 0),  # joined on the 21st, after both incidents
    ]
    assert [(i["name"], i["downtime_minutes"]) for i in document["incidents"]] == [
        ("Console errors for some users", 180.0),
        ("Updates not delivered", 120.0),
    ]
    assert [m["name"] for m in document["excluded_maintenance"]] == ["Database upgrade"]


def test_it_prints_the_credits_as_text() -> None:
    october_on_the_status_page()
    enterprise("Bank Nusantara")
    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("sla", "credits", "--month", "2026-10", stdout=out)
    assert out.getvalue().splitlines() == [
        "2026-10: platform availability 99.327 %, commitment 99.9%",
        "  Bank Nusantara: 99.327 %, credit 10 %",
        "  - Console errors for some users: 180.0 min of downtime",
        "  - Updates not delivered: 120.0 min of downtime",
    ]


def test_it_refuses_a_month_that_has_not_begun() -> None:
    with time_machine.travel(NOW, tick=False), pytest.raises(CommandError, match="2026-12 has not begun"):
        call_command("sla", "credits", "--month", "2026-12", stdout=StringIO())


def test_an_agent_sees_the_credits_and_the_incidents_behind_them(client: Client, cast: Personas) -> None:
    october_on_the_status_page()
    enterprise("Bank Nusantara")
    client.force_login(staff_user(cast.agent.get_username()))
    with time_machine.travel(NOW, tick=False):
        page = client.get("/console/sla/credits/?month=2026-10")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Bank Nusantara" in text and "99.327 %" in text and "<strong>10 %</strong>" in text
    assert "Updates not delivered" in text and "Console errors for some users" in text
    assert "Database upgrade" in text  # listed as excluded


def test_the_credits_page_shows_last_month_by_default(client: Client, cast: Personas) -> None:
    client.force_login(staff_user(cast.agent.get_username()))
    with time_machine.travel(NOW, tick=False):
        page = client.get("/console/sla/credits/")
    assert page.status_code == 200
    assert "Uptime credits 2026-10" in page.content.decode()


def test_the_credits_page_refuses_a_bad_month(client: Client, cast: Personas) -> None:
    client.force_login(staff_user(cast.agent.get_username()))
    assert client.get("/console/sla/credits/?month=october").status_code == 400


@pytest.mark.parametrize("who", ["developer", "billing_admin", "outsider"])
def test_customers_are_sent_to_the_console_sign_in(client: Client, cast: Personas, who: str) -> None:
    client.force_login(user_for_person(getattr(cast, who)))
    for url in ("/console/sla/credits/", "/console/sla/report/", "/console/sla/report.csv"):
        response = client.get(url)
        assert (response.status_code, response["Location"].split("?")[0]) == (302, "/console/login/")


def test_anonymous_visitors_are_sent_to_the_console_sign_in(client: Client) -> None:
    for url in ("/console/sla/credits/", "/console/sla/report/", "/console/sla/report.csv"):
        response = client.get(url)
        assert (response.status_code, response["Location"].split("?")[0]) == (302, "/console/login/")


def credit_link(ticket: Ticket) -> str:
    return Template("{% load sla %}{% sla_credit_link ticket %}").render(Context({"ticket": ticket}))


def billing_ticket(org: Organization, scope: str = "billing") -> Ticket:
    ticket = open_ticket_at(datetime(2026, 11, 3, 9, tzinfo=UTC), org)
    Ticket.objects.filter(pk=ticket.pk).update(scope=scope)
    ticket.refresh_from_db()
    return ticket


def test_an_agent_on_an_enterprise_billing_ticket_sees_last_months_credit() -> None:
    october_on_the_status_page()
    org = enterprise("Bank Nusantara")
    ticket = billing_ticket(org)
    with time_machine.travel(NOW, tick=False):
        html = credit_link(ticket)
    assert "Bank Nusantara, 2026-10: 99.327 % available" in html
    assert "<strong>credit 10 % of the month's fees</strong>" in html
    assert f"/console/sla/credits/?month=2026-10&amp;org={org.pk}" in html
    assert "(2 incidents)" in html


@pytest.mark.parametrize(("plan", "scope"), [("enterprise", "fix.live_updates"), ("team", "billing")])
def test_no_credit_link_on_other_tickets(plan: str, scope: str) -> None:
    org = organization(plan, created_at=at(1) - timedelta(days=400))
    with time_machine.travel(NOW, tick=False):
        assert credit_link(billing_ticket(org, scope)).strip() == ""
