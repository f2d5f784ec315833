"""The ticket list's views and filters, read from the query string (so a saved view is just one)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from datetime import timedelta
from urllib.parse import urlencode

from django.contrib.auth.models import User
from django.db.models import F, Q, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy

from capdesk.directory.models import Organization, Project
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
# A typed organization or project name narrows to at most this many matches; the list
# says "no tickets" rather than scanning every customer's when a word matches too much.
NAME_MATCHES = 50


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
        tickets = tickets.filter(organization_id__in=organization_ids(filters.organization))
    if filters.project:
        tickets = tickets.filter(project_id__in=project_ids(filters.project))
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


# An organization or project is chosen by id (the side counts' links, saved views) or by
# what an agent types: its name or Capgo id, its app id. A desk with thousands of
# customers cannot offer them all in a menu.


def organization_ids(given: str) -> list[int]:
    if given.isdigit():
        return [int(given)]
    try:
        return list(Organization.objects.filter(capgo_id=uuid.UUID(given)).values_list("pk", flat=True))
    except ValueError:
        pass
    # The whole name first, so "Acme" is not also "Acme Staging" once it was picked.
    exact = list(Organization.objects.filter(name__iexact=given).values_list("pk", flat=True)[:NAME_MATCHES])
    if exact:
        return exact
    found = Organization.objects.filter(name__icontains=given).order_by("name")
    return list(found.values_list("pk", flat=True)[:NAME_MATCHES])


def project_ids(given: str) -> list[int]:
    if given.isdigit():
        return [int(given)]
    exact = list(Project.objects.filter(app_id__iexact=given).values_list("pk", flat=True))
    if exact:
        return exact
    found = Project.objects.filter(Q(app_id__icontains=given) | Q(name__icontains=given))
    return list(found.order_by("app_id").values_list("pk", flat=True)[:NAME_MATCHES])


def labels(filters: Filters) -> dict[str, str]:
    """What the filter boxes show: the name behind an id (sent again, it finds the same), or the words typed."""
    shown = {"organization": filters.organization, "project": filters.project}
    if filters.organization.isdigit():
        name = (
            Organization.objects.filter(pk=int(filters.organization)).values_list("name", flat=True).first()
        )
        shown["organization"] = name or ""
    if filters.project.isdigit():
        app = Project.objects.filter(pk=int(filters.project)).values_list("app_id", flat=True).first()
        shown["project"] = app or ""
    return shown
