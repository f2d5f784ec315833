"""Benchmarks for issue 5's "Performance": the deadline maths, and the sweep's due-now query.

    python -m capdesk.sla.bench [--seconds 3]
    python -m capdesk.sla.bench --due-now 1000000   # against DATABASE_URL (migrated); rolled back after

Random starts through 2026, targets up to 2 business days (24 business hours) on
06:00-18:00 Monday-Friday in Europe/Paris with Indonesia's public holidays and two
explicit ones, so DST changes and holidays are both on the path. Prints deadlines
per second for both and checks that they agree on every case the reference ran.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from capdesk.sla.business_time import add_business_time
from capdesk.sla.calendar import Calendar, CountryHolidays, parse_ranges

GOAL_PER_SECOND = 100_000


def bench_calendar() -> Calendar:
    workday = parse_ranges("06:00-18:00")
    return Calendar(
        zone=ZoneInfo("Europe/Paris"),
        week=(workday,) * 5 + ((), ()),
        holidays=frozenset({date(2026, 12, 25), date(2026, 5, 1)}),
        country=CountryHolidays("ID"),
    )


def cases(count: int, seed: int = 5) -> list[tuple[datetime, timedelta]]:
    rng = random.Random(seed)  # noqa: S311  (reproducible test data, not secrets)
    year = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        (
            year + timedelta(minutes=rng.randrange(365 * 24 * 60)),
            timedelta(minutes=rng.randrange(1, 24 * 60 + 1)),
        )
        for _ in range(count)
    ]


def rate(calendar: Calendar, work: list[tuple[datetime, timedelta]], seconds: float) -> tuple[float, int]:
    done, began = 0, time.perf_counter()
    while time.perf_counter() - began < seconds:
        for start, amount in work:
            add_business_time(calendar, start, amount)
        done += len(work)
    return done / (time.perf_counter() - began), done


def due_now(rows: int) -> None:
    """Time the sweep's query over ``rows`` running clocks, and show the database's plan for it."""
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "capdesk.settings")
    django.setup()
    from django.db import connection, transaction

    from capdesk.sla.models import Clock
    from capdesk.sla.tests.helpers import open_ticket_at, organization

    now = datetime(2026, 6, 8, tzinfo=UTC)
    with transaction.atomic():
        ticket = open_ticket_at(now, organization("enterprise"))
        rng = random.Random(7)  # noqa: S311  (reproducible test data, not secrets)
        began = time.perf_counter()
        for first in range(0, rows, 10_000):
            batch = []
            for _ in range(min(10_000, rows - first)):
                # A year of deadlines around now: about 1 in 365 is due.
                due = now + timedelta(minutes=rng.randrange(-720, 365 * 24 * 60))
                batch.append(
                    Clock(
                        ticket=ticket,
                        metric="first_response",
                        policy="enterprise",
                        tier="contractual",
                        severity="normal",
                        target_seconds=43200,
                        target_text="1 business day",
                        business_hours=True,
                        timezone="UTC",
                        started_at=now,
                        due_at=due,
                        next_alert_at=due,
                    )
                )
            Clock.objects.bulk_create(batch)
        print(f"inserted {rows:,} clocks in {time.perf_counter() - began:.1f} s ({connection.vendor})")
        query = Clock.objects.filter(next_alert_at__lte=now).order_by("next_alert_at", "id")[:100]
        timings = []
        for _ in range(20):
            began = time.perf_counter()
            found = len(list(query.values_list("pk", flat=True)))
            timings.append(time.perf_counter() - began)
        print(
            f"due-now query: {found} clocks, best {min(timings) * 1000:.2f} ms, worst {max(timings) * 1000:.2f} ms (goal < 100 ms)"
        )
        sql, params = query.query.sql_with_params()
        with connection.cursor() as cursor:
            explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
            cursor.execute(explain + sql, params)
            for row in cursor.fetchall():
                print("plan:", " ".join(str(part) for part in row))
        transaction.set_rollback(True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--due-now", type=int, metavar="ROWS", help="Benchmark the sweep's query instead.")
    args = parser.parse_args()
    if args.due_now:
        due_now(args.due_now)
        return
    from capdesk.sla.tests.reference import reference_deadline

    calendar = bench_calendar()
    work = cases(10_000)
    add_business_time(calendar, *work[0])  # warm the per-year caches, as a running desk has them
    per_second, done = rate(calendar, work, args.seconds)
    sample = work[:200]
    began = time.perf_counter()
    for start, amount in sample:
        assert add_business_time(calendar, start, amount) == reference_deadline(
            calendar, start, amount // timedelta(minutes=1)
        )
    reference_per_second = len(sample) / (time.perf_counter() - began)
    print(f"deadline maths: {per_second:,.0f} deadlines/s ({done:,} computed)")
    print(
        f"reference (minute stepping): {reference_per_second:,.0f} deadlines/s; agree on {len(sample)} cases"
    )
    print(
        f"speed-up: {per_second / reference_per_second:,.0f}x; goal {GOAL_PER_SECOND:,}/s: {'met' if per_second >= GOAL_PER_SECOND else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
