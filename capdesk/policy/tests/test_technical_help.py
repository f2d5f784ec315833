"""technical_help(): the decision a technical question would get, for pages that promise it beforehand."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from capdesk.directory.models import SubscriptionStatus
from capdesk.policy.decide import technical_help
from capdesk.policy.document import Policy
from capdesk.policy.facts import facts_for, facts_for_projects
from capdesk.policy.tests.makers import org, project, requester
from capdesk.policy.types import Outcome


def test_it_accepts_a_developer_of_a_paid_organization(policy: Policy) -> None:
    decision = technical_help(requester(), project(), policy, channel="portal")
    assert decision is not None and decision.outcome is Outcome.ACCEPT


def test_it_sends_a_reader_to_someone_who_can_grant_app_developer(policy: Policy) -> None:
    decision = technical_help(requester(), project(qualifies=False), policy, channel="portal")
    assert decision is not None and decision.outcome is Outcome.DENY_ROLE


@pytest.mark.parametrize("subscription", ["none", "canceled", "trialing"])
def test_it_redirects_a_developer_of_an_organization_that_pays_nothing(
    policy: Policy, subscription: str
) -> None:
    unpaid = org("team", subscription)
    decision = technical_help(requester(unpaid), project(unpaid), policy, channel="portal")
    assert decision is not None
    assert decision.outcome is Outcome.REDIRECT_COMMUNITY
    assert "E1" in decision.clauses


def test_purchased_credits_make_an_organization_paid_without_a_subscription(policy: Policy) -> None:
    with_credits = org("team", "none", credits=True)
    decision = technical_help(requester(with_credits), project(with_credits), policy, channel="portal")
    assert decision is not None and decision.outcome is Outcome.ACCEPT


@pytest.mark.django_db
def test_the_facts_of_all_projects_agree_with_the_facts_of_each(cast: Any, policy: Policy) -> None:
    cast.org.subscription_status = SubscriptionStatus.TRIALING
    cast.org.credits_balance = Decimal("0")
    cast.org.save()
    for person in (cast.developer, cast.reader, cast.org_admin, cast.billing_admin):
        each_requester, each = facts_for(person, cast.project, policy=policy)
        all_requester, facts = facts_for_projects(person, [cast.project], policy=policy)
        assert each is not None
        assert all_requester == each_requester
        assert facts[cast.project.app_id].org == each.org
        assert facts[cast.project.app_id].requester_qualifies == each.requester_qualifies


@pytest.mark.django_db
def test_the_facts_of_all_projects_leave_out_another_organizations_project(cast: Any, policy: Policy) -> None:
    _, facts = facts_for_projects(cast.developer, [cast.project, cast.other_project], policy=policy)
    assert list(facts) == [cast.project.app_id]
