"""The directory's read helpers against the database, with the personas of every permission test."""

import pytest

from capdesk.directory import queries
from capdesk.directory.models import Person, Project
from capdesk.testing.factories import Personas, PersonFactory, ProjectFactory, bind


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("developer", True),
        ("org_admin", True),
        ("reader", False),
        ("billing_admin", False),
        ("outsider", False),
    ],
)
def test_it_tells_who_is_developer_or_higher_on_the_project(
    cast: Personas, persona: str, expected: bool
) -> None:
    assert queries.is_developer_or_higher(getattr(cast, persona), cast.project) is expected


def test_it_does_not_carry_an_app_role_over_to_a_sibling_app(cast: Personas) -> None:
    sibling: Project = ProjectFactory.create(organization=cast.org)
    assert not queries.is_developer_or_higher(cast.developer, sibling)
    assert queries.is_developer_or_higher(cast.org_admin, sibling)


def test_it_does_not_let_a_role_in_one_org_reach_another(cast: Personas) -> None:
    assert not queries.is_developer_or_higher(cast.org_admin, cast.other_project)
    assert queries.is_developer_or_higher(cast.outsider, cast.other_project)


@pytest.mark.parametrize("legacy", ["write", "admin", "super_admin"])
def test_it_honours_legacy_names_bound_on_the_organization(cast: Personas, legacy: str) -> None:
    veteran: Person = PersonFactory.create()
    bind(veteran, legacy, organization=cast.org)
    assert queries.is_developer_or_higher(veteran, cast.project)


@pytest.mark.parametrize("name", ["read", "upload", "invite_write", "invite_super_admin", "org_member"])
def test_it_refuses_names_below_developer_bound_on_the_organization(cast: Personas, name: str) -> None:
    member: Person = PersonFactory.create()
    bind(member, name, organization=cast.org)
    assert not queries.is_developer_or_higher(member, cast.project)


def test_it_lists_the_projects_a_developer_qualifies_on(cast: Personas) -> None:
    sibling: Project = ProjectFactory.create(organization=cast.org, app_id="com.acme.blog")
    assert queries.developer_projects_for(cast.developer) == [cast.project]
    assert queries.developer_projects_for(cast.org_admin) == [sibling, cast.project]
    assert queries.developer_projects_for(cast.reader) == []
    assert queries.developer_projects_for(cast.billing_admin) == []
    assert queries.developer_projects_for(cast.outsider) == [cast.other_project]


def test_it_lists_only_the_apps_a_mixed_binding_holder_develops(cast: Personas) -> None:
    sibling: Project = ProjectFactory.create(organization=cast.org, app_id="com.acme.blog")
    mixed: Person = PersonFactory.create()
    bind(mixed, "org_member", organization=cast.org)
    bind(mixed, "app_reader", project=cast.project)
    bind(mixed, "write", project=sibling)
    assert queries.developer_projects_for(mixed) == [sibling]


def test_it_names_the_administrators_who_can_grant_developer(cast: Personas) -> None:
    assert queries.who_can_grant_developer(cast.project) == [cast.org_admin]


def test_it_names_an_app_admin_only_for_their_own_app(cast: Personas) -> None:
    sibling: Project = ProjectFactory.create(organization=cast.org)
    app_admin: Person = PersonFactory.create(name="Aldo App-Admin")
    bind(app_admin, "app_admin", project=cast.project)
    assert queries.who_can_grant_developer(cast.project) == [app_admin, cast.org_admin]
    assert queries.who_can_grant_developer(sibling) == [cast.org_admin]


def test_it_does_not_name_roles_bound_outside_their_scope(cast: Personas) -> None:
    # An app_admin bound on the whole org, or an org_admin bound on one app, is not an
    # administrator of this app; before this was checked both were named as grantors.
    misbound_app_admin: Person = PersonFactory.create(name="Mira Misbound")
    bind(misbound_app_admin, "app_admin", organization=cast.org)
    misbound_org_admin: Person = PersonFactory.create(name="Oki Misbound")
    bind(misbound_org_admin, "org_admin", project=cast.project)
    assert queries.who_can_grant_developer(cast.project) == [cast.org_admin]


def test_it_names_legacy_administrators_and_no_one_from_another_org(cast: Personas) -> None:
    legacy: Person = PersonFactory.create(name="Lia Legacy")
    bind(legacy, "super_admin", organization=cast.org)
    bind(cast.outsider, "org_admin", organization=cast.other_project.organization)
    assert queries.who_can_grant_developer(cast.project) == [cast.org_admin, legacy]
