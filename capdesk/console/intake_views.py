"""The intake log for admins: every stored request, what became of it, and its bytes on demand.

Mail that opened no ticket (an out-of-office reply, a bounce, list mail) is ignored by
design; this page is where "I emailed you yesterday" can be checked. The table grows
without bound, so pages follow a (received_at, id) key instead of counting rows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from capdesk.console.audit_views import admin_required
from capdesk.core import audit
from capdesk.intake import channels
from capdesk.intake import models as intake_models
from capdesk.intake.models import InboundRequest, SenderDomain

logger = logging.getLogger(__name__)

PER_PAGE = 50
IGNORED = "ignored"  # the state filter's extra choice: processed, and no ticket came of it


@dataclass(frozen=True)
class Filters:
    """What the query string asks for, each value already checked (anything else is dropped)."""

    state: str = ""
    channel: str = ""
    sender: str = ""

    def query(self) -> str:
        return urlencode({k: v for k, v in vars(self).items() if v})


def read_filters(params: dict[str, str]) -> Filters:
    state = params.get("state", "").strip()
    channel = params.get("channel", "").strip()
    return Filters(
        state=state if state in (*InboundRequest.State.values, IGNORED) else "",
        channel=channel if channel in channels.registered() else "",
        sender=params.get("sender", "").strip().lower()[:320],
    )


def read_cursor(value: str) -> tuple[datetime, int] | None:
    """``<received_at ISO>_<id>`` of the last row shown; a cursor that does not parse starts over."""
    at, _, pk = value.rpartition("_")
    try:
        when, row = datetime.fromisoformat(at), int(pk)
    except ValueError:
        return None
    # An id past a 64-bit integer would be refused by the database as an error, not a page.
    return (when, row) if when.tzinfo is not None and 0 < row < 2**63 else None


def write_cursor(row: InboundRequest) -> str:
    return f"{row.received_at.isoformat()}_{row.pk}"


def filtered(given: Filters) -> QuerySet[InboundRequest]:
    """Each filter is one equality an index leads with (intake.models), so a page reads ~50 rows."""
    rows = InboundRequest.objects.all()
    if given.state == IGNORED:
        rows = rows.filter(intake_models.IGNORED)
    elif given.state:
        rows = rows.filter(state=given.state)
    if given.channel:
        rows = rows.filter(channel=given.channel)
    if given.sender:
        local, _, domain = given.sender.rpartition("@")
        if local:  # a whole address
            rows = rows.alias(sender_lower=Lower("claimed_sender")).filter(sender_lower=given.sender)
        else:  # "acme.test" or "@acme.test": the domain, never a suffix of another one
            rows = rows.alias(domain=SenderDomain("claimed_sender")).filter(domain=domain or given.sender)
    return rows


def page_of(
    rows: QuerySet[InboundRequest], cursor: tuple[datetime, int] | None
) -> tuple[list[InboundRequest], str]:
    """One page, newest first, and the cursor of the next (empty on the last)."""
    if cursor is not None:
        at, pk = cursor
        # The redundant ``lte`` gives the database a range to seek in the index.
        rows = rows.filter(received_at__lte=at).filter(Q(received_at__lt=at) | Q(pk__lt=pk))
    page = list(
        rows.select_related("ticket", "authenticated_person")
        .defer("raw")  # the bytes can be megabytes a row; they are only ever downloaded
        .order_by("-received_at", "-id")[: PER_PAGE + 1]
    )
    more = len(page) > PER_PAGE
    page = page[:PER_PAGE]
    return page, write_cursor(page[-1]) if more else ""


@require_GET
@admin_required
def intake_log(request: HttpRequest) -> HttpResponse:
    given = read_filters(request.GET.dict())
    cursor = read_cursor(request.GET.get("before", ""))
    rows, next_cursor = page_of(filtered(given), cursor)
    query = given.query()
    older = "&".join(filter(None, [query, urlencode({"before": next_cursor})])) if next_cursor else ""
    return render(
        request,
        "console/intake_log.html",
        {
            "rows": rows,
            "given": given,
            "query": query,
            "older": older,
            "paged": cursor is not None,
            "channels": sorted(channels.registered()),
            "ignored": IGNORED,
        },
    )


@require_GET
@admin_required
def intake_raw(request: HttpRequest, pk: int) -> HttpResponse:
    """Any stored request exactly as received, as a file; who read a customer's bytes is audited."""
    stored = get_object_or_404(InboundRequest, pk=pk)
    email = stored.channel == "email"
    response = HttpResponse(bytes(stored.raw), content_type="message/rfc822" if email else "application/json")
    response["Content-Disposition"] = (
        f'attachment; filename="request-{stored.pk}.{"eml" if email else "json"}"'
    )
    logger.info("console.intake_downloaded", extra={"request_id": stored.pk, "user_id": request.user.pk})
    audit.record_staff(
        audit.Action.INTAKE_DOWNLOADED,
        request.user,
        request=request,
        target_type="inbound_request",
        target_id=stored.pk,
        details={"channel": stored.channel, "state": stored.state},
    )
    return response
