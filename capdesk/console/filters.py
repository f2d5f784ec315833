"""The ticket list's views and filters, read from the query string (so a saved view is just one)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import timedelta
from urllib.parse import urlencode

from django.contrib.auth.models import User
from django.db.models import F, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy

from capdesk.tickets.models import OPEN_STATUSES, Severity, Status, Ticket

VIEWS = {
    "open": gettext_lazy("Open"),
    "mine": gettext_lazy("Mine"),
    "unassigned": gettext_lazy("Unassigned"),
    "breaching": gettext_lazy("Breaching soon"),
    "pending": gettext_lazy("Pending customer"),
    "solved": gettext_lazy("Solved"),
    "all": gettext_lazy("All"),
}

# "Breaching soon": the next SLA deadline falls within this window (or has passed).
BREACHING_WINDOW = timedelta(hours=4)


@dataclass(frozen=True)
class Filters:
    view: str = "open"
    q: str = ""
    status: str = ""
    severity: str = ""
    queue: str = ""
    outcome: str = ""
    organization: str = ""
    project: str = ""
    assignee: str = ""

    @classmethod
    def from_query(cls, data: QueryDict) -> Filters:
        values = {f.name: data.get(f.name, "").strip()[:200] for f in fields(cls)}
        if values["view"] not in VIEWS:
            values["view"] = "open"
        if values["status"] not in Status.values:
            values["status"] = ""
        if values["severity"] not in Severity.values:
            values["severity"] = ""
        for numeric in ("organization", "project"):
            if not values[numeric].isdigit():
                values[numeric] = ""
        if values["assignee"] not in ("none",) and not values["assignee"].isdigit():
            values["assignee"] = ""
        return cls(**values)

    def querystring(self, **changes: str) -> str:
        """This list's query string, with ``changes`` applied; empty values left out."""
        values = {f.name: getattr(self, f.name) for f in fields(self)} | changes
        return urlencode({k: v for k, v in values.items() if v and not (k == "view" and v == "open")})

    @property
    def narrowed(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self) if f.name not in ("view", "q"))


def apply(tickets: QuerySet[Ticket], filters: Filters, agent: User) -> QuerySet[Ticket]:
    view = filters.view
    if view in ("open", "mine", "unassigned", "breaching"):
        tickets = tickets.filter(status__in=OPEN_STATUSES)
    if view == "mine":
        tickets = tickets.filter(assignee=agent)
    elif view == "unassigned":
        tickets = tickets.filter(assignee__isnull=True)
    elif view == "breaching":
        tickets = tickets.filter(next_deadline__lte=timezone.now() + BREACHING_WINDOW)
    elif view == "pending":
        tickets = tickets.filter(status=Status.PENDING)
    elif view == "solved":
        tickets = tickets.filter(status__in=(Status.SOLVED, Status.CLOSED))
    if filters.status:
        tickets = tickets.filter(status=filters.status)
    if filters.severity:
        tickets = tickets.filter(severity=filters.severity)
    if filters.queue:
        tickets = tickets.filter(queue__slug=filters.queue)
    if filters.outcome:
        tickets = tickets.filter(outcome=filters.outcome)
    if filters.organization:
        tickets = tickets.filter(organization_id=int(filters.organization))
    if filters.project:
        tickets = tickets.filter(project_id=int(filters.project))
    if filters.assignee == "none":
        tickets = tickets.filter(assignee__isnull=True)
    elif filters.assignee:
        tickets = tickets.filter(assignee_id=int(filters.assignee))
    return tickets


def by_deadline(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """The earliest SLA deadline first; tickets without one after, oldest first."""
    return tickets.order_by(F("next_deadline").asc(nulls_last=True), "created_at")


def first_by_deadline(tickets: QuerySet[Ticket], size: int) -> list[Ticket]:
    """``by_deadline(tickets)[:size]``, read in two index-ordered parts.

    SQLite cannot walk an index for ``NULLS LAST`` and sorts every matching row instead
    (700,000 open tickets at a million); with the tickets that have a deadline first and
    those without only when the page is not full, both parts stop after ``size`` rows of
    the (…, next_deadline, created_at) indexes.
    """
    due = list(tickets.filter(next_deadline__isnull=False).order_by("next_deadline", "created_at")[:size])
    if len(due) < size:
        due += tickets.filter(next_deadline__isnull=True).order_by("created_at")[: size - len(due)]
    return due
