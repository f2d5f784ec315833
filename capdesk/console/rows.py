"""The ticket list's lines, with what the template would otherwise work out once per row.

A URL reversed, two dates formatted by template filters, three ``get_FOO_display()``
calls (each builds a dict of the choices) and a translated label per row were about half
of the queue page (profiled on the 1M-ticket bench), and each lookup through an object
(``t.organization.name``) costs the template engine a few attempts. The link is reversed
once, the labels looked up in dicts made once, the deadline formatted in Python, and the
row is a flat tuple the template unpacks; the markup stays in ``partials/ticket_rows.html``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from capdesk.directory.models import Plan
from capdesk.tickets.models import Severity, Status, Ticket

_PLACEHOLDER = "CAP-0"


class Row(NamedTuple):
    """One line of the list, flat: the template unpacks it, so no field is a lookup through objects."""

    reference: str
    url: str
    select_label: str  # the checkbox's accessible name, "Select CAP-1042"
    subject: str
    snippet: object
    outcome: str
    organization: str
    plan: str
    severity: str  # the value, for the badge's class
    severity_label: str  # the labels, as get_severity_display() and the others give them
    status: str
    status_label: str
    assignee: str
    deadline_iso: str  # what ``|date:"c"`` gives, for <time datetime>
    deadline_text: str  # what ``|date:"Y-m-d H:i"`` gives


def rows(tickets: Iterable[Ticket], snippets: Mapping[int, object]) -> list[Row]:
    link = reverse("console:ticket", kwargs={"reference": _PLACEHOLDER})
    head, _, tail = link.rpartition(_PLACEHOLDER)
    severities = {value: str(label) for value, label in Severity.choices}
    statuses = {value: str(label) for value, label in Status.choices}
    plans = {value: str(label) for value, label in Plan.choices}
    select = gettext("Select %(ref)s")
    out = []
    for ticket in tickets:
        iso = text = ""
        if ticket.next_deadline is not None:
            local = timezone.localtime(ticket.next_deadline)
            iso, text = local.isoformat(), local.strftime("%Y-%m-%d %H:%M")
        org = ticket.organization
        reference = ticket.reference
        out.append(
            Row(
                reference,
                f"{head}{reference}{tail}",
                select % {"ref": reference},
                ticket.subject,
                snippets.get(ticket.pk),
                ticket.outcome,
                org.name if org is not None else "",
                plans.get(org.plan, org.plan) if org is not None else "",
                ticket.severity,
                severities.get(ticket.severity, ticket.severity),
                ticket.status,
                statuses.get(ticket.status, ticket.status),
                ticket.assignee.get_username() if ticket.assignee is not None else "",
                iso,
                text,
            )
        )
    return out
