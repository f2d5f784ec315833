"""Turn directory rows into the plain facts ``decide`` reads, so that ``decide`` never queries.

E4 is evaluated here with the policy's roles (``[roles]`` in the policy file)
after Capgo's legacy names are mapped by ``directory.roles``, the same way
``directory.roles.is_developer_or_higher`` reads them.

A project is shown to the requester only if they hold some role in its
organization: a request naming another organization's app is treated as naming
no project, so a reply never reveals who administers someone else's app.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from django.db.models import Q

from capdesk.directory import queries, roles
from capdesk.directory.models import Organization, Person, Project, RoleBinding
from capdesk.policy.document import Policy, RoleRule
from capdesk.policy.types import OrgFacts, ProjectFacts, ProjectRef, RequesterFacts

PREMIUM_SUPPORT = "premium_support"
PRIORITY_PLUS = "priority_plus"


def facts_for(
    person: Person | None,
    project: Project | None,
    *,
    policy: Policy,
    retainer_minutes_used: Mapping[int, int] | None = None,
) -> tuple[RequesterFacts | None, ProjectFacts | None]:
    """The requester's facts and, if they may see it, the project's; None for an unknown person.

    ``retainer_minutes_used`` maps organization ids to the minutes already booked
    on their retainer this month (bookings are not stored yet; default 0).
    """
    if person is None:
        return None, None
    requester, org_facts, bindings = _requester_facts(person, policy, retainer_minutes_used or {})
    if project is None or project.organization_id not in org_facts:
        return requester, None
    return requester, _project_facts(
        project,
        org_facts,
        bindings,
        policy,
        grantors=_project_grantors(project, policy.roles, exclude=person),
    )


def facts_for_projects(
    person: Person, projects: Iterable[Project], *, policy: Policy
) -> tuple[RequesterFacts, dict[str, ProjectFacts]]:
    """The requester's facts and, by app id, those of each project they may see, in a fixed number of queries.

    For a page that shows, before anyone writes, what each project is entitled to:
    the project facts leave out who can grant App Developer (the outcome does not
    depend on it, and asking per project would cost a query each).
    """
    requester, org_facts, bindings = _requester_facts(person, policy, {})
    return requester, {
        p.app_id: _project_facts(p, org_facts, bindings, policy)
        for p in projects
        if p.organization_id in org_facts
    }


def _project_facts(
    project: Project,
    org_facts: Mapping[int, OrgFacts],
    bindings: Iterable[RoleBinding],
    policy: Policy,
    *,
    grantors: tuple[str, ...] = (),
) -> ProjectFacts:
    return ProjectFacts(
        app_id=project.app_id,
        name=project.name or project.app_id,
        org=org_facts[project.organization_id],
        requester_qualifies=_qualifies(bindings, project, policy.roles),
        grantors=grantors,
    )


def _requester_facts(
    person: Person, policy: Policy, used: Mapping[int, int]
) -> tuple[RequesterFacts, dict[int, OrgFacts], list[RoleBinding]]:
    bindings = list(RoleBinding.objects.filter(person=person).select_related("organization"))
    orgs = {b.organization_id: b.organization for b in bindings}
    grantors = _org_grantors(orgs, policy.roles, exclude=person)
    org_facts = {pk: _org_facts(org, grantors.get(pk, ()), used.get(pk, 0)) for pk, org in orgs.items()}

    qualifying = [
        ProjectRef(p.app_id, p.name or p.app_id, org_facts[p.organization_id].key, p.organization.name)
        for p in queries.projects_for(person)
        if p.organization_id in org_facts and _qualifies(bindings, p, policy.roles)
    ]
    requester = RequesterFacts(
        name=_display_name(person),
        language=person.language or None,
        orgs=tuple(sorted(org_facts.values(), key=lambda o: (o.name, o.key))),
        qualifying_projects=tuple(qualifying),
    )
    return requester, org_facts, bindings


def _qualifies(bindings: Iterable[RoleBinding], project: Project, rule: RoleRule) -> bool:
    """E4 with the policy's roles: an org role on its organization, or an app role on the app."""
    for b in bindings:
        if b.organization_id != project.organization_id:
            continue
        if b.project_id is None:
            role = roles.normalise_role(b.role, on_app=False)
            if role in rule.org:
                return True
            # A legacy `write` on the organization meant write access to all its apps.
            if roles.is_legacy(b.role) and role in rule.app:
                return True
        elif b.project_id == project.pk and roles.normalise_role(b.role, on_app=True) in rule.app:
            return True
    return False


def _org_grantors(
    orgs: Mapping[int, Organization], rule: RoleRule, *, exclude: Person
) -> dict[int, tuple[str, ...]]:
    """Per organization, who can grant App Developer on all its apps (an org-level role)."""
    found: dict[int, set[str]] = defaultdict(set)
    org_bindings = (
        RoleBinding.objects.filter(organization_id__in=list(orgs), project__isnull=True)
        .exclude(person=exclude)
        .select_related("person")
        .prefetch_related("person__emails")
    )
    for b in org_bindings:
        if roles.normalise_role(b.role, on_app=False) in rule.grantors_org:
            found[b.organization_id].add(_display_name(b.person))
    return {pk: tuple(sorted(names)) for pk, names in found.items()}


def _project_grantors(project: Project, rule: RoleRule, *, exclude: Person) -> tuple[str, ...]:
    """Who can grant App Developer on this project: its organization's admins and the app's admins."""
    candidates = (
        RoleBinding.objects.filter(organization_id=project.organization_id)
        .filter(Q(project__isnull=True) | Q(project=project))
        .exclude(person=exclude)
        .select_related("person")
        .prefetch_related("person__emails")
    )
    names = set()
    for b in candidates:
        on_app = b.project_id is not None
        if roles.normalise_role(b.role, on_app=on_app) in (
            rule.grantors_app if on_app else rule.grantors_org
        ):
            names.add(_display_name(b.person))
    return tuple(sorted(names))


def _org_facts(org: Organization, grantors: tuple[str, ...], minutes_used: int) -> OrgFacts:
    addons = set()
    if org.premium_support:
        addons.add(PREMIUM_SUPPORT)
    if org.priority_plus:
        addons.add(PRIORITY_PLUS)
    return OrgFacts(
        key=str(org.capgo_id),
        name=org.name,
        plan=org.plan,
        subscription=org.subscription_status,
        has_credits=org.credits_balance > 0,
        addons=frozenset(addons),
        grantors=grantors,
        retainer_minutes=int(org.premium_hours_per_month * 60),
        retainer_minutes_used=minutes_used,
    )


def _display_name(person: Person) -> str:
    """The name a colleague would recognise; the registered address when there is no name."""
    if person.name:
        return person.name
    emails = sorted(person.emails.all(), key=lambda e: (not e.primary, e.email))
    return emails[0].email if emails else str(person.capgo_id)
