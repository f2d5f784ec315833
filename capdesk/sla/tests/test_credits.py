"""Uptime credits: availability from recorded downtime, announced maintenance excluded, CAPGO.md's tiers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from capdesk.sla.credits import (
    ComponentHistory,
    MaintenanceWindow,
    StatusChange,
    availability,
    credit_percent,
    downtime,
    last_month,
    month_bounds,
    percent_text,
)

OCTOBER = month_bounds("2026-10")  # 31 days: 44,640 minutes


def at(day: int, hour: int = 0, minute: int = 0, month: int = 10) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def outage(
    component: int, start: datetime, end: datetime, status: str = "major_outage", incident: int = 1
) -> ComponentHistory:
    return ComponentHistory(
        component,
        "operational",
        [
            StatusChange(start, "operational", status, incident),
            StatusChange(end, status, "operational", incident),
        ],
    )


def october_availability(
    histories: list[ComponentHistory], windows: Sequence[MaintenanceWindow] = ()
) -> float:
    return availability(downtime(histories, windows, *OCTOBER), *OCTOBER)


@pytest.mark.parametrize(
    ("percent", "credit"),
    [
        (100.0, 0),
        (99.9, 0),
        (99.89, 10),
        (98.0, 10),
        (97.99, 15),
        (97.0, 15),
        (96.99, 20),
        (95.0, 20),
        (94.99, 30),
    ],
)
def test_it_gives_capgos_credit_tiers_from_december_2025(percent: float, credit: int) -> None:
    assert credit_percent(percent / 100, datetime(2026, 10, 1, tzinfo=UTC)) == credit


def test_it_holds_months_before_december_2025_to_the_99_percent_commitment() -> None:
    november = datetime(2025, 11, 1, tzinfo=UTC)
    assert credit_percent(0.995, november) == 0
    assert credit_percent(0.989, november) == 10
    assert credit_percent(0.975, november) == 15
    assert credit_percent(0.995, datetime(2025, 12, 1, tzinfo=UTC)) == 10


def test_it_counts_a_major_outage_in_full() -> None:
    ratio = october_availability([outage(1, at(5, 10), at(5, 11))])  # 60 of 44,640 minutes
    assert ratio == pytest.approx(1 - 60 / 44640)
    assert percent_text(ratio) == "99.865 %"
    assert credit_percent(ratio, OCTOBER[0]) == 10


def test_it_counts_a_partial_outage_at_the_status_pages_thirty_percent() -> None:
    ratio = october_availability([outage(1, at(5, 10), at(5, 20), status="partial_outage")])
    assert ratio == pytest.approx(1 - 0.3 * 600 / 44640)


def test_it_does_not_count_degraded_performance() -> None:
    assert october_availability([outage(1, at(5, 10), at(6, 10), status="degraded_performance")]) == 1.0


def test_it_counts_overlapping_outages_of_two_components_once() -> None:
    stretches = downtime(
        [outage(1, at(5, 10), at(5, 11), incident=1), outage(2, at(5, 10, 30), at(5, 12), incident=2)],
        [],
        *OCTOBER,
    )
    assert [(d.start, d.end, d.incident_id) for d in stretches] == [
        (at(5, 10), at(5, 11), 1),
        (at(5, 11), at(5, 12), 2),
    ]
    assert sum(d.seconds for d in stretches) == 2 * 3600


def test_it_counts_the_worse_status_when_a_partial_and_a_major_outage_overlap() -> None:
    stretches = downtime(
        [
            outage(1, at(5, 10), at(5, 12), "partial_outage", 1),
            outage(2, at(5, 11), at(5, 11, 30), incident=2),
        ],
        [],
        *OCTOBER,
    )
    assert [(d.start.minute, d.end, d.weight) for d in stretches] == [
        (0, at(5, 11), 0.3),
        (0, at(5, 11, 30), 1.0),
        (30, at(5, 12), 0.3),
    ]


def test_it_excludes_maintenance_announced_a_day_ahead_inside_its_window_only() -> None:
    work = outage(1, at(10, 2), at(10, 5), status="under_maintenance", incident=7)  # overran by an hour
    window = MaintenanceWindow(
        7, announced_at=at(8, 2), start=at(10, 2), end=at(10, 4), component_ids=frozenset({1})
    )
    stretches = downtime([work], [window], *OCTOBER)
    assert [(d.start, d.end, d.incident_id) for d in stretches] == [(at(10, 4), at(10, 5), 7)]


def test_it_counts_maintenance_announced_less_than_a_day_ahead() -> None:
    work = outage(1, at(10, 2), at(10, 4), status="under_maintenance", incident=7)
    window = MaintenanceWindow(
        7,
        announced_at=at(10, 2) - timedelta(hours=23, minutes=59),
        start=at(10, 2),
        end=at(10, 4),
        component_ids=frozenset(),
    )
    assert sum(d.seconds for d in downtime([work], [window], *OCTOBER)) == 2 * 3600


def test_it_excludes_an_outage_during_announced_maintenance_of_that_component_but_not_of_another() -> None:
    window = MaintenanceWindow(
        7, announced_at=at(1), start=at(10, 2), end=at(10, 4), component_ids=frozenset({1})
    )
    covered = outage(1, at(10, 2), at(10, 3))
    other = outage(2, at(10, 2), at(10, 3))
    assert october_availability([covered], [window]) == 1.0
    assert october_availability([other], [window]) == pytest.approx(1 - 60 / 44640)


def test_it_carries_an_outage_that_began_last_month_into_this_one() -> None:
    history = outage(1, at(30, 23, month=9), at(1, 1))
    stretches = downtime([history], [], *OCTOBER)
    assert [(d.start, d.end) for d in stretches] == [(at(1), at(1, 1))]


def test_it_takes_the_status_before_the_first_change_from_that_change() -> None:
    # Down since before the history starts, restored on the 2nd: down for a day of October.
    history = ComponentHistory(1, "operational", [StatusChange(at(2), "major_outage", "operational", None)])
    assert october_availability([history]) == pytest.approx(1 - 1 / 31)


def test_it_measures_from_when_an_organization_joined() -> None:
    stretches = downtime([outage(1, at(5, 10), at(5, 11))], [], *OCTOBER)
    assert availability(stretches, at(20), OCTOBER[1]) == 1.0


def test_it_reads_months_and_the_month_before() -> None:
    assert month_bounds("2026-12") == (datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert (last_month("2027-01"), last_month("2026-10")) == ("2026-12", "2026-09")
    with pytest.raises(ValueError, match="is not YYYY-MM"):
        month_bounds("2026-13")
