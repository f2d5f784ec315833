"""What the new-request page says each project may get help with: the policy's own answer.

The page asks ``policy.decide.technical_help`` (``decide`` for a technical question)
rather than reading roles itself, so it never promises technical help the policy
then declines: E1 (the organization pays) as much as E4 (the person's role).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from capdesk.directory.models import Person, Project
from capdesk.policy.decide import technical_help
from capdesk.policy.facts import facts_for_projects
from capdesk.policy.loader import get_policy
from capdesk.policy.types import Outcome


class Help(StrEnum):
    """What a technical question about one project would get."""

    TECHNICAL = "technical"  # E1-E4 hold: technical help, billing and account
    ROLE = "role"  # E4: billing and account only, until someone grants App Developer
    UNPAID = "unpaid"  # E1: billing and account only, until the organization pays
    BILLING = "billing"  # anything else the policy decides: billing and account only


_HELP_BY_OUTCOME = {
    Outcome.ACCEPT: Help.TECHNICAL,
    Outcome.DENY_ROLE: Help.ROLE,
    # The technical gates redirect to the community only for E1 (the scope is covered).
    Outcome.REDIRECT_COMMUNITY: Help.UNPAID,
}


@dataclass(frozen=True)
class Entitlement:
    project: Project
    help: Help


@dataclass(frozen=True)
class Panel:
    """The side panel "What you can get help with", and the project the form preselects."""

    entitlements: list[Entitlement]
    unpaid_orgs: list[str]  # names of the organizations E1 keeps from technical help
    preselect: str  # the app id, when the person qualifies (E4) on exactly one project
    console_url: str
    github_url: str
    discord_url: str


def panel_for(person: Person, projects: Sequence[Project], *, channel: str) -> Panel:
    policy = get_policy()
    requester, facts = facts_for_projects(person, projects, policy=policy)
    entitlements = []
    unpaid: dict[str, None] = {}
    for project in projects:
        project_facts = facts.get(project.app_id)
        decision = (
            technical_help(requester, project_facts, policy, channel=channel) if project_facts else None
        )
        help_ = _HELP_BY_OUTCOME.get(decision.outcome, Help.BILLING) if decision else Help.BILLING
        if help_ is Help.UNPAID:
            unpaid[project.organization.name] = None
        entitlements.append(Entitlement(project, help_))
    qualifying = requester.qualifying_projects
    return Panel(
        entitlements=entitlements,
        unpaid_orgs=list(unpaid),
        # Only then: with two or none, "not about one project" is the honest default.
        preselect=qualifying[0].app_id if len(qualifying) == 1 else "",
        console_url=policy.console_url,
        github_url=policy.github_url,
        discord_url=policy.discord_url,
    )
