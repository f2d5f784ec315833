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
from django.db.models.functions import Length, Lower
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from capdesk.console import quarantine_views
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


@dataclass(frozen=True)
class Page:
    """One page of the log, newest first, and the cursors of the pages beside it ("" where there is none)."""

    rows: list[InboundRequest]
    older: str = ""
    newer: str = ""


def _older_than(rows: QuerySet[InboundRequest], at: datetime, pk: int) -> QuerySet[InboundRequest]:
    # The redundant ``lte`` gives the database a range to seek in the index.
    return rows.filter(received_at__lte=at).filter(Q(received_at__lt=at) | Q(pk__lt=pk))


def _newer_than(rows: QuerySet[InboundRequest], at: datetime, pk: int) -> QuerySet[InboundRequest]:
    return rows.filter(received_at__gte=at).filter(Q(received_at__gt=at) | Q(pk__gt=pk))


def page_of(
    rows: QuerySet[InboundRequest],
    before: tuple[datetime, int] | None = None,
    after: tuple[datetime, int] | None = None,
) -> Page:
    """The page older than ``before``, or the one newer than ``after``, or the newest; each reads one index range."""
    shown: QuerySet[InboundRequest] = (
        rows.select_related("ticket", "authenticated_person")
        .defer("raw")  # the bytes can be megabytes a row; they are only ever downloaded
        .annotate(size=Length("raw"))  # measured by the database, without reading them
    )
    if after is not None:
        # Read upwards from the cursor, then shown newest first like every page.
        chunk = list(_newer_than(shown, *after).order_by("received_at", "id")[: PER_PAGE + 1])
        page = chunk[:PER_PAGE][::-1]
        if not page:  # nothing newer any more (rows discarded since): the newest page
            return page_of(rows)
        last = page[-1]
        older = _older_than(rows, last.received_at, last.pk).exists()
        return Page(
            page,
            older=write_cursor(last) if older else "",
            newer=write_cursor(page[0]) if len(chunk) > PER_PAGE else "",
        )
    if before is not None:
        shown = _older_than(shown, *before)
    page = list(shown.order_by("-received_at", "-id")[: PER_PAGE + 1])
    more = len(page) > PER_PAGE
    page = page[:PER_PAGE]
    return Page(
        page,
        older=write_cursor(page[-1]) if more else "",
        # A page reached by "Older" has newer rows: at least those the previous page showed.
        newer=write_cursor(page[0]) if before is not None and page else "",
    )


@require_GET
@admin_required
def intake_log(request: HttpRequest) -> HttpResponse:
    given = read_filters(request.GET.dict())
    before = read_cursor(request.GET.get("before", ""))
    after = None if before is not None else read_cursor(request.GET.get("after", ""))
    page = page_of(filtered(given), before, after)
    query = given.query()

    def link(key: str, cursor: str) -> str:
        return "&".join(filter(None, [query, urlencode({key: cursor})])) if cursor else ""

    return render(
        request,
        "console/intake_log.html",
        {
            "rows": page.rows,
            "given": given,
            "query": query,
            "older": link("before", page.older),
            "newer": link("after", page.newer),
            "channels": sorted(channels.registered()),
            "ignored": IGNORED,
            **quarantine_views.limits(),
        },
    )


@require_GET
@admin_required
def intake_raw(request: HttpRequest, pk: int) -> HttpResponse:
    """Any stored request exactly as received, as a file; who read a customer's bytes is audited."""
    stored = get_object_or_404(InboundRequest, pk=pk)
    response = quarantine_views.raw_file(stored)
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
