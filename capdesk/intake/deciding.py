"""From a request to a policy decision: classify it, gather the facts, call ``policy.decide``.

``decide`` is pure; this module is the impure edge that reads the directory, the
classifier and the status page for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from capdesk.directory.models import Person, Project
from capdesk.directory.queries import projects_for
from capdesk.policy.classifier import classify
from capdesk.policy.decide import decide
from capdesk.policy.facts import facts_for
from capdesk.policy.language import reply_language
from capdesk.policy.loader import get_policy
from capdesk.policy.sources import ongoing_incidents
from capdesk.policy.types import Classification, Decision, Identity, RequestFacts, Severity
from capdesk.tickets.retainer import used_this_month


@dataclass(frozen=True)
class Decided:
    decision: Decision
    identity: Identity
    language: str


def project_named_in(person: Person, text: str) -> Project | None:
    """The one project of the person's whose app id the request mentions (``com.example.app``).

    Email has no project field; customers usually name the app. Two or more named
    projects are ambiguous, so none is assumed (``need_project`` asks).
    """
    named = [p for p in projects_for(person) if re.search(rf"(?<![\w.]){re.escape(p.app_id)}(?![\w])", text)]
    return named[0] if len(named) == 1 else None


def decide_request(
    *,
    channel: str,
    identity: Identity,
    person: Person | None,
    project: Project | None,
    subject: str,
    body: str,
    declared_severity: str | None = None,
    production_impact: bool = False,
    classification: Classification | None = None,
) -> Decided:
    """``classification`` is given when the channel itself says what the request is
    (the Premium Support form); otherwise the classifier reads the text."""
    policy = get_policy()
    org_ids = list(person.bindings.values_list("organization_id", flat=True)) if person else []
    requester, project_facts = facts_for(
        person, project, policy=policy, retainer_minutes_used=used_this_month(org_ids)
    )
    request = RequestFacts(
        channel=channel,
        identity=identity,
        declared_severity=Severity(declared_severity) if declared_severity else None,
        production_impact=production_impact,
    )
    decision = decide(request, requester, project_facts, ongoing_incidents(), classify(subject, body), policy)
    language = reply_language(person.language if person else None, f"{subject}\n{body}", policy.languages)
    return Decided(decision=decision, identity=identity, language=language)
