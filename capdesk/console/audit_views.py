"""The audit log for admins: filter by actor, action and date, page through it, export it as CSV."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from capdesk.console.views import agent_required
from capdesk.core.audit import Action
from capdesk.core.models import AuditEntry

PER_PAGE = 50
# Spreadsheets run a cell that starts with one of these as a formula (CSV injection); a user
# name or a refusal reason is text a stranger typed, so such cells get a leading quote.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def admin_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Agents are sent away with a 403: who signed in and who changed access is for admins."""

    @agent_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not getattr(request.user, "is_superuser", False):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _filtered(request: HttpRequest) -> tuple[QuerySet[AuditEntry], dict[str, str]]:
    """The entries the query string asks for; values that do not parse are ignored, not an error."""
    given = {name: request.GET.get(name, "").strip()[:200] for name in ("actor", "action", "since", "until")}
    rows = AuditEntry.objects.select_related("actor_user")
    if given["actor"]:
        rows = rows.filter(actor_label__icontains=given["actor"])
    if given["action"] in Action.all():
        rows = rows.filter(action=given["action"])
    else:
        given["action"] = ""
    zone = timezone.get_current_timezone()
    if since := _day(given["since"]):
        rows = rows.filter(created_at__gte=datetime.combine(since, time.min, tzinfo=zone))
    if until := _day(given["until"]):
        # Inclusive: "until 27 November" means the whole of that day.
        rows = rows.filter(created_at__lt=datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone))
    return rows.order_by("-created_at", "-id"), given


@require_GET
@admin_required
def audit_log(request: HttpRequest) -> HttpResponse:
    rows, given = _filtered(request)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in given.items() if v})
    return render(
        request,
        "console/audit.html",
        {"page": page, "given": given, "actions": Action.all(), "query": query},
    )


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


@require_GET
@admin_required
def audit_csv(request: HttpRequest) -> StreamingHttpResponse:
    """Every matching entry (streamed, so a long log does not sit in memory), same filters as the page."""
    rows, _ = _filtered(request)
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow(
            ["time", "actor_kind", "actor", "action", "target_type", "target_id", "ip", "details"]
        )
        for e in rows.iterator(chunk_size=500):
            yield writer.writerow(
                [
                    _cell(e.created_at.isoformat()),
                    _cell(e.actor_kind),
                    _cell(e.actor_label),
                    _cell(e.action),
                    _cell(e.target_type),
                    _cell(e.target_id),
                    _cell(e.ip),
                    _cell(e.details),
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="capdesk-audit.csv"'
    return response
