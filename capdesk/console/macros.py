"""Macros: the policy's standard replies an agent sends by hand, and agents' own, filled in for one ticket.

Placeholders are ``{name}`` style, like the policy's templates, so an agent writes a
macro the way the standard replies are written. A placeholder with no value for this
ticket stays in the text as written, so the agent sees what still needs filling in: the
reply box says which are left, and a public reply that still has one is refused
(``placeholders_left``), so the customer never gets ``{incident_url}`` as written.

A macro is inserted in the ticket's language: a standard reply from the policy's text in
that language, an agent's macro from its translation (``Macro.translations``) when its
author wrote one, else as written (English). The reply box says which language went in,
so an agent does not send English to an Indonesian customer without knowing it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from capdesk.console.models import Macro
from capdesk.core.translations import language_in_sentence
from capdesk.policy.document import Policy
from capdesk.policy.facts import facts_for
from capdesk.policy.loader import get_policy
from capdesk.policy.replies import policy_values
from capdesk.policy.reply_keys import Fragment, ReplyKey
from capdesk.policy.types import Outcome, Severity
from capdesk.status import config as status_config
from capdesk.status.models import Incident
from capdesk.tickets.models import Ticket
from capdesk.tickets.rendering import prose

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
    # Filled only when the ticket is linked to a status-page incident.
    "incident_title",
    "incident_url",
    "incident_started",
    # Filled from the directory: the requester's apps, and who can grant Developer access (E4).
    "projects",
    "grantors",
    # Never filled: the agent writes it in (the standard community redirect asks for it).
    "reason",
)
_FIELD = re.compile(r"\{\{|\}\}|\{(\w+)\}")
_BLANK_LINES = re.compile(r"\n{3,}")
# The line of a standard reply that cites the decision's clauses ("... clauses {clauses}.").
_CITATION_LINE = re.compile(r"^.*\{clauses\}.*\n?", re.MULTILINE)


@dataclass(frozen=True)
class StandardMacro:
    """A standard reply an agent may send by hand, with what the console calls it (msgids, translated when shown)."""

    reply: ReplyKey
    title: str
    description: str

    @property
    def key(self) -> str:
        return f"std:{self.reply}"


# The standard replies that make sense typed by an agent, in the order an agent meets the
# need on a ticket: ask for what is missing, explain a refusal or a redirect, then the
# offers and the thank-you. Left out: the acknowledgements the desk sends on receipt
# (accept, accept_premium, accept_billing, triage: the customer already has them), and
# the replies that only make sense before a ticket exists (verify_sender needs intake's
# confirmation link; redirect_channel answers a request that never became a ticket).
STANDARD_MACROS = (
    StandardMacro(
        ReplyKey.NEED_PROJECT,
        gettext_noop("Ask which app the request is about"),
        gettext_noop("Lists the apps the customer can get technical support for and asks for the app id."),
    ),
    StandardMacro(
        ReplyKey.DENY_UNREGISTERED,
        gettext_noop("Ask for the account's registered email"),
        gettext_noop("Asks the sender to write from the address registered on their Capgo account."),
    ),
    StandardMacro(
        ReplyKey.DENY_ROLE,
        gettext_noop("Explain that Developer access is needed"),
        gettext_noop("Says who in the organization can grant the App Developer role on the app."),
    ),
    StandardMacro(
        ReplyKey.REFER_STATUS,
        gettext_noop("Point to the status page for an ongoing incident"),
        gettext_noop("Links the incident on the status page; no ticket is needed while it lasts."),
    ),
    StandardMacro(
        ReplyKey.REDIRECT_COMMUNITY,
        gettext_noop("Out of scope: send to the community"),
        gettext_noop(
            "Explains why support cannot take it up and where the community helps; write the reason in."
        ),
    ),
    StandardMacro(
        ReplyKey.PREMIUM_LEAD_OFFER,
        gettext_noop("Offer Premium Support"),
        gettext_noop("For Team and Enterprise organizations: hours, price, and the sales contact."),
    ),
    StandardMacro(
        ReplyKey.PREMIUM_LEAD_REQUIRES,
        gettext_noop("Premium Support needs a higher plan"),
        gettext_noop("Tells an organization on another plan which plans Premium Support is offered on."),
    ),
    StandardMacro(
        ReplyKey.ACCEPT_FEATURE_REQUEST,
        gettext_noop("Thank for a feature suggestion"),
        gettext_noop("Records the request as a suggestion for the product team."),
    ),
)
_BY_REPLY = {m.reply.value: m for m in STANDARD_MACROS}


@dataclass(frozen=True)
class MacroChoice:
    key: str  # "std:<reply key>" or "m:<pk>"
    title: str
    body: str
    # The placeholders this ticket has no value for, in order: the agent fills them before sending.
    unfilled: tuple[str, ...] = ()
    # The language the text is in, and the ticket's: they differ when the macro has no
    # translation into the ticket's language and went in as written.
    language: str = ""
    wanted: str = ""

    def notice(self) -> str:
        """What the reply box says about ``unfilled``; empty when every placeholder was filled."""
        return unfilled_notice(self.unfilled)

    def language_notice(self) -> str:
        """ "Inserted in Bahasa Indonesia", or that the macro had no text in the ticket's language."""
        if not self.language:
            return ""
        if self.wanted and self.wanted != self.language:
            return _("This macro has no text in %(wanted)s: inserted in %(language)s.") % {
                "wanted": language_in_sentence(self.wanted),
                "language": language_in_sentence(self.language),
            }
        return _("Inserted in %(language)s.") % {"language": language_in_sentence(self.language)}


def unfilled_notice(names: tuple[str, ...] | list[str]) -> str:
    """ "Still to fill in: {incident_url}": the same words the console's script shows after inserting a macro."""
    if not names:
        return ""
    text = _("Still to fill in before sending: {names}.").replace(
        "{names}", ", ".join(f"{{{name}}}" for name in names)
    )
    if any(name.startswith("incident_") for name in names):
        # Filled from the linked incident only: guessing one from the open incidents could
        # point the customer at the wrong one, so the agent links it (or writes it in).
        text += " " + _(
            "Link the ticket to its incident in the side panel to fill in the incident's details."
        )
    return text


def fill(template: str, values: dict[str, str]) -> str:
    return _fill(template, values)[0]


def _fill(template: str, values: dict[str, str]) -> tuple[str, tuple[str, ...]]:
    """The filled text, and the placeholders left as written (read from the template, not
    the result: a value such as a ticket's subject may itself contain braces)."""
    missing: list[str] = []

    def one(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        name = match.group(1)
        if name not in values and name not in missing:
            missing.append(name)
        return values.get(name, token)

    return _BLANK_LINES.sub("\n\n", _FIELD.sub(one, template)).strip() + "\n", tuple(missing)


def macro_placeholders(policy: Policy | None = None) -> frozenset[str]:
    """The names an agent's macro may use: those on the macro form, and the policy's links and prices."""
    return frozenset(PLACEHOLDERS) | frozenset(policy_values(policy or get_policy()))


def known_placeholders(policy: Policy | None = None) -> frozenset[str]:
    """Every name a macro can leave in a reply: an agent's macros', and the standard replies'."""
    policy = policy or get_policy()
    in_replies = {name for reply in policy.replies.values() for name in _names(reply.body)}
    return macro_placeholders(policy) | in_replies


def _names(text: str) -> list[str]:
    """The ``{name}`` placeholders in ``text``, in order and repeated as written (``{{`` is a literal)."""
    return [m.group(1) for m in _FIELD.finditer(text) if m.group(1) is not None]


def unknown_placeholders(text: str) -> list[str]:
    """Names in braces a macro may not use, in order (a typo would reach the customer as written)."""
    allowed = macro_placeholders()
    return list(dict.fromkeys(name for name in _names(text) if name not in allowed))


# ``${name}`` template literals quoted in prose are not placeholders either.
_TEMPLATE_LITERAL = re.compile(r"\$\{\w+\}")


def placeholders_left(body: str) -> list[str]:
    """The macro placeholders still in ``body`` as ``{name}``, in order: an unfilled macro.

    Only exact known names count, so a customer's JSON (``{"a": 1}``) or any other braces
    quoted in a reply are left alone; ``{{name}}`` is a literal, as in a macro. Code the
    agent quotes is sent as written: what Markdown renders as code (fenced or indented
    blocks, spans in any number of backticks), as replies are rendered, is not looked at.
    """
    known = known_placeholders()
    text = _TEMPLATE_LITERAL.sub(" ", "\n".join(prose(body)))
    return list(dict.fromkeys(name for name in _names(text) if name in known))


def reply_language(ticket: Ticket, policy: Policy) -> str:
    """The language a macro is inserted in on ``ticket``: the ticket's, if the policy writes in it."""
    return ticket.language if ticket.language in policy.languages else policy.default_language


def ticket_values(ticket: Ticket, agent: User, policy: Policy, lang: str | None = None) -> dict[str, str]:
    """The placeholders' values for ``ticket``, those that depend on it in ``lang`` (the ticket's by default)."""
    person = ticket.requester
    org = ticket.organization
    lang = lang or reply_language(ticket, policy)
    severity = policy.severity_labels.get((lang, Severity(ticket.severity)), ticket.get_severity_display())
    values = {
        **policy_values(policy),
        "name": person.name if person else (ticket.requester_name or ticket.requester_email),
        "email": ticket.requester_email,
        "reference": ticket.reference,
        "subject": ticket.subject,
        "project": ticket.project.app_id if ticket.project else "",
        "organization": org.name if org else "",
        "plan": org.get_plan_display() if org else "",
        "severity": str(severity),
        "agent": agent.get_full_name() or agent.get_username(),
        "clauses": ", ".join(_latest_decision(ticket)[1]),
        **_incident_values(ticket, lang),
    }
    # A request held until its sender confirms (E3) shows in no portal: its link would 404, so
    # it is left unfilled and the agent is told (placeholders_left).
    if ticket.outcome != Outcome.VERIFY_SENDER:
        values["portal_url"] = f"{settings.BASE_URL}/portal/requests/{ticket.reference}/"
    # A standard reply's optional notes depend on a decision's details; in a macro they are left out.
    for note in ("sla_note", "severity_note", "premium_note"):
        values[note] = ""
    return values


def _latest_decision(ticket: Ticket) -> tuple[str, list[str]]:
    """The reply key and clauses of the ticket's latest decision (an override has neither)."""
    latest = ticket.decisions.order_by("-created_at", "-id").values_list("reply", "clauses").first()
    return (latest[0], list(latest[1] or [])) if latest else ("", [])


def _incident_values(ticket: Ticket, lang: str) -> dict[str, str]:
    """The linked status-page incident, its title in ``lang`` if staff gave one; nothing when the ticket has none."""
    incident = Incident.objects.filter(public_id=ticket.incident).first() if ticket.incident else None
    if incident is None:
        return {}
    return {
        "incident_title": incident.text_in("name", lang),
        "incident_url": status_config.incident_url(incident.public_id),
        "incident_started": status_config.utc_minute(incident.started_at),
    }


def _directory_values(ticket: Ticket, policy: Policy, lang: str) -> dict[str, str]:
    """The lists a standard reply shows, as ``decide`` would see them now: the requester's apps and grantors (E4)."""
    requester, project = facts_for(ticket.requester, ticket.project, policy=policy)
    if requester is None:
        return {}
    grantors = project.grantors if project else ()
    no_grantors = policy.fragments[(Fragment.NO_GRANTORS.value, lang)]
    return {
        "projects": "\n".join(
            f"- {p.app_id} ({p.name}, {p.org_name})" for p in requester.qualifying_projects
        ),
        "grantors": "\n".join(f"- {name}" for name in grantors) if grantors else no_grantors,
    }


def standard_macros() -> list[tuple[str, str, str]]:
    """(key, title, description) of the standard replies offered as macros, in order, translated."""
    replies = {key for key, _lang in get_policy().replies}
    return [(m.key, _(m.title), _(m.description)) for m in STANDARD_MACROS if m.reply.value in replies]


def visible_macros(agent: User) -> QuerySet[Macro]:
    """The agents' macros ``agent`` may read and insert: their own, and those shared with every agent."""
    return Macro.objects.filter(Q(owner=agent) | Q(shared=True))


def available(agent: User) -> list[tuple[str, str]]:
    """(key, title) of every macro the agent can use: the standard replies, then agents' own."""
    own = visible_macros(agent).order_by("title")
    standard = [(key, title) for key, title, _description in standard_macros()]
    return standard + [(f"m:{m.pk}", m.title) for m in own]


def render_macro(key: str, ticket: Ticket, agent: User) -> MacroChoice | None:
    """The macro ``key`` filled in for ``ticket``, in the ticket's language; None if there is no such macro."""
    policy = get_policy()
    lang = reply_language(ticket, policy)
    kind, _sep, ident = key.partition(":")
    if kind == "std":
        reply = policy.replies.get((ident, lang))
        if reply is None or ident not in _BY_REPLY:
            return None
        values = ticket_values(ticket, agent, policy, lang)
        values.update(_directory_values(ticket, policy, lang))
        body = reply.body
        decided_reply, clauses = _latest_decision(ticket)
        if decided_reply != ident or not clauses:
            # The citation names the clauses of the decision that chose this reply. Sent by
            # hand, there is no such decision (an override records none): the line would
            # cite the wrong clauses or none, so it goes; the override's reason is the record.
            body = _CITATION_LINE.sub("", body)
        text, unfilled = _fill(body, values)
        return MacroChoice(key, fill(reply.subject, values).strip(), text, unfilled, lang, lang)
    if kind == "m" and ident.isdigit():
        macro = visible_macros(agent).filter(pk=int(ident)).first()
        if macro is None:
            return None
        translated = macro.translations_of("body").get(lang, "")
        # Without a translation the text goes in as written, and so do the placeholders'
        # values (a severity label), so one reply is not in two languages.
        written_in = lang if translated else policy.default_language
        body = translated or macro.body
        values = ticket_values(ticket, agent, policy, written_in)
        if "{projects}" in body or "{grantors}" in body:
            values.update(_directory_values(ticket, policy, written_in))
        text, unfilled = _fill(body, values)
        title = macro.text_in("title", lang) if translated else macro.title
        return MacroChoice(key, title, text, unfilled, written_in, lang)
    return None
