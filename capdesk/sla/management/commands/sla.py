"""`capdesk sla`: the SLA tools on the command line.

    capdesk sla deadline --calendar FILE --start ISO8601 (--business-minutes N | --minutes N)

prints the deadline as ISO 8601 UTC (``2026-12-28T10:00:00Z``), DESIGN.md's stable
interface. ``--business-minutes`` counts only the calendar's open time; ``--minutes``
is plain elapsed time (a 24/7 target), and the calendar file is still read and checked.

    capdesk sla report [--by month,policy,severity] [--month 2026-06] [--metric first_response]

prints attainment as CSV: targets, met, share met, median and p90 response in
business minutes, per group (month, policy, tier, severity, metric, agent).
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from capdesk.sla.business_time import NoBusinessHours, add_business_time
from capdesk.sla.calendar_file import CalendarError, load_calendar
from capdesk.sla.reports import GROUPINGS, attainment, clock_facts, decided_clocks


def format_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z; seconds always, fractions only when there are any."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


def parse_start(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--start {text!r} is not an ISO 8601 date and time") from None
    if moment.tzinfo is None:
        raise CommandError(f"--start {text!r} has no UTC offset (add Z or +07:00)")
    return moment


def _minutes(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a whole number of minutes") from None
    if value < 0:
        raise CommandError(f"{text!r} minutes: the number cannot be negative")
    return value


class Command(BaseCommand):
    help = "SLA tools: `deadline` (when a target is due on a calendar), `report` (attainment as CSV)."
    # A calculator other tools script against: it needs nothing but its inputs, so the
    # project-wide system checks (URLs, templates ...) are not run before it.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        deadline = sub.add_parser(
            "deadline", help="Print the deadline (ISO 8601 UTC) of a target started at --start."
        )
        deadline.add_argument("--calendar", required=True, type=Path, help="Calendar file (TOML).")
        deadline.add_argument(
            "--start", required=True, help="ISO 8601 with a UTC offset, e.g. 2026-03-27T17:00:00+01:00."
        )
        amount = deadline.add_mutually_exclusive_group(required=True)
        amount.add_argument("--business-minutes", type=str, help="Minutes of the calendar's open time.")
        amount.add_argument("--minutes", type=str, help="Minutes of plain elapsed time.")
        report = sub.add_parser("report", help="SLA attainment as CSV.")
        report.add_argument("--by", default="month,policy,severity", help=f"Groups: {', '.join(GROUPINGS)}.")
        report.add_argument("--month", help="Only clocks started in this month (UTC), e.g. 2026-06.")
        report.add_argument("--metric", help="Only this metric: first_response or next_response.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "report":
            self.report(options)
            return
        try:
            calendar = load_calendar(options["calendar"])
        except CalendarError as exc:
            raise CommandError(str(exc)) from None
        start = parse_start(options["start"])
        try:
            if options["minutes"] is not None:
                deadline = start + timedelta(minutes=_minutes(options["minutes"]))
            else:
                amount = timedelta(minutes=_minutes(options["business_minutes"]))
                deadline = add_business_time(calendar, start, amount)
        except NoBusinessHours as exc:
            raise CommandError(f"{options['calendar']}: {exc}") from None
        except OverflowError:
            raise CommandError("the deadline falls after the year 9999") from None
        self.stdout.write(format_utc(deadline))

    def report(self, options: dict[str, Any]) -> None:
        by = [g.strip() for g in options["by"].split(",") if g.strip()]
        now = timezone.now()
        clocks = decided_clocks(now)
        if options["metric"]:
            clocks = clocks.filter(metric=options["metric"])
        facts = clock_facts(clocks.iterator(), now)
        if options["month"]:
            facts = (f for f in facts if f.month == options["month"])
        try:
            rows = attainment(facts, by)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow([*by, "targets", "met", "share_met", "median_minutes", "p90_minutes"])
        for row in rows:
            median, p90 = (_whole_minutes(v) for v in (row.median, row.p90))
            writer.writerow([*row.key, row.targets, row.met, f"{row.share_met:.3f}", median, p90])


def _whole_minutes(amount: timedelta | None) -> str:
    return "" if amount is None else str(int(amount.total_seconds() // 60))
