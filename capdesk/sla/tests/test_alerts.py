"""The sweep warns before a target is missed and records breaches when they happened, even after downtime."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import override_settings

from capdesk.core.schedule import jobs
from capdesk.notify.models import OutboundEmail
from capdesk.sla.actions import sweep_alerts
from capdesk.sla.models import Clock
from capdesk.sla.tests.helpers import MONDAY_9_WIB, only_clock, open_ticket_at, organization, staff_user, utc
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets.models import Event, Ticket

pytestmark = pytest.mark.usefixtures("db")


def sweep_at(at: datetime, *, limit: int = 100) -> int:
    with time_machine.travel(at, tick=False):
        return sweep_alerts(limit=limit)


def alert_emails(kind: str) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(kind=f"sla_{kind}").order_by("to"))


def urgent_enterprise_ticket(assigned: bool = True) -> Ticket:
    ticket = open_ticket_at(MONDAY_9_WIB, organization("enterprise"), severity="urgent")  # due 03:00 UTC
    if assigned:
        ticket.assignee = staff_user("dina")
        ticket.save(update_fields=["assignee"])
    return ticket


@override_settings(CAPDESK_SLA_ALERT_TO=["support=leads@capgo.app"])
def test_it_warns_the_assignee_and_the_queue_at_three_quarters_of_the_target() -> None:
    ticket = urgent_enterprise_ticket()
    assert sweep_at(utc(2026, 6, 8, 2, 44)) == 0  # 44 of 60 minutes
    assert sweep_at(utc(2026, 6, 8, 2, 45)) == 1
    warnings = alert_emails("warning")
    assert [e.to for e in warnings] == ["dina@capgo.app", "leads@capgo.app"]
    assert warnings[0].subject == f"[{ticket.reference}] SLA warning: first response due 2026-06-08 03:00 UTC"
    assert "1 hour (urgent, enterprise policy, contractual)" in warnings[0].body_text
    assert only_clock(ticket).warned_at == utc(2026, 6, 8, 2, 45)
    assert sweep_at(utc(2026, 6, 8, 2, 50)) == 0  # once only


@override_settings(CAPDESK_SLA_ALERT_TO=["*=desk@capgo.app"])
def test_it_records_the_breach_and_escalates_to_the_queue() -> None:
    ticket = urgent_enterprise_ticket(assigned=False)
    sweep_at(utc(2026, 6, 8, 2, 45))
    assert sweep_at(utc(2026, 6, 8, 3, 0)) == 1
    clock = only_clock(ticket)
    assert (clock.breached_at, clock.state, clock.next_alert_at) == (utc(2026, 6, 8, 3), "running", None)
    (breach,) = alert_emails("breach")
    assert breach.to == "desk@capgo.app"
    assert "which is contractual (L1)" in breach.body_text
    event = Event.objects.get(ticket=ticket, kind="sla.breached")
    assert event.data["at"] == "2026-06-08T03:00:00+00:00"
    ticket.refresh_from_db()
    assert ticket.next_deadline == utc(2026, 6, 8, 3)  # still unanswered: it stays at the top of the queue


@override_settings(CAPDESK_SLA_ALERT_TO=["*=desk@capgo.app"])
def test_it_catches_up_after_the_worker_was_down_and_dates_breaches_when_they_happened() -> None:
    tickets = [urgent_enterprise_ticket(assigned=False) for _ in range(5)]
    # The worker comes back three days later; it works in batches of two.
    back = utc(2026, 6, 11, 9)
    handled = [sweep_at(back, limit=2) for _ in range(4)]
    assert handled == [2, 2, 1, 0]
    for ticket in tickets:
        assert only_clock(ticket).breached_at == utc(2026, 6, 8, 3)
    assert len(alert_emails("breach")) == 5
    assert alert_emails("warning") == []  # a warning after the fact helps nobody


def test_it_sends_nothing_for_a_clock_answered_in_time() -> None:
    ticket = urgent_enterprise_ticket()
    with time_machine.travel(utc(2026, 6, 8, 2, 30), tick=False):
        ticket_actions.reply_as_agent(ticket, agent=staff_user("agent"), body="On it")
    assert sweep_at(utc(2026, 6, 9)) == 0
    assert alert_emails("warning") == alert_emails("breach") == []


def test_it_finds_due_clocks_through_the_index() -> None:
    query = Clock.objects.filter(next_alert_at__lte=utc(2026, 6, 8)).order_by("next_alert_at", "id")[:100]
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        else:
            cursor.execute("SET LOCAL enable_seqscan = off")  # an empty table would be scanned anyway
            cursor.execute(f"EXPLAIN {sql}", params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "next_alert_at" in plan or "sla_clock_next_al" in plan, plan


def test_it_delivers_the_alerts_through_the_outbox(run_worker: object) -> None:
    urgent_enterprise_ticket()
    sweep_at(utc(2026, 6, 8, 3, 1))
    run_worker()  # type: ignore[operator]
    alerts = [m for m in mail.outbox if "SLA missed" in m.subject]
    assert [m.to for m in alerts] == [["dina@capgo.app"]]
    assert alerts[0].extra_headers["Auto-Submitted"] == "auto-generated"


def test_it_is_run_by_the_scheduler() -> None:
    assert "sla.sweep_alerts" in {job.name for job in jobs()}
