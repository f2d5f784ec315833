"""Capgo's whole target table (CAPGO.md) for customers in Jakarta, Paris and Los Angeles.

Each case starts on the Saturday evening before a DST change (or on Christmas Eve,
with Christmas as a holiday) and spells out every target's deadline on the local
wall clock: 24/7 targets run through the night of the change in real time, business
targets start at Monday 06:00 local time.
"""

from __future__ import annotations

import tomllib
from datetime import datetime

import pytest

from capdesk.sla.business_time import add_business_time
from capdesk.sla.policies import CAPGO_SLA, SEVERITIES, Metric, SlaConfig, capgo_sla, parse_sla_config

SPRING_AND_AUTUMN = {
    # zone, start (local): deadline (local) by target
    ("Europe/Paris", "2026-03-28T20:00+01:00"): {
        "1 hour": "2026-03-28T21:00+01:00",
        "2 hours": "2026-03-28T22:00+01:00",
        "12 hours": "2026-03-29T09:00+02:00",  # the wall clock skips 02:00-03:00: it reads 13 h later
        "24 hours": "2026-03-29T21:00+02:00",
        "2 business hours": "2026-03-30T08:00+02:00",
        "1 business day": "2026-03-30T18:00+02:00",
        "2 business days": "2026-03-31T18:00+02:00",
    },
    ("Europe/Paris", "2026-10-24T20:00+02:00"): {
        "1 hour": "2026-10-24T21:00+02:00",
        "2 hours": "2026-10-24T22:00+02:00",
        "12 hours": "2026-10-25T07:00+01:00",  # 02:00-03:00 happens twice: the wall clock reads 11 h later
        "24 hours": "2026-10-25T19:00+01:00",
        "2 business hours": "2026-10-26T08:00+01:00",
        "1 business day": "2026-10-26T18:00+01:00",
        "2 business days": "2026-10-27T18:00+01:00",
    },
    ("America/Los_Angeles", "2026-03-07T20:00-08:00"): {
        "1 hour": "2026-03-07T21:00-08:00",
        "2 hours": "2026-03-07T22:00-08:00",
        "12 hours": "2026-03-08T09:00-07:00",
        "24 hours": "2026-03-08T21:00-07:00",
        "2 business hours": "2026-03-09T08:00-07:00",
        "1 business day": "2026-03-09T18:00-07:00",
        "2 business days": "2026-03-10T18:00-07:00",
    },
    ("America/Los_Angeles", "2026-10-31T20:00-07:00"): {
        "1 hour": "2026-10-31T21:00-07:00",
        "2 hours": "2026-10-31T22:00-07:00",
        "12 hours": "2026-11-01T07:00-08:00",
        "24 hours": "2026-11-01T19:00-08:00",
        "2 business hours": "2026-11-02T08:00-08:00",
        "1 business day": "2026-11-02T18:00-08:00",
        "2 business days": "2026-11-03T18:00-08:00",
    },
    ("Asia/Jakarta", "2026-03-28T20:00+07:00"): {
        "1 hour": "2026-03-28T21:00+07:00",
        "2 hours": "2026-03-28T22:00+07:00",
        "12 hours": "2026-03-29T08:00+07:00",
        "24 hours": "2026-03-29T20:00+07:00",
        "2 business hours": "2026-03-30T08:00+07:00",
        "1 business day": "2026-03-30T18:00+07:00",
        "2 business days": "2026-03-31T18:00+07:00",
    },
}


def christmas_eve(offset: str) -> dict[str, str]:
    """Thursday 24 December 17:00 local, Friday the 25th a holiday: business targets resume Monday."""
    return {
        "1 hour": f"2026-12-24T18:00{offset}",
        "2 hours": f"2026-12-24T19:00{offset}",
        "12 hours": f"2026-12-25T05:00{offset}",
        "24 hours": f"2026-12-25T17:00{offset}",
        "2 business hours": f"2026-12-28T07:00{offset}",
        "1 business day": f"2026-12-28T17:00{offset}",
        "2 business days": f"2026-12-29T17:00{offset}",
    }


CHRISTMAS = {
    ("Asia/Jakarta", "2026-12-24T17:00+07:00"): christmas_eve("+07:00"),
    ("Europe/Paris", "2026-12-24T17:00+01:00"): christmas_eve("+01:00"),
    ("America/Los_Angeles", "2026-12-24T17:00-08:00"): christmas_eve("-08:00"),
}

ORGANIZATIONS = {
    "priority_plus": {"plan": "team", "paid": True, "addons": frozenset({"priority_plus"})},
    "enterprise": {"plan": "enterprise", "paid": True, "addons": frozenset()},
    "team": {"plan": "team", "paid": True, "addons": frozenset()},
}


def with_christmas() -> SlaConfig:
    data = tomllib.loads(CAPGO_SLA.read_text(encoding="utf-8"))
    data["service_levels"]["calendars"]["business_hours"]["holidays"] = ["2026-12-25"]
    return parse_sla_config(data["service_levels"])


def check_every_target(config: SlaConfig, zone: str, start: str, expected: dict[str, str]) -> None:
    checked = 0
    for policy, org in ORGANIZATIONS.items():
        for severity in SEVERITIES:
            target = config.target(metric=Metric.FIRST_RESPONSE, severity=severity, **org)  # type: ignore[arg-type]
            assert target is not None and target.policy == policy
            calendar = config.calendar(target, zone)
            deadline = add_business_time(calendar, datetime.fromisoformat(start), target.duration)
            assert deadline == datetime.fromisoformat(expected[target.text]), (policy, severity, target.text)
            checked += 1
    assert checked == 12


@pytest.mark.parametrize(("zone", "start"), list(SPRING_AND_AUTUMN))
def test_it_meets_capgos_table_across_both_dst_changes(zone: str, start: str) -> None:
    check_every_target(capgo_sla(), zone, start, SPRING_AND_AUTUMN[(zone, start)])


@pytest.mark.parametrize(("zone", "start"), list(CHRISTMAS))
def test_it_meets_capgos_table_across_a_holiday(zone: str, start: str) -> None:
    check_every_target(with_christmas(), zone, start, CHRISTMAS[(zone, start)])
