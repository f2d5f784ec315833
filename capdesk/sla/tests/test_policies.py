"""Which SLA policy applies (L1, CAPGO.md), and a policy section that is wrong says where."""

from __future__ import annotations

import tomllib
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from capdesk.sla.policies import (
    CAPGO_SLA,
    Metric,
    SlaPolicyError,
    Tier,
    capgo_sla,
    load_sla_config,
    parse_sla_config,
)

NONE: frozenset[str] = frozenset()


def test_it_gives_enterprise_contractual_targets_in_business_hours() -> None:
    target = capgo_sla().target(
        plan="enterprise", paid=True, addons=NONE, metric=Metric.FIRST_RESPONSE, severity="high"
    )
    assert target is not None
    assert (target.policy, target.tier, target.duration, target.business_hours) == (
        "enterprise",
        Tier.CONTRACTUAL,
        timedelta(hours=2),
        True,
    )


def test_it_tracks_team_targets_as_goals() -> None:
    target = capgo_sla().target(
        plan="team", paid=True, addons=NONE, metric=Metric.FIRST_RESPONSE, severity="urgent"
    )
    assert target is not None
    assert (target.tier, target.duration, target.business_hours) == (Tier.GOAL, timedelta(hours=24), False)


def test_it_lets_priority_plus_run_every_target_24_7() -> None:
    policy = capgo_sla().policy_for(plan="team", paid=True, addons=frozenset({"priority_plus"}))
    assert policy is not None and policy.id == "priority_plus"
    assert not any(t.business_hours for t in policy.targets.values())


def test_it_tracks_next_responses_as_goals_even_for_enterprise() -> None:
    target = capgo_sla().target(
        plan="enterprise", paid=True, addons=NONE, metric=Metric.NEXT_RESPONSE, severity="high"
    )
    assert target is not None and target.tier == Tier.GOAL


@pytest.mark.parametrize(
    ("plan", "paid"), [("solo", True), ("maker", True), ("team", False), ("enterprise", False)]
)
def test_it_gives_no_targets_to_other_plans_or_to_a_trial(plan: str, paid: bool) -> None:
    assert capgo_sla().policy_for(plan=plan, paid=paid, addons=NONE) is None


def test_it_counts_business_hours_in_the_organizations_zone_and_utc_for_a_bad_zone() -> None:
    config = capgo_sla()
    target = config.target(
        plan="team", paid=True, addons=NONE, metric=Metric.FIRST_RESPONSE, severity="normal"
    )
    assert target is not None
    assert config.calendar(target, "Europe/Paris").zone.key == "Europe/Paris"
    assert config.calendar(target, "Not/AZone").zone.key == "UTC"


def _capgo() -> dict[str, Any]:
    section: dict[str, Any] = tomllib.loads(CAPGO_SLA.read_text(encoding="utf-8"))["service_levels"]
    return section


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.update(warn_at=1.5), "warn_at must be a share"),
        (
            lambda s: s["policies"][0]["first_response"].update(high="2 fortnights"),
            "'2 fortnights' is not a target",
        ),
        (
            lambda s: s["policies"][1]["first_response"].update(critical="1 hour"),
            "unknown severity 'critical'",
        ),
        (lambda s: s["policies"][2].update(tier="promise"), "tier must be contractual or goal"),
        (lambda s: s["policies"][2].update(when={"plan": "team", "addon": "x"}), "when must be"),
        (lambda s: s["calendars"]["business_hours"]["hours"].update(mon="6am-6pm"), "[hours] mon"),
        (lambda s: s.pop("policies"), "at least one policy"),
    ],
)
def test_it_names_what_is_wrong_in_the_sla_section(change: Any, message: str) -> None:
    section = _capgo()
    change(section)
    with pytest.raises(SlaPolicyError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_sla_config(section)


def test_it_reads_business_hours_holidays_from_an_icalendar_file_beside_the_policy(tmp_path: Path) -> None:
    (tmp_path / "holidays.ics").write_text("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260817\nEND:VEVENT\n")
    text = CAPGO_SLA.read_text(encoding="utf-8").replace("holidays = []", 'holiday_ics = "holidays.ics"')
    (tmp_path / "sla.toml").write_text(text)
    config = load_sla_config(tmp_path / "sla.toml")
    target = config.target(
        plan="team", paid=True, addons=NONE, metric=Metric.FIRST_RESPONSE, severity="normal"
    )
    assert target is not None
    assert config.calendar(target, "Asia/Jakarta").is_holiday(date(2026, 8, 17))
