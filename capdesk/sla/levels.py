"""What the console's "Service levels" page shows of the SLA section the desk loaded.

Read from the running desk's ``SlaConfig`` (``capgo_sla``), never from a copy of its
numbers, so a deployment's own policy file (CAPDESK_POLICY) shows its own targets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import holidays as holidays_package
from django.conf import settings
from django.utils import translation
from django.utils.dates import WEEKDAYS

from capdesk.directory.models import Plan
from capdesk.policy.loader import get_policy
from capdesk.sla.calendar import Calendar, Range
from capdesk.sla.display import METRICS, TIERS, target_words
from capdesk.sla.policies import SEVERITIES, Metric, SlaConfig, SlaPolicy, Tier
from capdesk.tickets.models import Severity, Status

# The page lists the holidays this far ahead: long enough to plan a year's promises.
HOLIDAYS_AHEAD = timedelta(days=365)


@dataclass(frozen=True)
class Cell:
    """One target in a policy's table: the policy file's words in the reader's language, and how it is counted."""

    text: str
    business_hours: bool


@dataclass(frozen=True)
class MetricRow:
    """A policy's targets for one metric, by severity (None where it sets none)."""

    metric: Metric
    tier: Tier
    cells: tuple[Cell | None, ...]

    @property
    def metric_label(self) -> str:
        return str(METRICS[self.metric])

    @property
    def tier_label(self) -> str:
        return str(TIERS[self.tier])


@dataclass(frozen=True)
class PolicyView:
    """One policy as the page shows it: what it applies to, the clauses, the targets."""

    policy: SlaPolicy
    clauses: tuple[tuple[str, str], ...]  # (clause id, its text in the agent's language)
    rows: tuple[MetricRow, ...]

    @property
    def plan_label(self) -> str:
        return str(dict(Plan.choices).get(self.policy.plan or "", self.policy.plan))

    @property
    def tier_labels(self) -> list[str]:
        """Its tiers, contractual first: a policy may promise first responses and only aim at the next."""
        return [str(TIERS[tier]) for tier in Tier if any(row.tier == tier for row in self.rows)]


@dataclass(frozen=True)
class Holiday:
    """A day the business-hours calendar stays closed."""

    day: date
    name: str  # the holiday's name where the country list has one
    listed: bool  # named in the policy file (or its iCalendar file), not only by the country


def severities() -> list[tuple[str, str]]:
    """The severities the policy file knows, in its order, with their labels."""
    labels = dict(Severity.choices)
    return [(s, str(labels.get(s, s))) for s in SEVERITIES]


def policy_views(config: SlaConfig) -> list[PolicyView]:
    """Every policy in the order they are matched (the first that applies wins)."""
    policy_file = get_policy()
    language = translation.get_language() or "en"
    views = []
    for policy in config.policies:
        clauses = []
        for cid in policy.clauses:
            clause = policy_file.clauses.get(cid)
            text = (clause.text.get(language) or clause.text.get("en", "")) if clause else ""
            clauses.append((cid, text))
        views.append(PolicyView(policy, tuple(clauses), _rows(policy)))
    return views


def _rows(policy: SlaPolicy) -> tuple[MetricRow, ...]:
    rows = []
    for metric in Metric:
        targets = [policy.targets.get((metric, severity)) for severity in SEVERITIES]
        present = [t for t in targets if t is not None]
        if present:
            cells = tuple(Cell(target_words(t.text), t.business_hours) if t else None for t in targets)
            rows.append(MetricRow(metric, present[0].tier, cells))
    return tuple(rows)


def business_calendar(config: SlaConfig) -> Calendar:
    """The business-hours calendar; its hours and holidays are the same in every zone."""
    return config.calendar_for(business_hours=True, timezone="UTC")


def week(calendar: Calendar) -> list[tuple[str, str]]:
    """Each weekday, Monday first, with its opening hours ("" when closed)."""
    return [(str(WEEKDAYS[i]), format_ranges(calendar.week[i])) for i in range(7)]


def format_ranges(ranges: Sequence[Range]) -> str:
    """``((360, 1080),)`` -> ``06:00-18:00``."""
    return ", ".join(f"{_clock(start)}-{_clock(end)}" for start, end in ranges)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def holidays_ahead(calendar: Calendar, today: date) -> list[Holiday]:
    """The calendar's holidays from today for HOLIDAYS_AHEAD, explicit and the country's."""
    end = today + HOLIDAYS_AHEAD
    years = range(today.year, end.year + 1)
    days = sorted(d for year in years for d in calendar.holidays_in(year) if today <= d <= end)
    names = _country_names(calendar, list(years))
    return [Holiday(d, names.get(d, ""), d in calendar.holidays) for d in days]


def _country_names(calendar: Calendar, years: list[int]) -> dict[date, str]:
    """The country's holiday names, in the agent's language where the holidays package has it."""
    if calendar.country is None:
        return {}
    country = calendar.country
    wanted = translation.get_language() or "en"
    supported = holidays_package.country_holidays(
        country.country, subdiv=country.subdivision
    ).supported_languages
    # Asked explicitly: left to itself the package does not follow the agent's language.
    language = next((code for code in supported if code.split("_")[0] == wanted), None)
    found = holidays_package.country_holidays(
        country.country, subdiv=country.subdivision, years=years, language=language
    )
    return {day: str(name) for day, name in found.items()}


def pause_statuses(config: SlaConfig) -> list[str]:
    """The statuses the clocks stand still in, by their labels."""
    labels = dict(Status.choices)
    return [str(labels.get(s, s)) for s in Status.values if s in config.pause_statuses]


def policy_path() -> Path:
    """The file the desk read its service levels from (``capgo_sla`` reads this path)."""
    return Path(settings.CAPDESK_POLICY).resolve()
