"""The reports page (charts drawn as SVG on the server) and its CSV export."""

from __future__ import annotations

import csv

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from capdesk.console import charts, reports
from capdesk.console.views import agent_required
from capdesk.tickets.scoping import agent_tickets

WEEK_CHOICES = (4, 12, 26, 52)


def _weeks(request: HttpRequest) -> int:
    value = request.GET.get("weeks", "12")
    return int(value) if value.isdigit() and int(value) in WEEK_CHOICES else 12


@agent_required
def report(request: HttpRequest) -> HttpResponse:
    weeks = _weeks(request)
    tickets = agent_tickets(request.user)
    titles = {
        "channel": _("Requests by channel"),
        "scope": _("Requests by scope"),
        "outcome": _("Requests by outcome"),
        "plan": _("Requests by plan"),
    }
    sections = []
    for dimension, title in titles.items():
        table = reports.volume(tickets, dimension, weeks)
        labels = [w.strftime("%d %b") for w in table.weeks]
        series = [charts.Series(key, table.row(key)) for key in table.keys]
        sections.append(
            {"key": dimension, "title": title, "chart": charts.stacked_bars(labels, series, title=title)}
        )
    return render(
        request,
        "console/reports.html",
        {
            "sections": sections,
            "deflection": reports.deflection(tickets, weeks),
            "weeks": weeks,
            "week_choices": WEEK_CHOICES,
        },
    )


@agent_required
def report_csv(request: HttpRequest) -> HttpResponse:
    """One row per week, dimension and value: easy to pivot in a spreadsheet."""
    weeks = _weeks(request)
    tickets = agent_tickets(request.user)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="capdesk-report-{weeks}w.csv"'
    writer = csv.writer(response)
    writer.writerow(["week", "dimension", "value", "tickets"])
    for dimension in reports.DIMENSIONS:
        table = reports.volume(tickets, dimension, weeks)
        for key in table.keys:
            for week, n in zip(table.weeks, table.row(key), strict=True):
                writer.writerow([week.isoformat(), dimension, key, n])
    result = reports.deflection(tickets, weeks)
    writer.writerow(["", "deflection", "deflected", result.deflected])
    writer.writerow(["", "deflection", "total", result.total])
    return response
