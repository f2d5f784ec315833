"""Macros: the policy's standard replies and agents' own, filled in for one ticket.

Placeholders are ``{name}`` style, like the policy's templates, so an agent writes a
macro the way the standard replies are written. A placeholder with no value for this
ticket stays in the text as written, so the agent sees what still needs filling in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Q
from django.utils.translation import gettext as _

from capdesk.console.models import Macro
from capdesk.policy.document import Policy
from capdesk.policy.loader import get_policy
from capdesk.policy.types import Severity
from capdesk.tickets.models import Ticket

# The placeholders an agent can use in a macro, shown on the macro form.
PLACEHOLDERS = (
    "name",
    "email",
    "reference",
    "subject",
    "project",
    "organization",
    "plan",
    "severity",
    "agent",
    "portal_url",
    "status_url",
    "support_address",
    "discord_url",
    "github_url",
)
_FIELD = re.compile(r"\{\{|\}\}|\{(\w+)\}")
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class MacroChoice:
    key: str  # "std:<reply key>" or "m:<pk>"
    title: str
    body: str


def fill(template: str, values: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        name = match.group(1)
        return values.get(name, token)

    return _BLANK_LINES.sub("\n\n", _FIELD.sub(one, template)).strip() + "\n"


def ticket_values(ticket: Ticket, agent: User, policy: Policy) -> dict[str, str]:
    person = ticket.requester
    org = ticket.organization
    lang = ticket.language if ticket.language in policy.languages else policy.default_language
    severity = policy.severity_labels.get((lang, Severity(ticket.severity)), ticket.get_severity_display())
    values = {
        "name": person.name if person else ticket.requester_email,
        "email": ticket.requester_email,
        "reference": ticket.reference,
        "subject": ticket.subject,
        "project": ticket.project.app_id if ticket.project else "",
        "organization": org.name if org else "",
        "plan": org.get_plan_display() if org else "",
        "severity": str(severity),
        "agent": agent.get_full_name() or agent.get_username(),
        "portal_url": f"{settings.BASE_URL}/portal/requests/{ticket.reference}/",
        "status_url": policy.status_url,
        "support_address": policy.support_address,
        "discord_url": policy.discord_url,
        "github_url": policy.github_url,
        "sla_url": policy.sla_url,
        "console_url": policy.console_url,
        "clauses": ", ".join(
            ticket.decisions.order_by("-created_at", "-id").values_list("clauses", flat=True).first() or []
        ),
    }
    # A standard reply's optional notes depend on a decision's details; in a macro they are left out.
    for note in ("sla_note", "severity_note", "premium_note", "reason"):
        values[note] = ""
    return values


def available(agent: User) -> list[tuple[str, str]]:
    """(key, title) of every macro the agent can use: the standard replies, then agents' own."""
    policy = get_policy()
    standard = sorted({key for key, _lang in policy.replies})
    own = Macro.objects.filter(Q(owner=agent) | Q(shared=True)).order_by("title")
    return [(f"std:{key}", _("Standard reply: %(key)s") % {"key": key}) for key in standard] + [
        (f"m:{m.pk}", m.title) for m in own
    ]


def render_macro(key: str, ticket: Ticket, agent: User) -> MacroChoice | None:
    """The macro ``key`` filled in for ``ticket``, in the ticket's language; None if there is no such macro."""
    policy = get_policy()
    values = ticket_values(ticket, agent, policy)
    kind, _sep, ident = key.partition(":")
    if kind == "std":
        lang = ticket.language if ticket.language in policy.languages else policy.default_language
        reply = policy.replies.get((ident, lang))
        if reply is None:
            return None
        return MacroChoice(key, fill(reply.subject, values).strip(), fill(reply.body, values))
    if kind == "m" and ident.isdigit():
        macro = Macro.objects.filter(Q(owner=agent) | Q(shared=True), pk=int(ident)).first()
        if macro is None:
            return None
        return MacroChoice(key, macro.title, fill(macro.body, values))
    return None
