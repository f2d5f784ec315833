"""The console's SLA pages, for agents: attainment (with charts and CSV), Enterprise uptime credits,
and the service levels the desk loaded, with a deadline calculator."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone

from capdesk.console.views import agent_required
from capdesk.sla import levels
from capdesk.sla.charts import response_chart, share_met_chart
from capdesk.sla.credit_data import month_credits
from capdesk.sla.credits import last_month
from capdesk.sla.forms import DeadlineForm
from capdesk.sla.policies import CAPGO_SLA, capgo_sla
from capdesk.sla.reports import (
    METRICS,
    ReportError,
    attainment,
    parse_by,
    report_facts,
    whole_minutes,
    write_csv,
)
from capdesk.tickets.scoping import agent_queue_ids

# The page's four views of attainment (issue 5, point 7): grouping, heading.
SECTIONS = (("policy", "By plan"), ("severity", "By severity"), ("agent", "By agent"), ("month", "By month"))


@agent_required
def report(request: HttpRequest) -> HttpResponse:
    month = request.GET.get("month", "").strip() or None
    metric = request.GET.get("metric", "").strip() or None
    try:
        facts = report_facts(
            timezone.now(), month=month, metric=metric, queue_ids=agent_queue_ids(request.user)
        )
    except ReportError as exc:
        return HttpResponseBadRequest(str(exc))
    sections = []
    for by, heading in SECTIONS:
        rows = attainment(facts, [by])
        sections.append(
            {
                "by": by,
                "heading": heading,
                "rows": [(row, whole_minutes(row.median), whole_minutes(row.p90)) for row in rows],
                "share_chart": share_met_chart(f"{heading}: share of targets met", rows),
                "response_chart": response_chart(f"{heading}: median and p90 response", rows),
            }
        )
    context = {"sections": sections, "month": month or "", "metric": metric or "", "metrics": METRICS}
    return render(request, "sla/report.html", context)


@agent_required
def report_csv(request: HttpRequest) -> HttpResponse:
    month = request.GET.get("month", "").strip() or None
    metric = request.GET.get("metric", "").strip() or None
    try:
        by = parse_by(request.GET.get("by", "month,policy,severity"))
        facts = report_facts(
            timezone.now(), month=month, metric=metric, queue_ids=agent_queue_ids(request.user)
        )
    except ReportError as exc:
        return HttpResponseBadRequest(str(exc))
    out = StringIO()
    write_csv(out, by, attainment(facts, by))
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    name = "-".join(["sla-attainment", *by, *([month] if month else [])])
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


@agent_required
def credits(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    month = request.GET.get("month", "").strip() or last_month(now.strftime("%Y-%m"))
    org = request.GET.get("org", "").strip()
    try:
        figures = month_credits(month, now, organization_id=int(org) if org.isdigit() else None)
    except ValueError as exc:
        return render(request, "sla/credits.html", {"month": month, "error": str(exc)}, status=400)
    causes = [(c, round(c.downtime_seconds / 60, 1)) for c in figures.causes]
    down = timedelta(seconds=sum(c.downtime_seconds for c in figures.causes))
    context = {
        "month": month,
        "figures": figures,
        "causes": causes,
        "downtime_minutes": round(down.total_seconds() / 60, 1),
        "one_org": org.isdigit(),
    }
    return render(request, "sla/credits.html", context)


@agent_required
def service_levels(request: HttpRequest) -> HttpResponse:
    """The SLA policies and calendars as loaded, and when a ticket started now (or then) would be due."""
    config = capgo_sla()
    calendar = levels.business_calendar(config)
    form = DeadlineForm(request.GET if "severity" in request.GET else None, config=config)
    path = levels.policy_path()
    context = {
        "config": config,
        "policies": levels.policy_views(config),
        "severities": levels.severities(),
        "week": levels.week(calendar),
        "calendar": calendar,
        "holidays": levels.holidays_ahead(calendar, timezone.now().date()),
        "pause_statuses": levels.pause_statuses(config),
        "warn_percent": round(config.warn_at * 100),
        "path": path,
        "shipped": path == CAPGO_SLA,
        "form": form,
        "answer": form.answer(),
    }
    return render(request, "sla/levels.html", context)
