"""The standard replies and fragments a policy file must provide, and the placeholders each may use.

Replies are Python ``str.format`` templates (``{name}``; a literal brace is
``{{``). Each placeholder must be a plain name from the set allowed for its
reply, so the loader rejects a typo at start-up rather than a customer seeing
``{nmae}``, and a template cannot reach into an object (``{x.__class__}``).

Placeholders come from three places:
- the policy itself (links, addresses, prices): ``POLICY_PLACEHOLDERS``;
- the decision (severity, projects, incident ...): listed per reply below;
- the caller, who knows the ticket and the person: ``CALLER_PLACEHOLDERS``.
"""

from __future__ import annotations

from enum import StrEnum


class ReplyKey(StrEnum):
    """Every standard reply ``decide`` can pick; several outcomes have more than one."""

    ACCEPT = "accept"
    ACCEPT_PREMIUM = "accept_premium"
    ACCEPT_FEATURE_REQUEST = "accept_feature_request"
    ACCEPT_BILLING = "accept_billing"
    REFER_STATUS = "refer_status"
    REDIRECT_COMMUNITY = "redirect_community"
    REDIRECT_CHANNEL = "redirect_channel"
    VERIFY_SENDER = "verify_sender"
    NEED_PROJECT = "need_project"
    DENY_ROLE = "deny_role"
    DENY_UNREGISTERED = "deny_unregistered"
    PREMIUM_LEAD_OFFER = "premium_lead_offer"
    PREMIUM_LEAD_REQUIRES = "premium_lead_requires"
    TRIAGE = "triage"


class Fragment(StrEnum):
    """Pieces of text a reply includes only when they apply, or fills a list with."""

    SLA_CONTRACTUAL = "sla_contractual"
    SLA_GOALS = "sla_goals"
    SLA_NONE = "sla_none"
    SEVERITY_DOWNGRADED = "severity_downgraded"
    # Email declares a severity in its text (intake.declared_severity): the reply says
    # which one it took, or how to declare one next time.
    SEVERITY_FROM_EMAIL = "severity_from_email"
    SEVERITY_HOW_BY_EMAIL = "severity_how_by_email"
    SEVERITY_IMPACT_BY_EMAIL = "severity_impact_by_email"
    PREMIUM_OFFER = "premium_offer"
    REASON_E1 = "reason_e1"
    REASON_X1 = "reason_x1"
    REASON_X2 = "reason_x2"
    REASON_X3 = "reason_x3"
    REASON_S0 = "reason_s0"
    ANY_PROJECT = "any_project"
    NO_GRANTORS = "no_grantors"
    TRIAGE_ASK_PROJECT = "triage_ask_project"
    TRIAGE_ASK_DETAILS = "triage_ask_details"


# The clause a redirect_community rests on picks the fragment that explains it:
# E1 (no paid resources) or the not-covered clause of the scope.
REASON_FRAGMENTS = {
    "E1": Fragment.REASON_E1,
    "X1": Fragment.REASON_X1,
    "X2": Fragment.REASON_X2,
    "X3": Fragment.REASON_X3,
    "S0": Fragment.REASON_S0,
}

POLICY_PLACEHOLDERS = frozenset(
    {
        "support_address",
        "sales_address",
        "github_url",
        "discord_url",
        "status_url",
        "sla_url",
        "console_url",
        "premium_hours",
        "premium_price",
        "extra_hour_price",
        "offer_plans",
    }
)

# What the caller passes to ``replies.render``: the ticket's reference, the
# request's subject, the desk's portal address, the person's name, the
# confirmation link of a held email and how long it stays valid.
CALLER_PLACEHOLDERS = frozenset(
    {"reference", "subject", "portal_url", "name", "confirm_url", "confirm_minutes"}
)

_COMMON = POLICY_PLACEHOLDERS | {"reference", "subject", "portal_url", "clauses"}
# Replies that go out before the sender is proven, or to an unknown sender,
# never name the account holder: nothing is disclosed before confirmation (E3).
_ANONYMOUS = _COMMON
_PERSONAL = _COMMON | {"name"}

REPLY_PLACEHOLDERS: dict[ReplyKey, frozenset[str]] = {
    ReplyKey.ACCEPT: _PERSONAL | {"project", "severity", "sla_note", "severity_note"},
    ReplyKey.ACCEPT_PREMIUM: _PERSONAL
    | {"project", "severity", "severity_note", "retainer_remaining", "retainer_used"},
    ReplyKey.ACCEPT_FEATURE_REQUEST: _PERSONAL,
    ReplyKey.ACCEPT_BILLING: _PERSONAL | {"severity", "severity_note"},
    ReplyKey.REFER_STATUS: _ANONYMOUS | {"incident_title", "incident_url", "incident_started"},
    ReplyKey.REDIRECT_COMMUNITY: _PERSONAL | {"reason", "premium_note"},
    ReplyKey.REDIRECT_CHANNEL: _ANONYMOUS,
    ReplyKey.VERIFY_SENDER: _ANONYMOUS | {"confirm_url", "confirm_minutes"},
    ReplyKey.NEED_PROJECT: _PERSONAL | {"projects"},
    ReplyKey.DENY_ROLE: _PERSONAL | {"project", "grantors"},
    ReplyKey.DENY_UNREGISTERED: _ANONYMOUS,
    ReplyKey.PREMIUM_LEAD_OFFER: _PERSONAL,
    ReplyKey.PREMIUM_LEAD_REQUIRES: _PERSONAL,
    ReplyKey.TRIAGE: _PERSONAL | {"severity", "severity_note", "triage_ask"},
}

FRAGMENT_PLACEHOLDERS = POLICY_PLACEHOLDERS | {"severity", "declared_severity"}
