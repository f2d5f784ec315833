"""SLA policies: which targets apply to an organization's ticket, and on which calendar.

Read from the policy file's ``[service_levels]`` section. Pure: the
loader turns TOML into frozen values, ``SlaConfig.target`` picks one; nothing here
touches the database.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from capdesk.sla.calendar import Calendar, always_open
from capdesk.sla.calendar_file import CalendarError, calendar_from_table

# The shipped policy file; a deployment's own file (CAPDESK_POLICY) carries its own targets.
CAPGO_SLA = Path(__file__).resolve().parent.parent / "policy" / "capgo_policy.toml"
SECTION = "service_levels"
SEVERITIES = ("urgent", "high", "normal", "low")
BUSINESS_CALENDAR = "business_hours"
TARGET = re.compile(r"(\d+)\s+(business\s+)?(minute|hour|day)s?")
_UNITS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}


class Metric(StrEnum):
    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"  # after each customer reply that is waiting for an answer
    RESOLUTION = "resolution"


class Tier(StrEnum):
    CONTRACTUAL = "contractual"  # L1: promised to Enterprise (and Priority Plus) customers
    GOAL = "goal"  # tracked, not promised (Team's published targets)


class SlaPolicyError(ValueError):
    """The SLA policy cannot be used, and why."""


@dataclass(frozen=True)
class Target:
    """One response target: how long, counted how, and what it is worth."""

    policy: str
    metric: Metric
    severity: str
    duration: timedelta
    business_hours: bool  # counted on the business-hours calendar, else 24/7
    tier: Tier
    text: str  # as the policy file says it, for display ("2 business hours")


@dataclass(frozen=True, eq=False)
class SlaPolicy:
    """The targets for organizations on one plan or add-on."""

    id: str
    plan: str | None
    addon: str | None
    clauses: tuple[str, ...]
    targets: Mapping[tuple[Metric, str], Target]

    def applies_to(self, *, plan: str, paid: bool, addons: frozenset[str]) -> bool:
        if self.addon is not None:
            return self.addon in addons
        return paid and plan == self.plan


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: calendars are cached per config
class SlaConfig:
    """The whole SLA section: warning share, pausing statuses, business hours, policies in order."""

    warn_at: float
    pause_statuses: frozenset[str]
    business_hours: Mapping[str, object]  # the calendar table; its zone is the organization's
    base_dir: Path | None  # where a holiday_ics path in that table is relative to
    policies: tuple[SlaPolicy, ...]

    def policy_for(self, *, plan: str, paid: bool, addons: frozenset[str]) -> SlaPolicy | None:
        return next((p for p in self.policies if p.applies_to(plan=plan, paid=paid, addons=addons)), None)

    def target(
        self, *, plan: str, paid: bool, addons: frozenset[str], metric: Metric, severity: str
    ) -> Target | None:
        policy = self.policy_for(plan=plan, paid=paid, addons=addons)
        return policy.targets.get((metric, severity)) if policy else None

    def calendar(self, target: Target, timezone: str) -> Calendar:
        """The calendar a target is counted on, in the organization's zone (UTC if it is not a zone)."""
        return self.calendar_for(business_hours=target.business_hours, timezone=timezone)

    def calendar_for(self, *, business_hours: bool, timezone: str) -> Calendar:
        zone = zone_or_utc(timezone)
        if not business_hours:
            return always_open(zone)
        return _business_calendar(self, zone)


def zone_or_utc(name: str) -> str:
    """The zone name if it is one, else UTC: a bad zone in the directory must not stop the clocks."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return name


@functools.lru_cache(maxsize=512)
def _business_calendar(config: SlaConfig, zone: str) -> Calendar:
    return calendar_from_table(
        config.business_hours,
        timezone=zone,
        source="service_levels.calendars.business_hours",
        base_dir=config.base_dir,
    )


def capgo_sla() -> SlaConfig:
    """The SLA targets of the policy file this process runs under, read once per path.

    Keyed by ``settings.CAPDESK_POLICY`` as the policy loader is, so a deployment's file
    (or a test's override) is the one the clocks and the console's pages read.
    """
    from django.conf import settings

    return _sla_config_at(str(settings.CAPDESK_POLICY))


@functools.lru_cache(maxsize=8)
def _sla_config_at(path: str) -> SlaConfig:
    return load_sla_config(Path(path))


def load_sla_config(path: Path) -> SlaConfig:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SlaPolicyError(f"{path}: {exc}") from None
    try:
        return parse_sla_config(data.get(SECTION), base_dir=path.parent)
    except SlaPolicyError as exc:
        raise SlaPolicyError(f"{path}: {exc}") from None


def parse_sla_config(section: object, *, base_dir: Path | None = None) -> SlaConfig:
    """The ``[sla]`` table, checked: every error names the key at fault."""
    if not isinstance(section, Mapping):
        raise SlaPolicyError("[sla] is missing")
    warn_at = section.get("warn_at", 0.75)
    if not isinstance(warn_at, int | float) or not 0 < warn_at < 1:
        raise SlaPolicyError("service_levels.warn_at must be a share between 0 and 1, such as 0.75")
    pause = section.get("pause_statuses", [])
    if not isinstance(pause, list) or not all(isinstance(s, str) for s in pause):
        raise SlaPolicyError("service_levels.pause_statuses must be a list of ticket statuses")
    calendars = section.get("calendars", {})
    table = calendars.get(BUSINESS_CALENDAR) if isinstance(calendars, Mapping) else None
    if not isinstance(table, Mapping):
        raise SlaPolicyError(f"service_levels.calendars.{BUSINESS_CALENDAR} is missing")
    try:
        calendar_from_table(
            table, timezone="UTC", source=f"service_levels.calendars.{BUSINESS_CALENDAR}", base_dir=base_dir
        )
    except CalendarError as exc:
        raise SlaPolicyError(str(exc)) from None
    business_day = _duration(
        section.get("business_day", "12 business hours"), "service_levels.business_day", None
    )
    policies = section.get("policies", [])
    if not isinstance(policies, list) or not policies:
        raise SlaPolicyError(
            "service_levels.policies must list at least one policy ([[service_levels.policies]])"
        )
    parsed = tuple(_policy(p, i, business_day[0]) for i, p in enumerate(policies))
    return SlaConfig(
        warn_at=float(warn_at),
        pause_statuses=frozenset(pause),
        business_hours=MappingProxyType(dict(table)),
        base_dir=base_dir,
        policies=parsed,
    )


def _policy(table: object, index: int, business_day: timedelta) -> SlaPolicy:
    where = f"service_levels.policies[{index}]"
    if not isinstance(table, Mapping) or not isinstance(table.get("id"), str):
        raise SlaPolicyError(f"{where} needs an id")
    where = f"service_levels.policies {table['id']!r}"
    when = table.get("when")
    if not isinstance(when, Mapping) or len(when) != 1 or not set(when) <= {"plan", "addon"}:
        raise SlaPolicyError(f'{where}: when must be {{ plan = "..." }} or {{ addon = "..." }}')
    tier = _tier(table.get("tier"), where)
    clauses = table.get("clauses", [])
    if not isinstance(clauses, list) or not all(isinstance(c, str) for c in clauses):
        raise SlaPolicyError(f"{where}: clauses must be a list of clause ids")
    targets: dict[tuple[Metric, str], Target] = {}
    for metric in Metric:
        metric_table = table.get(metric.value)
        if metric_table is None:
            continue
        if not isinstance(metric_table, Mapping):
            raise SlaPolicyError(f"{where}: {metric} must be a table of severities")
        metric_tier = _tier(metric_table.get("tier", tier), f"{where}.{metric}")
        unknown = sorted(set(metric_table) - {*SEVERITIES, "tier"})
        if unknown:
            raise SlaPolicyError(f"{where}.{metric}: unknown severity {unknown[0]!r}")
        for severity in SEVERITIES:
            if severity in metric_table:
                text = metric_table[severity]
                duration, business = _duration(text, f"{where}.{metric}.{severity}", business_day)
                targets[(metric, severity)] = Target(
                    str(table["id"]), metric, severity, duration, business, metric_tier, str(text)
                )
    if not targets:
        raise SlaPolicyError(f"{where} has no targets")
    return SlaPolicy(
        id=str(table["id"]),
        plan=_str_or_none(when.get("plan")),
        addon=_str_or_none(when.get("addon")),
        clauses=tuple(clauses),
        targets=MappingProxyType(targets),
    )


def _duration(text: object, where: str, business_day: timedelta | None) -> tuple[timedelta, bool]:
    match = TARGET.fullmatch(text.strip()) if isinstance(text, str) else None
    if not match:
        raise SlaPolicyError(f'{where}: {text!r} is not a target such as "2 business hours" or "24 hours"')
    count, business, unit = int(match[1]), bool(match[2]), match[3]
    if count == 0:
        raise SlaPolicyError(f"{where}: a target of zero is not a target")
    if business and unit == "day":
        if business_day is None:
            raise SlaPolicyError(f"{where}: a business day is measured in business hours or minutes")
        return count * business_day, True
    return count * _UNITS[unit], business


def _tier(value: object, where: str) -> Tier:
    try:
        return Tier(str(value))
    except ValueError:
        raise SlaPolicyError(f"{where}: tier must be contractual or goal, not {value!r}") from None


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None
