"""The ticket list's views and filters, read from the query string (so a saved view is just one)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from django.contrib.auth.models import User
from django.db.models import F, Q, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy

from capdesk.directory.models import EmailAddress, Organization, Person, Project
from capdesk.tickets.models import OPEN_STATUSES, Queue, Severity, Status, Ticket

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
# What the search box treats as an address: its sender's tickets, not words to look for.
EMAIL_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


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
    requester: str = ""

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
        # By id, not through a join on the slug, so the planner walks the queue's deadline index.
        queue_id = Queue.objects.filter(slug=filters.queue).values_list("pk", flat=True).first()
        tickets = tickets.filter(queue_id=queue_id) if queue_id is not None else tickets.none()
    if filters.outcome:
        tickets = tickets.filter(outcome=filters.outcome)
    if filters.organization:
        tickets = tickets.filter(organization_id__in=organization_ids(filters.organization))
    if filters.project:
        tickets = tickets.filter(project_id__in=project_ids(filters.project))
    if filters.requester:
        tickets = tickets.filter(requester_q(filters.requester))
    if filters.assignee == "none":
        tickets = tickets.filter(assignee__isnull=True)
    elif filters.assignee:
        tickets = tickets.filter(assignee_id=int(filters.assignee))
    return tickets


def by_deadline(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """The earliest SLA deadline first; tickets without one after, oldest first (ties by id)."""
    return tickets.order_by(F("next_deadline").asc(nulls_last=True), "created_at", "pk")


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class Cursor:
    """Where a page of the queue ended: the last row's place in ``by_deadline`` order.

    A page goes on from here rather than from an offset, so "more" reads the next rows of
    the same index whatever the depth, and a ticket that changed meanwhile is neither
    shown twice nor skipped for the rows still ahead of the cursor.
    """

    deadline: datetime | None
    created_at: datetime
    pk: int

    @classmethod
    def after(cls, ticket: Ticket) -> Cursor:
        return cls(ticket.next_deadline, ticket.created_at, ticket.pk)

    def token(self) -> str:
        """``<deadline µs or ->.<created µs>.<id>``: exact integers, no float or time-zone rounding."""
        deadline = "-" if self.deadline is None else str((self.deadline - _EPOCH) // _MICROSECOND)
        return f"{deadline}.{(self.created_at - _EPOCH) // _MICROSECOND}.{self.pk}"

    @classmethod
    def parse(cls, token: str) -> Cursor | None:
        """The cursor a ``token()`` wrote; None for anything else (the list starts at the top)."""
        parts = token.split(".")
        if (
            len(parts) != 3
            or not all(p.isdigit() for p in parts[1:])
            or not (parts[0] == "-" or parts[0].isdigit())
        ):
            return None
        try:
            deadline = None if parts[0] == "-" else _EPOCH + int(parts[0]) * _MICROSECOND
            return cls(deadline, _EPOCH + int(parts[1]) * _MICROSECOND, int(parts[2]))
        except OverflowError:
            return None


def page_by_deadline(
    tickets: QuerySet[Ticket], size: int, after: Cursor | None = None
) -> tuple[list[Ticket], Cursor | None]:
    """The ``size`` tickets after ``after`` in ``by_deadline`` order, and the cursor for the next page, if any.

    Read in two index-ordered parts: SQLite cannot walk an index for ``NULLS LAST`` and
    sorts every matching row instead (700,000 open tickets at a million). The tickets with
    a deadline come first and those without only once they run out; each part starts at
    the cursor on the (…, next_deadline, created_at) indexes and stops after ``size + 1``
    entries (the one more says whether there is a next page).
    """
    want = size + 1
    page: list[Ticket] = []
    if after is None or after.deadline is not None:
        due = tickets.filter(next_deadline__isnull=False)
        if after is not None:
            d, c = after.deadline, after.created_at
            # The range bound lets the index seek; the OR only sorts out rows tied on the deadline.
            due = due.filter(
                Q(next_deadline__gt=d)
                | Q(next_deadline=d, created_at__gt=c)
                | Q(next_deadline=d, created_at=c, pk__gt=after.pk),
                next_deadline__gte=d,
            )
        page = list(due.order_by("next_deadline", "created_at", "pk")[:want])
    if len(page) < want:
        undated = tickets.filter(next_deadline__isnull=True)
        if after is not None and after.deadline is None:
            c = after.created_at
            undated = undated.filter(
                Q(created_at__gt=c) | Q(created_at=c, pk__gt=after.pk), created_at__gte=c
            )
        page += undated.order_by("created_at", "pk")[: want - len(page)]
    if len(page) > size:
        return page[:size], Cursor.after(page[size - 1])
    return page, None


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


def requester_q(given: str) -> Q:
    """The tickets of whoever an agent typed: an address (any of a person's, or a sender the
    directory does not know) or part of a person's name."""
    if "@" in given:
        email = given.lower()
        people = list(EmailAddress.objects.filter(email=email).values_list("person_id", flat=True))
        # The person's tickets from any of their addresses, and what the address sent while
        # it had no account (no requester then: matched by the address on the ticket, which
        # has no index; an explicit filter an agent asks for, not a list page's default).
        unregistered = Q(requester__isnull=True, requester_email=email)
        return Q(requester_id__in=people) | unregistered if people else unregistered
    named = Person.objects.filter(name__icontains=given).order_by("name")
    # And senders the directory does not know, by the name they gave (Ticket.requester_name):
    # unindexed too, as above.
    return Q(requester_id__in=list(named.values_list("pk", flat=True)[:NAME_MATCHES])) | Q(
        requester__isnull=True, requester_name__icontains=given
    )


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
