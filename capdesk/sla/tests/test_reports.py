"""Attainment: share of targets met, median and p90 response in business time, by group, as CSV."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from capdesk.sla.reports import ClockFacts, attainment, percentile
from capdesk.sla.tests.helpers import MONDAY_9_WIB, open_ticket_at, organization, staff_user, utc
from capdesk.tickets import actions as ticket_actions


def fact(severity: str, met: bool, minutes: int | None, agent: str = "dina") -> ClockFacts:
    response = timedelta(minutes=minutes) if minutes is not None else None
    return ClockFacts(
        "2026-06", "enterprise", "contractual", severity, "first_response", agent, met, response
    )


def test_it_gives_the_share_met_and_nearest_rank_percentiles_per_group() -> None:
    facts = [fact("high", True, m) for m in (10, 20, 30, 40, 50, 60, 70, 80, 90)] + [
        fact("high", False, 200),
        fact("urgent", False, None),  # past due, still unanswered
    ]
    high, urgent = attainment(facts, ["severity"])
    assert (high.key, high.targets, high.met, high.share_met) == (("high",), 10, 9, 0.9)
    assert (high.median, high.p90) == (timedelta(minutes=50), timedelta(minutes=90))
    assert (urgent.targets, urgent.met, urgent.median) == (1, 0, None)


def test_it_refuses_an_unknown_grouping() -> None:
    with pytest.raises(ValueError, match="cannot group by 'colour'"):
        attainment([], ["colour"])


def test_it_takes_percentiles_from_actual_values() -> None:
    values = [timedelta(minutes=m) for m in (1, 2, 3, 4)]
    assert (percentile(values, 50), percentile(values, 90), percentile([], 50)) == (
        values[1],
        values[3],
        None,
    )


def answered(org_plan: str, severity: str, minutes_later: int, agent: str) -> None:
    ticket = open_ticket_at(MONDAY_9_WIB, organization(org_plan), severity=severity)
    with time_machine.travel(MONDAY_9_WIB + timedelta(minutes=minutes_later), tick=False):
        ticket_actions.reply_as_agent(ticket, agent=staff_user(agent), body="Answer")


def test_it_reports_attainment_by_agent_as_csv(db: None) -> None:
    answered("enterprise", "urgent", 30, "dina")
    answered("enterprise", "urgent", 90, "dina")  # missed: 1 hour
    answered("team", "normal", 60, "budi")
    open_ticket_at(MONDAY_9_WIB, organization("team"), severity="normal")  # not yet due: not counted
    out = StringIO()
    with time_machine.travel(utc(2026, 6, 8, 12), tick=False):
        call_command("sla", "report", "--by", "policy,agent", stdout=out)
    assert out.getvalue().splitlines() == [
        "policy,agent,targets,met,share_met,median_minutes,p90_minutes",
        "enterprise,dina,2,1,0.500,30,90",
        "team,budi,1,1,1.000,60,60",
    ]


def test_it_counts_a_target_missed_while_still_unanswered(db: None) -> None:
    open_ticket_at(MONDAY_9_WIB, organization("enterprise"), severity="urgent")
    out = StringIO()
    with time_machine.travel(utc(2026, 6, 8, 4), tick=False):
        call_command("sla", "report", "--by", "month,severity", "--month", "2026-06", stdout=out)
    assert out.getvalue().splitlines()[1] == "2026-06,urgent,1,0,0.000,,"


def test_it_says_which_groupings_exist(db: None) -> None:
    with pytest.raises(CommandError, match="one of month, policy"):
        call_command("sla", "report", "--by", "colour", stdout=StringIO())
