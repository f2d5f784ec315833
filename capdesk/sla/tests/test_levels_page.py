"""The console's "Service levels" page shows the SLA section the desk loaded, and its calculator the desk's deadlines."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays as holidays_package
import pytest
import time_machine
from django.test import Client

from capdesk.directory.models import Plan
from capdesk.sla.policies import CAPGO_SLA, SEVERITIES, Metric, capgo_sla
from capdesk.sla.tests.helpers import open_ticket_at, organization

URL = "/console/sla/levels/"
TODAY = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)  # Monday 1 June 2026


def page(client: Client, cast, query: str = "", *, language: str = "en") -> str:
    client.force_login(cast.agent)
    with time_machine.travel(TODAY, tick=False):
        response = client.get(URL + query, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def section(html: str, start: str, end: str) -> str:
    return html[html.index(start) : html.index(end, html.index(start))]


def test_it_lists_the_loaded_policies_in_the_order_they_are_matched(client: Client, cast) -> None:
    html = page(client, cast)
    policies = capgo_sla().policies
    positions = [html.index(f'id="policy-{p.id}"') for p in policies]
    assert positions == sorted(positions)
    for policy in policies:
        part = section(html, f'id="policy-{policy.id}"', "</table>")
        plan = dict(Plan.choices).get(policy.plan or "")
        assert (f"<code>{policy.addon}</code>" if policy.addon else f"on the {plan} plan") in part
        assert all(f"<strong>{clause}</strong>" in part for clause in policy.clauses)
        for metric in Metric:
            targets = [policy.targets.get((metric, s)) for s in SEVERITIES]
            if not any(targets):
                assert f'data-metric="{metric}"' not in part
                continue
            row = section(part, f'data-metric="{metric}"', "</tr>")
            cells = row.split("<td>")[2:]  # after the metric and the tier
            for target, cell in zip(targets, cells, strict=True):
                if target is None:
                    assert "—" in cell
                else:
                    assert target.text in cell
                    assert ("business hours" if target.business_hours else "24/7") in cell


def test_it_shows_the_calendar_and_where_it_was_read(client: Client, cast) -> None:
    html = page(client, cast)
    config = capgo_sla()
    week = section(html, 'class="list week"', "</table>")
    opening = config.business_hours["hours"]
    assert isinstance(opening, dict)
    for day in ("Monday", "Friday"):
        assert f'<th scope="row">{day}</th><td>{opening[day[:3].lower()]}</td>' in week
    assert '<th scope="row">Sunday</th><td><span class="muted">closed</span>' in week
    assert f"when {round(config.warn_at * 100)} % of a target has elapsed" in html
    assert "Pending customer" in section(html, "Paused while", "</dd>")
    assert f"<code>{CAPGO_SLA}</code>" in html
    assert "shipped with Capdesk" in html


def test_it_shows_a_deployments_own_policy_file(client: Client, cast, custom_policy: Path) -> None:
    html = page(client, cast)
    assert f"<code>{custom_policy.resolve()}</code>" in html and "this deployment's own" in html
    assert 'id="policy-gold_contract"' in html and 'id="policy-priority_plus"' not in html
    targets = section(html, 'id="policy-gold_contract"', "</table>")
    assert "3 business hours" in targets and "45 minutes" in targets
    assert 'data-metric="resolution"' in targets and 'data-metric="next_response"' not in targets
    assert "<td>08:00-17:00</td>" in html and "<td>09:00-12:00</td>" in html
    assert "when 50 % of a target has elapsed" in html
    assert "On hold" not in section(html, "Paused while", "</dd>")
    holidays = section(html, 'class="list holidays"', "</table>")
    assert "2026-06-08" in holidays and "policy file" in holidays
    indonesia = holidays_package.country_holidays("ID", years=[2026, 2027])
    ahead = [d for d in indonesia if date(2026, 6, 1) <= d <= date(2027, 6, 1)]
    assert ahead and all(d.isoformat() in holidays for d in ahead)
    assert "2026-05-" not in holidays  # past holidays are not listed


def test_it_speaks_the_agents_language(client: Client, cast, custom_policy: Path) -> None:
    html = page(client, cast, language="id")
    assert "Tingkat layanan" in html
    assert (
        "Perjanjian Tingkat Layanan hanya tersedia" in html
    )  # clause L1 in Indonesian, from the policy file
    independence = holidays_package.country_holidays("ID", years=2026, language="id")[date(2026, 8, 17)]
    assert independence in html


def test_the_console_menu_links_to_it(client: Client, cast) -> None:
    client.force_login(cast.agent)
    nav = client.get("/console/").content.decode()
    assert f'href="{URL}">Service levels</a>' in nav[nav.index("<nav") : nav.index("</nav>")]


# The calculator ---------------------------------------------------------------------

# Friday 5 June 2026, 16:00 in Jakarta (UTC+7): one business hour left that day; Saturday
# 09:00-12:00 counts; Sunday is closed and Monday 8 June is a listed holiday.
FRIDAY_4PM = "2026-06-05T16:00"


def deadline_rows(html: str) -> dict[str, str]:
    rows = section(html, 'id="deadlines"', "</table>").split('<tr class="deadline"')[1:]
    return {row.split('"')[1]: row for row in rows}


@pytest.mark.parametrize("ask", ["organization", "policy_and_zone"])
def test_it_counts_business_minutes_across_the_weekend_and_a_holiday(
    client: Client, cast, custom_policy: Path, ask: str
) -> None:
    org = organization("enterprise", name="Bank Nusantara", timezone="Asia/Jakarta")
    who = f"organization={org.pk}" if ask == "organization" else "policy=gold_contract&zone=Asia/Jakarta"
    html = page(client, cast, f"?{who}&severity=normal&start={FRIDAY_4PM}")
    # 1 business day = 9 business hours: Fri 16:00-17:00, Sat 09:00-12:00, Sun closed,
    # Mon a holiday, Tue 08:00-13:00.
    row = deadline_rows(html)[Metric.FIRST_RESPONSE]
    assert "Tue 9 Jun 2026 13:00" in row
    assert "2026-06-09 06:00" in row  # UTC
    explained = section(html, f'<details class="explain" data-metric="{Metric.FIRST_RESPONSE}"', "</details>")
    days = explained.split('<tr class="day">')[1:]
    counted = [int(day.split('<td class="counted">')[1].split("<")[0]) for day in days]
    assert counted == [60, 180, 0, 0, 300]
    assert "<td>closed</td>" in days[2] and "<td>holiday: closed</td>" in days[3]
    assert ">540<" in section(explained, "<tfoot>", "</tfoot>")


def test_its_deadline_is_the_one_a_ticket_gets(client: Client, cast, custom_policy: Path) -> None:
    org = organization("enterprise", timezone="Asia/Jakarta")
    # Saturday 6 June, 11:30: half an hour that day, Sunday closed, Monday a holiday, Tuesday from 08:00.
    start = datetime(2026, 6, 6, 11, 30, tzinfo=ZoneInfo("Asia/Jakarta"))
    ticket = open_ticket_at(start.astimezone(UTC), org, severity="high")
    assert ticket.next_deadline is not None
    html = page(client, cast, f"?organization={org.pk}&severity=high&start=2026-06-06T11:30")
    row = deadline_rows(html)[Metric.FIRST_RESPONSE]
    assert ticket.next_deadline.astimezone(UTC).strftime("%Y-%m-%d %H:%M") in row
    assert ticket.next_deadline == datetime(2026, 6, 9, 10, 30, tzinfo=ZoneInfo("Asia/Jakarta"))
    assert "Tue 9 Jun 2026 10:30" in row


def test_a_24_7_target_is_the_start_plus_the_target(client: Client, cast, custom_policy: Path) -> None:
    html = page(client, cast, f"?policy=gold_contract&zone=Asia/Jakarta&severity=urgent&start={FRIDAY_4PM}")
    rows = deadline_rows(html)
    assert "Fri 5 Jun 2026 16:45" in rows[Metric.FIRST_RESPONSE]
    assert "Mon 8 Jun 2026 16:00" in rows[Metric.RESOLUTION]
    assert "24/7" in rows[Metric.RESOLUTION]


def test_it_says_when_no_policy_applies(client: Client, cast) -> None:
    org = organization("solo", name="Tiny Apps")
    html = page(client, cast, "?organization=Tiny+Apps&severity=high")
    assert "No policy applies" in html and 'id="deadlines"' not in html
    assert f"#{org.pk} · Solo" in html


def test_it_lists_the_organizations_a_name_matches(client: Client, cast) -> None:
    first, second = organization("team", name="Nusa Labs"), organization("team", name="Nusa Games")
    html = page(client, cast, "?organization=nusa&severity=high")
    assert "Several organizations match" in html
    assert f"?organization={first.pk}&amp;severity=high" in html and f"?organization={second.pk}&amp;" in html


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("?organization=Nobody&severity=high", "No organization has this name or id."),
        ("?policy=team&zone=Mars/Base&severity=high", "Not a time zone"),
        ("?severity=high", "Pick an organization, or a policy and a time zone."),
        ("?policy=team&zone=UTC&severity=high&start=friday", "Not a date and time"),
    ],
)
def test_it_explains_a_question_it_cannot_answer(client: Client, cast, query: str, error: str) -> None:
    html = page(client, cast, query)
    assert error in html and 'id="deadlines"' not in html
