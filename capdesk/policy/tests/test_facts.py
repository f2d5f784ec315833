"""facts_for(): the directory, as the plain facts decide() reads."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from capdesk.directory.models import Organization, Person, Project, SubscriptionStatus
from capdesk.directory.queries import developer_projects_for
from capdesk.policy.decide import decide
from capdesk.policy.document import Policy
from capdesk.policy.facts import facts_for
from capdesk.policy.tests.makers import classified, request
from capdesk.policy.types import Outcome
from capdesk.testing.factories import PersonFactory, ProjectFactory, bind

pytestmark = pytest.mark.django_db


def a_person(name: str) -> Person:
    made = PersonFactory(name=name)
    assert isinstance(made, Person)
    return made


def a_project(organization: Organization, app_id: str) -> Project:
    made = ProjectFactory(organization=organization, app_id=app_id)
    assert isinstance(made, Project)
    return made


def test_it_has_no_facts_for_an_unknown_sender(policy: Policy) -> None:
    assert facts_for(None, None, policy=policy) == (None, None)


def test_it_knows_the_developer_qualifies_on_the_project(cast: Any, policy: Policy) -> None:
    requester, project = facts_for(cast.developer, cast.project, policy=policy)
    assert requester is not None and project is not None
    assert project.requester_qualifies
    assert [p.app_id for p in requester.qualifying_projects] == ["com.acme.shop"]
    assert project.org.name == "Acme Apps" and project.org.plan == "team"
    assert project.org.subscription == "active"


def test_it_names_who_can_grant_developer_to_a_reader(cast: Any, policy: Policy) -> None:
    requester, project = facts_for(cast.reader, cast.project, policy=policy)
    assert requester is not None and project is not None
    assert not project.requester_qualifies
    assert project.grantors == ("Ana Admin",)
    assert requester.qualifying_projects == ()


def test_it_counts_an_app_admin_as_a_grantor_on_that_app_only(cast: Any, policy: Policy) -> None:
    app_admin = a_person("Budi App-Admin")
    bind(app_admin, "app_admin", project=cast.project)
    sibling = a_project(cast.org, "com.acme.blog")
    _, on_shop = facts_for(cast.reader, cast.project, policy=policy)
    _, on_blog = facts_for(cast.reader, sibling, policy=policy)
    assert on_shop is not None and on_blog is not None
    assert on_shop.grantors == ("Ana Admin", "Budi App-Admin")
    assert on_blog.grantors == ("Ana Admin",)


def test_it_gives_a_billing_admin_no_app_rights(cast: Any, policy: Policy) -> None:
    _, project = facts_for(cast.billing_admin, cast.project, policy=policy)
    assert project is not None and not project.requester_qualifies


def test_it_counts_an_org_admin_as_developer_on_every_app_and_not_as_their_own_grantor(
    cast: Any, policy: Policy
) -> None:
    requester, project = facts_for(cast.org_admin, cast.project, policy=policy)
    assert requester is not None and project is not None
    assert project.requester_qualifies
    assert "Ana Admin" not in project.grantors
    assert requester.orgs[0].grantors == ()


def test_it_reads_a_legacy_write_on_the_organization_as_developer(cast: Any, policy: Policy) -> None:
    veteran = a_person("Vera Veteran")
    bind(veteran, "write", organization=cast.org)
    _, project = facts_for(veteran, cast.project, policy=policy)
    assert project is not None and project.requester_qualifies


def test_it_hides_another_organizations_project(cast: Any, policy: Policy) -> None:
    requester, project = facts_for(cast.outsider, cast.project, policy=policy)
    assert requester is not None and project is None
    assert [o.name for o in requester.orgs] == ["Other Corp"]


def test_it_agrees_with_the_directorys_own_e4_rule(cast: Any, policy: Policy) -> None:
    bind(a_person("Ivan Invited"), "invite_write", organization=cast.org)
    for person in (cast.developer, cast.reader, cast.org_admin, cast.billing_admin, cast.outsider):
        requester, _ = facts_for(person, None, policy=policy)
        assert requester is not None
        expected = [p.app_id for p in developer_projects_for(person)]
        assert [p.app_id for p in requester.qualifying_projects] == expected


def test_it_reports_trial_credits_and_add_ons(cast: Any, policy: Policy) -> None:
    cast.org.subscription_status = SubscriptionStatus.TRIALING
    cast.org.credits_balance = Decimal("12.50")
    cast.org.premium_support = True
    cast.org.save()
    _, project = facts_for(
        cast.developer, cast.project, policy=policy, retainer_minutes_used={cast.org.pk: 30}
    )
    assert project is not None
    org = project.org
    assert (org.subscription, org.has_credits, org.addons) == (
        "trialing",
        True,
        frozenset({"premium_support"}),
    )
    assert (org.retainer_minutes, org.retainer_minutes_used) == (240, 30)


def test_it_takes_the_language_from_the_profile(cast: Any, policy: Policy) -> None:
    cast.developer.language = "id"
    cast.developer.save()
    requester, _ = facts_for(cast.developer, None, policy=policy)
    assert requester is not None and requester.language == "id"


def test_it_reads_the_directory_in_a_few_queries(
    cast: Any, policy: Policy, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(6):
        facts_for(cast.reader, cast.project, policy=policy)


def test_it_feeds_decide_a_role_denial_naming_the_org_admin(cast: Any, policy: Policy) -> None:
    requester, project = facts_for(cast.reader, cast.project, policy=policy)
    decision = decide(request(), requester, project, (), classified("fix.live_updates"), policy)
    assert (decision.outcome, decision.grantors) == (Outcome.DENY_ROLE, ("Ana Admin",))
