"""`capdesk sla`: the SLA tools on the command line.

    capdesk sla deadline --calendar FILE --start ISO8601 (--business-minutes N | --minutes N)

prints the deadline as ISO 8601 UTC (``2026-12-28T10:00:00Z``), DESIGN.md's stable
interface. ``--business-minutes`` counts only the calendar's open time; ``--minutes``
is plain elapsed time (a 24/7 target), and the calendar file is still read and checked.

    capdesk sla report [--by month,policy,severity] [--month 2026-06] [--metric first_response]

prints attainment as CSV: targets, met, share met, median and p90 response in
business minutes, per group (month, policy, tier, severity, metric, agent).

    capdesk sla credits --month 2026-10 [--json]

prints each paying Enterprise organization's availability that month (from the status
page's recorded downtime, announced maintenance excluded) and its credit tier, then
the incidents behind the downtime.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from capdesk.sla.business_time import NoBusinessHours, add_business_time
from capdesk.sla.calendar_file import CalendarError, load_calendar
from capdesk.sla.credit_data import month_credits
from capdesk.sla.credit_export import credits_document
from capdesk.sla.credits import percent_text
from capdesk.sla.reports import GROUPINGS, ReportError, attainment, parse_by, report_facts, write_csv


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
        credits = sub.add_parser("credits", help="Enterprise uptime credits for a month.")
        credits.add_argument("--month", required=True, help="The calendar month (UTC), e.g. 2026-10.")
        credits.add_argument("--json", action="store_true", help="One JSON document instead of text.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "report":
            self.report(options)
            return
        if options["action"] == "credits":
            self.credits(options)
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
        try:
            by = parse_by(options["by"])
            facts = report_facts(timezone.now(), month=options["month"], metric=options["metric"])
        except ReportError as exc:
            raise CommandError(str(exc)) from None
        write_csv(self.stdout, by, attainment(facts, by))

    def credits(self, options: dict[str, Any]) -> None:
        try:
            figures = month_credits(options["month"], timezone.now())
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if options["json"]:
            self.stdout.write(json.dumps(credits_document(figures), indent=2))
            return
        state = "" if figures.complete else f" (so far, to {format_utc(figures.end)})"
        self.stdout.write(
            f"{figures.month}{state}: platform availability {percent_text(figures.availability)}, "
            f"commitment {figures.commitment:.1%}"
        )
        for row in figures.organizations:
            credit = f"credit {row.credit_percent} %" if row.credit_percent else "no credit"
            self.stdout.write(f"  {row.organization.name}: {percent_text(row.availability)}, {credit}")
        for cause in figures.causes:
            name = cause.incident.name if cause.incident else "status set by hand"
            self.stdout.write(f"  - {name}: {cause.downtime_seconds / 60:.1f} min of downtime")
