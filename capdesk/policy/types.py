"""The plain values the policy engine is fed and returns: no Django, no database.

``Classification`` is the contract with the scope classifier
(``capdesk.policy.classifier.classify(subject, body) -> Classification``): its
``scope`` is one of the scope ids in the policy file's ``[scopes]`` table and its
``group`` is that scope's group there (one of ``GROUPS``).
"""

from __future__ import annotations

from dataclasses import dataclass
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
