"""Render a decision's standard reply, in the customer's language, from the policy's templates.

Templates are ``str.format`` strings checked at load time (``reply_keys``): every
placeholder is a plain name the reply is allowed, so rendering can only fail for
a value the caller was meant to pass and did not (``RenderError``). Values come
from the policy (links, prices), the decision (severity, projects, incident) and
the caller (``CALLER_PLACEHOLDERS``: ticket reference, subject, name ...).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal

from capdesk.policy.document import Policy
from capdesk.policy.loader import get_policy
from capdesk.policy.reply_keys import CALLER_PLACEHOLDERS, Fragment
from capdesk.policy.types import Decision, Outcome, SlaTier

_SLA_FRAGMENTS = {
    SlaTier.CONTRACTUAL: Fragment.SLA_CONTRACTUAL,
    SlaTier.GOALS: Fragment.SLA_GOALS,
    SlaTier.NONE: Fragment.SLA_NONE,
}
_BLANK_LINES = re.compile(r"\n{3,}")
_TRAILING_SPACE = re.compile(r"[ \t]+$", re.MULTILINE)
_LINE_BREAKS = re.compile(r"[\r\n]+")


class RenderError(Exception):
    """A reply cannot be rendered: the caller did not pass a value it needs."""


def render(
    decision: Decision,
    language: str,
    context: Mapping[str, str],
    policy: Policy | None = None,
) -> tuple[str, str]:
    """The reply's (subject, body) in ``language`` (the policy's first language if it has no such replies)."""
    policy = policy or get_policy()
    unknown = set(context) - CALLER_PLACEHOLDERS
    if unknown:
        raise RenderError(f"unknown context keys: {', '.join(sorted(unknown))}")
    lang = language if language in policy.languages else policy.default_language
    template = policy.replies[(decision.reply, lang)]
    values = {**context, **_values(decision, lang, policy)}
    try:
        subject = template.subject.format_map(values)
        body = template.body.format_map(values)
    except KeyError as exc:
        raise RenderError(f"reply {decision.reply!r} needs {{{exc.args[0]}}} in its context") from None
    # A header must stay one line whatever the customer typed as a subject.
    subject = _LINE_BREAKS.sub(" ", subject).strip()
    body = _BLANK_LINES.sub("\n\n", _TRAILING_SPACE.sub("", body)).strip() + "\n"
    return subject, body


def _values(decision: Decision, lang: str, policy: Policy) -> dict[str, str]:
    base = policy_values(policy)
    labels = policy.severity_labels
    base["severity"] = labels[(lang, decision.severity)]
    base["declared_severity"] = (
        labels[(lang, decision.declared_severity)] if decision.declared_severity else ""
    )

    def fragment(key: Fragment) -> str:
        return policy.fragments[(key.value, lang)].format_map(base)

    values = dict(base)
    values["clauses"] = ", ".join(decision.clauses)
    values["reason"] = fragment(Fragment(decision.reason)) if decision.reason else ""
    values["sla_note"] = fragment(_SLA_FRAGMENTS[decision.sla]) if decision.outcome is Outcome.ACCEPT else ""
    values["severity_note"] = " ".join(fragment(key) for key in _severity_notes(decision))
    values["premium_note"] = fragment(Fragment.PREMIUM_OFFER) if decision.premium_offer else ""
    values["project"] = decision.project.app_id if decision.project else fragment(Fragment.ANY_PROJECT)
    # A person triages it either way; only a request that named no app is asked for one.
    values["triage_ask"] = fragment(
        Fragment.TRIAGE_ASK_DETAILS if decision.project else Fragment.TRIAGE_ASK_PROJECT
    )
    values["projects"] = "\n".join(
        # "Kopi Nusantara, Kopi Nusantara" when the app is named after its organization: once is enough.
        f"- {p.app_id} ({p.name})" if p.name == p.org_name else f"- {p.app_id} ({p.name}, {p.org_name})"
        for p in decision.projects
    )
    values["grantors"] = (
        "\n".join(f"- {name}" for name in decision.grantors)
        if decision.grantors
        else fragment(Fragment.NO_GRANTORS)
    )
    incident = decision.incident
    values["incident_title"] = incident.title_in(lang) if incident else ""
    values["incident_url"] = incident.url if incident else policy.status_url
    values["incident_started"] = incident.started_at.strftime("%Y-%m-%d %H:%M UTC") if incident else ""
    retainer = decision.retainer
    values["retainer_remaining"] = _hours(retainer.remaining_minutes, lang) if retainer else ""
    values["retainer_used"] = _hours(retainer.used_minutes, lang) if retainer else ""
    return values


def _severity_notes(decision: Decision) -> list[Fragment]:
    """What the reply says of the severity beyond its name: why Urgent was lowered, and for
    a request whose text may declare one (email), which it took or how to declare one."""
    notes = [Fragment.SEVERITY_DOWNGRADED] if decision.severity_downgraded else []
    if not decision.severity_from_text:
        return notes
    if decision.declared_severity is None:
        return [*notes, Fragment.SEVERITY_HOW_BY_EMAIL]
    return [
        *notes,
        Fragment.SEVERITY_IMPACT_BY_EMAIL if decision.severity_downgraded else Fragment.SEVERITY_FROM_EMAIL,
    ]


def policy_values(policy: Policy) -> dict[str, str]:
    """The placeholders every reply may use that the policy itself fills: links, addresses, prices."""
    premium = policy.premium
    return {
        "support_address": policy.support_address,
        "sales_address": premium.sales_address,
        "github_url": policy.github_url,
        "discord_url": policy.discord_url,
        "status_url": policy.status_url,
        "sla_url": policy.sla_url,
        "console_url": policy.console_url,
        "premium_hours": _number(premium.hours_per_month),
        "premium_price": _number(premium.monthly_price_eur),
        "extra_hour_price": _number(premium.extra_hour_eur),
        "offer_plans": " / ".join(policy.plans[p].name for p in premium.offer_plans),
    }


def _number(value: Decimal) -> str:
    return str(value.quantize(Decimal(1))) if value == value.to_integral_value() else str(value.normalize())


def _hours(minutes: int, lang: str) -> str:
    """Hours with at most one decimal, written the way the language writes decimals."""
    text = f"{minutes / 60:.1f}".removesuffix(".0")
    return text.replace(".", ",") if lang == "id" else text
