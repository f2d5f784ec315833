"""Severity: the customer declares it; a few rules adjust it, each with its reason.

Capgo's definitions (capgo.app/sla, which L1 points to): Urgent (P1) is production
unusable for all users; High (P2) major functionality impacted; Normal (P3) a
component not behaving as documented, or a general question; Low (P4) an
information or feature request.
"""

from __future__ import annotations

from dataclasses import dataclass

from capdesk.policy.document import Scope
from capdesk.policy.types import Severity


@dataclass(frozen=True, slots=True)
class SeverityRuling:
    """The severity a request gets, and the clauses and reasons for any change from the declared one."""

    severity: Severity
    downgraded: bool = False  # Urgent lowered because no production impact was stated
    clauses: tuple[str, ...] = ()
    explanation: tuple[str, ...] = ()


def rule_severity(
    declared: Severity | None,
    *,
    scope: Scope | None,
    production_impact: bool,
    incident_wide: bool,
    default: Severity,
) -> SeverityRuling:
    """Apply the rules, in this order: a scope's fixed severity, the incident cap, the Urgent test."""
    if scope is not None and scope.severity is not None:
        if declared is None or declared == scope.severity:
            return SeverityRuling(scope.severity)
        return SeverityRuling(
            scope.severity,
            explanation=(
                f"Severity {scope.severity} for scope {scope.id}, whatever was declared ({declared}): "
                "a feature request is Low (P4) by Capgo's definitions.",
            ),
        )
    chosen = declared or default
    if chosen is not Severity.URGENT:
        return SeverityRuling(chosen)
    if incident_wide:
        # The incident is one problem with its own response; one customer's ticket
        # about it must not start an Urgent clock of its own.
        return SeverityRuling(
            Severity.HIGH,
            clauses=("M2",),
            explanation=(
                "Urgent lowered to High: an incident-wide problem is the incident's, not one customer's Urgent (M2).",
            ),
        )
    if not production_impact:
        return SeverityRuling(
            Severity.HIGH,
            downgraded=True,
            clauses=("L1",),
            explanation=(
                "Urgent lowered to High: Urgent (P1) means production unusable for all users "
                "(capgo.app/sla, L1), and no production impact was stated.",
            ),
        )
    return SeverityRuling(Severity.URGENT, explanation=("Urgent kept: production impact stated.",))
