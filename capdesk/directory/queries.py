"""Read helpers for the directory: who is this, and what may they do on which project."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from capdesk.directory import roles
from capdesk.directory.models import EmailAddress, Organization, Person, Project, RoleBinding, normalise_email


def person_by_email(address: str) -> Person | None:
    found = EmailAddress.objects.select_related("person").filter(email=normalise_email(address)).first()
    return found.person if found else None


def is_developer_or_higher(person: Person, project: Project) -> bool:
    """E4 for one person and one project, from their role bindings (see roles.py)."""
    bindings = RoleBinding.objects.filter(person=person, organization_id=project.organization_id)
    return roles.is_developer_or_higher(
        (b.as_binding() for b in bindings),
        app_id=str(project.pk),
        app_org_id=str(project.organization_id),
    )


def projects_for(person: Person) -> QuerySet[Project]:
    """Every project the person has any binding that reaches (directly or through its org)."""
    org_ids = RoleBinding.objects.filter(person=person, project__isnull=True).values("organization_id")
    app_ids = RoleBinding.objects.filter(person=person, project__isnull=False).values("project_id")
    return (
        Project.objects.filter(Q(organization_id__in=org_ids) | Q(pk__in=app_ids))
        .select_related("organization")
        .order_by("app_id")
    )


def developer_projects_for(person: Person) -> list[Project]:
    """The projects on which the person qualifies for technical help under E4."""
    bindings = [b.as_binding() for b in RoleBinding.objects.filter(person=person)]
    return [
        p
        for p in projects_for(person)
        if roles.is_developer_or_higher(bindings, app_id=str(p.pk), app_org_id=str(p.organization_id))
    ]


def organizations_for(person: Person) -> QuerySet[Organization]:
    return Organization.objects.filter(bindings__person=person).distinct()


def who_can_grant_developer(project: Project) -> list[Person]:
    """People in the project's organization who can grant App Developer (for a `deny_role` reply)."""
    grantors = RoleBinding.objects.filter(organization_id=project.organization_id).filter(
        Q(project__isnull=True) | Q(project=project)
    )
    people: dict[int, Person] = {}
    for b in grantors.select_related("person").order_by("person__name", "person_id"):
        # The binding's scope matters, not just its role name: an `app_admin` bound on
        # the organization, or an `org_admin` bound on one app, administers nothing here.
        if roles.binding_can_grant_developer(
            b.as_binding(), app_id=str(project.pk), app_org_id=str(project.organization_id)
        ):
            people[b.person_id] = b.person
    return list(people.values())
