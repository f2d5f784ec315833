"""The loaded support policy as typed, frozen values (``loader`` builds them from the file)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from capdesk.policy.types import Group, Severity


@dataclass(frozen=True, slots=True)
class Clause:
    """One numbered clause of the support policy, in every language the file gives."""

    id: str
    section: str
    text: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Plan:
    """A Capgo plan as the policy names it."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class PaidRule:
    """E1: what makes an organization 'paid'."""

    subscriptions: frozenset[str]
    credits: bool
    addons: frozenset[str]


@dataclass(frozen=True, slots=True)
class RoleRule:
    """E4: the roles that make someone Developer-or-higher, and who can grant App Developer."""

    org: frozenset[str]
    app: frozenset[str]
    grantors_org: frozenset[str]
    grantors_app: frozenset[str]


@dataclass(frozen=True, slots=True)
class SlaRule:
    """L1: which plans and add-ons carry contractual targets, and which only goals."""

    contractual_plans: frozenset[str]
    goal_plans: frozenset[str]
    contractual_addons: frozenset[str]


@dataclass(frozen=True, slots=True)
class PremiumRule:
    """R1: who is offered Premium Support, what the retainer covers and what it costs."""

    offer_plans: tuple[str, ...]
    sales_address: str
    addon: str
    covers: frozenset[str]
    hours_per_month: Decimal
    monthly_price_eur: Decimal
    extra_hour_eur: Decimal


@dataclass(frozen=True, slots=True)
class Scope:
    """A classifier label: the clauses it rests on, its group, queue, incident areas, fixed severity."""

    id: str
    group: Group
    clauses: tuple[str, ...]
    queue: str
    areas: frozenset[str] = frozenset()
    severity: Severity | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """A standard reply in one language: a subject line and a body, both templates."""

    subject: str
    body: str


@dataclass(frozen=True, slots=True)
class Policy:
    """The whole support policy a deployment runs under."""

    source: Path
    name: str
    languages: tuple[str, ...]
    default_severity: Severity
    support_address: str
    status_url: str
    sla_url: str
    console_url: str
    github_url: str
    discord_url: str
    confidence_threshold: float
    official_channels: frozenset[str]
    queues: Mapping[str, str]
    plans: Mapping[str, Plan]
    paid: PaidRule
    roles: RoleRule
    sla: SlaRule
    premium: PremiumRule
    clauses: Mapping[str, Clause]
    scopes: Mapping[str, Scope]
    severity_labels: Mapping[tuple[str, Severity], str]
    replies: Mapping[tuple[str, str], Reply]  # (reply key, language)
    fragments: Mapping[tuple[str, str], str]  # (fragment key, language)

    @property
    def default_language(self) -> str:
        return self.languages[0]

    def clause_text(self, clause_id: str, language: str) -> str:
        """The clause in the language asked for, else in the file's first language."""
        text = self.clauses[clause_id].text
        return text.get(language) or text[self.default_language]
