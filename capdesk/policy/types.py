"""The plain values the policy engine is fed and returns: no Django, no database.

``Classification`` is the contract with the scope classifier
(``capdesk.policy.classifier.classify(subject, body) -> Classification``): its
``scope`` is one of the scope ids in the policy file's ``[scopes]`` table and its
``group`` is that scope's group there (one of ``GROUPS``).

The ``*Facts`` values are what ``decide`` needs to know about a request and the
people and projects behind it; ``capdesk.policy.facts`` builds them from the
directory so that ``decide`` itself never touches the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Group(StrEnum):
    """The scope groups of DESIGN.md, as ``capdesk classify`` prints them."""

    COVERED = "covered"
    BILLING_ACCOUNT = "billing_account"
    NOT_COVERED = "not_covered"
    INCIDENT = "incident"
    PREMIUM = "premium"
    FEEDBACK = "feedback"


GROUPS = frozenset(g.value for g in Group)


@dataclass(frozen=True, slots=True)
class Classification:
    """What a request is about, as the classifier judged it, and how sure it is (0..1)."""

    scope: str
    confidence: float
    group: str


class Outcome(StrEnum):
    """The outcomes of DESIGN.md's Decisions table."""

    ACCEPT = "accept"
    ACCEPT_BILLING = "accept_billing"
    REFER_STATUS = "refer_status"
    REDIRECT_COMMUNITY = "redirect_community"
    VERIFY_SENDER = "verify_sender"
    NEED_PROJECT = "need_project"
    DENY_ROLE = "deny_role"
    DENY_UNREGISTERED = "deny_unregistered"
    PREMIUM_LEAD = "premium_lead"
    TRIAGE = "triage"


class Severity(StrEnum):
    """Capgo's severities (capgo.app/sla), the same values as ``tickets.models.Severity``."""

    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


class Identity(StrEnum):
    """How sure intake is of who sent the request (DESIGN.md, "Identity and trust")."""

    VERIFIED = "verified"
    UNVERIFIED = "unverified"
    UNKNOWN = "unknown"


class SlaTier(StrEnum):
    """What the organization's response targets are worth (L1, CAPGO.md)."""

    CONTRACTUAL = "contractual"
    GOALS = "goals"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class RequestFacts:
    """The request itself: where it came from, how its sender is known, what severity they chose.

    ``production_impact`` is the customer's own statement (a form checkbox, an email's
    ``Production: down`` line, or an agent's reading of an email) that production is
    unusable for all their users, which Capgo's definition of Urgent requires.
    ``severity_from_text``: the channel reads a declared severity from the request's own
    text (an email's subject tag or first lines, ``intake.declared_severity``), not from a
    form field, so the reply says what it took, or how to declare one.
    """

    channel: str
    identity: Identity
    declared_severity: Severity | None = None
    production_impact: bool = False
    severity_from_text: bool = False


@dataclass(frozen=True, slots=True)
class OrgFacts:
    """One organization the requester belongs to, as far as the policy cares."""

    key: str  # the organization's Capgo id, to tie projects to it
    name: str
    plan: str
    subscription: str  # the directory's subscription status: active, trialing ...
    has_credits: bool  # a positive balance of purchased credits
    addons: frozenset[str] = frozenset()  # active paid add-ons: premium_support, priority_plus
    grantors: tuple[str, ...] = ()  # who can grant App Developer on every app of the org
    retainer_minutes: int | None = None  # the retainer's monthly minutes, None: the policy's default
    retainer_minutes_used: int = 0  # minutes already booked this calendar month


@dataclass(frozen=True, slots=True)
class ProjectRef:
    """A project named in a reply: its app id, its display name and its organization."""

    app_id: str
    name: str
    org_key: str
    org_name: str


@dataclass(frozen=True, slots=True)
class ProjectFacts:
    """The project a request is about, seen from the requester (only if they belong to its org)."""

    app_id: str
    name: str
    org: OrgFacts
    requester_qualifies: bool  # E4: Developer-or-higher on this project
    grantors: tuple[str, ...] = ()  # who can grant App Developer on this project


@dataclass(frozen=True, slots=True)
class RequesterFacts:
    """The registered person behind a request: their language, organizations and E4 projects."""

    name: str
    language: str | None
    orgs: tuple[OrgFacts, ...] = ()
    qualifying_projects: tuple[ProjectRef, ...] = ()


@dataclass(frozen=True, slots=True)
class IncidentFacts:
    """An ongoing incident on the status page (M1), with the product areas it affects."""

    key: str
    title: str
    url: str
    started_at: datetime
    areas: frozenset[str] = frozenset()
    # The title as staff also wrote it in other languages: (language, title) pairs.
    translated_titles: tuple[tuple[str, str], ...] = ()

    def title_in(self, language: str) -> str:
        """The title a reply in ``language`` quotes: its translation, else the original."""
        return dict(self.translated_titles).get(language) or self.title


@dataclass(frozen=True, slots=True)
class RetainerState:
    """The month's Premium Support hours for the organization a retainer request books against."""

    included_minutes: int
    used_minutes: int

    @property
    def remaining_minutes(self) -> int:
        return max(0, self.included_minutes - self.used_minutes)


@dataclass(frozen=True, slots=True)
class Decision:
    """What the policy makes of one request, and why (the clauses and explanation lines)."""

    outcome: Outcome
    scope: str
    group: str
    confidence: float
    severity: Severity
    queue: str
    reply: str  # the standard reply's key in the policy file
    clauses: tuple[str, ...]
    explanation: tuple[str, ...]
    declared_severity: Severity | None = None
    severity_downgraded: bool = False  # Urgent lowered for want of a production impact
    # What an unproven sender declared (E3): never applied, kept for agents to read.
    claimed_severity: Severity | None = None
    severity_from_text: bool = False  # as the request's (RequestFacts)
    sla: SlaTier = SlaTier.NONE
    reason: str = ""  # the fragment that says why, for replies that decline
    project: ProjectRef | None = None
    projects: tuple[ProjectRef, ...] = ()  # need_project: where the requester qualifies
    grantors: tuple[str, ...] = ()  # deny_role: who can grant App Developer
    incident: IncidentFacts | None = None  # refer_status
    premium_offer: bool = False  # the plan qualifies for Premium Support (R1)
    book_retainer: bool = False  # time spent is booked against the retainer's month
    retainer: RetainerState | None = None
