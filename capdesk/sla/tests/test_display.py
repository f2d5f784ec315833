"""The console's view of a clock: business time left, paused, overdue, met."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import translation

from capdesk.sla.display import business_duration, summarize, target_words
from capdesk.sla.tests.helpers import MONDAY_9_WIB, only_clock, open_ticket_at, organization, staff_user, utc
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets.models import Status


def test_it_shows_business_time_left_not_wall_time(db: None) -> None:
    ticket = open_ticket_at(MONDAY_9_WIB, organization("team"))  # due Tuesday 09:00 WIB
    # Monday 20:00 WIB: 9 business hours used, 3 left, though 13 wall-clock hours remain.
    summary = summarize(only_clock(ticket), utc(2026, 6, 8, 13))
    assert (summary.status, summary.label, summary.target) == (
        "running",
        "3 h 00 min left",
        "1 business day (goal)",
    )


def test_it_shows_a_paused_clock_with_what_is_left(db: None) -> None:
    ticket = open_ticket_at(MONDAY_9_WIB, organization("team"))
    with time_machine.travel(utc(2026, 6, 8, 3, 15), tick=False):
        ticket_actions.change_status(ticket, Status.ON_HOLD, agent=staff_user("agent"))
    summary = summarize(only_clock(ticket), utc(2026, 6, 9, 3))
    assert (summary.status, summary.label) == ("paused", "paused, 10 h 45 min left")


def test_it_shows_how_far_overdue_a_clock_is(db: None) -> None:
    ticket = open_ticket_at(MONDAY_9_WIB, organization("enterprise"), severity="urgent")
    summary = summarize(only_clock(ticket), utc(2026, 6, 8, 3, 40))
    assert (summary.status, summary.label) == ("breached", "overdue by 40 min")


def test_it_shows_met_and_missed_once_answered(db: None) -> None:
    ticket = open_ticket_at(MONDAY_9_WIB, organization("enterprise"), severity="urgent")
    with time_machine.travel(utc(2026, 6, 8, 2, 30), tick=False):
        ticket_actions.reply_as_agent(ticket, agent=staff_user("agent"), body="On it")
    assert summarize(only_clock(ticket), utc(2026, 6, 9)).label == "met"


def test_it_writes_durations_in_hours_and_minutes() -> None:
    assert business_duration(timedelta(hours=26, minutes=5, seconds=59)) == "26 h 05 min"
    assert business_duration(timedelta(minutes=7)) == "7 min"
    assert business_duration(timedelta(minutes=-7)) == "0 min"


def test_an_indonesian_agent_reads_the_clock_in_indonesian(db: None) -> None:
    from django.utils import translation

    ticket = open_ticket_at(MONDAY_9_WIB, organization("team"))
    with translation.override("id"):
        summary = summarize(only_clock(ticket), utc(2026, 6, 8, 13))
        assert (summary.metric, summary.label, summary.target) == (
            "respons pertama",
            "sisa 3 j 00 mnt",
            "1 hari kerja (sasaran)",  # the policy file's words in her language, then the tier
        )
        assert business_duration(timedelta(minutes=7)) == "7 mnt"


def test_the_ticket_page_gives_the_deadline_on_the_customers_clock_too(db: None) -> None:
    from django.template import Context, Template

    ticket = open_ticket_at(MONDAY_9_WIB, organization("team"))  # due Tuesday 09:00 WIB
    with time_machine.travel(utc(2026, 6, 8, 13), tick=False):
        html = Template("{% load sla %}{% sla_clocks ticket %}").render(Context({"ticket": ticket}))
    assert "2026-06-09 02:00 UTC" in html
    assert "Tue 09:00 in Asia/Jakarta, the customer's business hours" in html


@pytest.mark.parametrize(
    ("text", "english", "indonesian"),
    [
        ("1 business day", "1 business day", "1 hari kerja"),
        ("2 business hours", "2 business hours", "2 jam kerja"),
        ("12 hours", "12 hours", "12 jam"),
        ("1 hour", "1 hour", "1 jam"),
        ("within the quarter", "within the quarter", "within the quarter"),  # not a target: as written
    ],
)
def test_a_target_is_said_in_the_readers_language(text, english, indonesian):
    assert target_words(text) == english
    with translation.override("id"):
        assert target_words(text) == indonesian
