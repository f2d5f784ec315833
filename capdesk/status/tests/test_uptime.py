"""Uptime maths is pure: history in, bars out."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from capdesk.status.uptime import Change, days, percent, segments, uptime_ratio

UTCZ = ZoneInfo("Etc/UTC")
NOW = datetime(2026, 3, 17, 12, 0, tzinfo=UTC)
LONG_AGO = datetime(2025, 1, 1, tzinfo=UTC)


def test_it_reports_ninety_days_of_full_uptime_with_no_history():
    bars = days([], current="operational", created_at=LONG_AGO, now=NOW, zone=UTCZ)
    assert len(bars) == 90
    assert bars[-1].day == date(2026, 3, 17)
    assert bars[0].day == date(2025, 12, 18)
    assert {b.worst for b in bars} == {"operational"}
    assert uptime_ratio(bars) == 1.0
    assert bars[-1].observed_seconds == 12 * 3600  # today, so far


def test_a_one_hour_major_outage_costs_one_hour_on_its_day():
    start = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
    history = [
        Change(start, "operational", "major_outage"),
        Change(start + timedelta(hours=1), "major_outage", "operational"),
    ]
    bars = days(history, current="operational", created_at=LONG_AGO, now=NOW, zone=UTCZ)
    day = next(b for b in bars if b.day == date(2026, 3, 10))
    assert day.worst == "major_outage"
    assert day.downtime_seconds == 3600
    assert day.uptime == 1 - 1 / 24
    assert sum(b.downtime_seconds for b in bars) == 3600


def test_a_partial_outage_counts_for_thirty_percent_and_degraded_for_nothing():
    start = datetime(2026, 3, 10, 0, 0, tzinfo=UTC)
    history = [
        Change(start, "operational", "partial_outage"),
        Change(start + timedelta(hours=10), "partial_outage", "degraded_performance"),
        Change(start + timedelta(hours=20), "degraded_performance", "operational"),
    ]
    day = next(
        b
        for b in days(history, current="operational", created_at=LONG_AGO, now=NOW, zone=UTCZ)
        if b.day == date(2026, 3, 10)
    )
    assert day.downtime_seconds == 0.3 * 10 * 3600
    assert day.worst == "partial_outage"


def test_an_outage_still_going_counts_up_to_now():
    history = [Change(NOW - timedelta(hours=2), "operational", "major_outage")]
    bars = days(history, current="major_outage", created_at=LONG_AGO, now=NOW, zone=UTCZ)
    assert bars[-1].downtime_seconds == 7200
    assert bars[-1].worst == "major_outage"


def test_the_status_before_the_window_comes_from_the_first_change_in_it():
    # Down since before the window opened, back up ten days ago.
    history = [Change(NOW - timedelta(days=10), "major_outage", "operational")]
    bars = days(history, current="operational", created_at=LONG_AGO, now=NOW, zone=UTCZ)
    assert bars[0].worst == "major_outage"
    assert bars[-1].worst == "operational"


def test_days_before_the_component_existed_have_no_data():
    created = NOW - timedelta(days=3)
    bars = days([], current="operational", created_at=created, now=NOW, zone=UTCZ)
    assert all(b.worst is None and b.uptime is None for b in bars[:-4])
    assert bars[-4].worst == "operational"


def test_days_are_cut_at_local_midnight_and_a_dst_day_is_twenty_three_hours():
    paris = ZoneInfo("Europe/Paris")
    now = datetime(2026, 3, 30, 12, 0, tzinfo=UTC)
    bars = days([], current="operational", created_at=LONG_AGO, now=now, zone=paris, count=3)
    assert [b.day for b in bars] == [date(2026, 3, 28), date(2026, 3, 29), date(2026, 3, 30)]
    assert bars[0].observed_seconds == 24 * 3600
    assert bars[1].observed_seconds == 23 * 3600  # clocks went forward that night


def test_maintenance_shows_on_the_bar_but_is_not_downtime():
    start = datetime(2026, 3, 12, 1, 0, tzinfo=UTC)
    history = [
        Change(start, "operational", "under_maintenance"),
        Change(start + timedelta(hours=2), "under_maintenance", "operational"),
    ]
    bars = days(history, current="operational", created_at=LONG_AGO, now=NOW, zone=UTCZ)
    day = next(b for b in bars if b.day == date(2026, 3, 12))
    assert day.worst == "under_maintenance"
    assert day.downtime_seconds == 0


def test_segments_cover_the_window_without_gaps():
    since, until = NOW - timedelta(days=1), NOW
    history = [Change(NOW - timedelta(hours=5), "operational", "partial_outage")]
    parts = segments(history, current="partial_outage", since=since, until=until)
    assert parts[0].start == since and parts[-1].end == until
    assert [p.status for p in parts] == ["operational", "partial_outage"]


def test_percent_never_rounds_up_to_a_perfect_score():
    assert percent(0.99999) == "99.99%"
    assert percent(1.0) == "100.00%"
    assert percent(None) == "N/A"
