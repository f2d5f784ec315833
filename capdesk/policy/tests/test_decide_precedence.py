"""decide()'s precedence: which rule wins when several apply (see decide.py's docstring)."""

from __future__ import annotations

from capdesk.policy.decide import decide
from capdesk.policy.document import Policy
from capdesk.policy.tests.makers import classified, incident, org, project, request, requester
from capdesk.policy.types import Identity, Outcome

RETAINER = frozenset({"premium_support"})


def test_it_refers_even_an_unknown_sender_to_an_ongoing_incident(policy: Policy) -> None:
    decision = decide(
        request("email", Identity.UNKNOWN), None, None, (incident(),), classified("incident"), policy
    )
    assert decision.outcome is Outcome.REFER_STATUS


def test_it_refers_to_an_incident_before_holding_an_unproven_sender(policy: Policy) -> None:
    decision = decide(
        request("email", Identity.UNVERIFIED),
        requester(),
        None,
        (incident(),),
        classified("incident"),
        policy,
    )
    assert decision.outcome is Outcome.REFER_STATUS


def test_it_does_not_refer_to_an_incident_on_a_guess(policy: Policy) -> None:
    decision = decide(request(), requester(), project(), (incident(),), classified("incident", 0.3), policy)
    assert decision.outcome is Outcome.TRIAGE


def test_it_does_not_refer_a_request_about_another_area_to_the_incident(policy: Policy) -> None:
    decision = decide(request(), requester(), project(), (incident(),), classified("fix.how_to"), policy)
    assert decision.outcome is Outcome.ACCEPT


def test_it_applies_the_channel_rule_before_the_sender_rule(policy: Policy) -> None:
    decision = decide(request("discord", Identity.UNKNOWN), None, None, (), classified("fix.how_to"), policy)
    assert (decision.outcome, decision.reply) == (Outcome.REDIRECT_COMMUNITY, "redirect_channel")


def test_it_applies_the_channel_rule_to_billing_too(policy: Policy) -> None:
    decision = decide(request("discord"), requester(), None, (), classified("billing"), policy)
    assert decision.reply == "redirect_channel"
    assert decision.clauses == ("E2", "C3")


def test_it_declines_an_unknown_sender_without_waiting_for_a_confident_guess(policy: Policy) -> None:
    decision = decide(
        request("email", Identity.UNKNOWN), None, None, (), classified("fix.how_to", 0.1), policy
    )
    assert decision.outcome is Outcome.DENY_UNREGISTERED


def test_it_holds_an_unproven_sender_whatever_the_request_is_about(policy: Policy) -> None:
    for scope, confidence in [("billing", 0.99), ("out.app_code", 0.99), ("fix.how_to", 0.1)]:
        decision = decide(
            request("email", Identity.UNVERIFIED),
            requester(),
            project(),
            (),
            classified(scope, confidence),
            policy,
        )
        assert decision.outcome is Outcome.VERIFY_SENDER, scope


def test_it_treats_a_verified_channel_without_a_person_as_unknown(policy: Policy) -> None:
    decision = decide(request(), None, None, (), classified("billing"), policy)
    assert decision.outcome is Outcome.DENY_UNREGISTERED


def test_it_triages_an_unsure_billing_guess_rather_than_accepting_it(policy: Policy) -> None:
    decision = decide(request(), requester(), None, (), classified("billing", 0.5), policy)
    assert (decision.outcome, decision.queue) == (Outcome.TRIAGE, "triage")


def test_it_accepts_at_exactly_the_threshold(policy: Policy) -> None:
    at = policy.confidence_threshold
    decision = decide(request(), requester(), project(), (), classified("fix.how_to", at), policy)
    assert decision.outcome is Outcome.ACCEPT


def test_it_checks_paid_resources_before_the_role(policy: Policy) -> None:
    trial = org("team", "trialing")
    decision = decide(
        request(), requester(trial), project(trial, qualifies=False), (), classified("fix.how_to"), policy
    )
    assert decision.outcome is Outcome.REDIRECT_COMMUNITY
    assert "E1" in decision.clauses and "E4" not in decision.clauses


def test_it_still_requires_developer_access_under_a_retainer(policy: Policy) -> None:
    holder = org(addons=RETAINER)
    decision = decide(
        request(), requester(holder), project(holder, qualifies=False), (), classified("out.app_code"), policy
    )
    assert decision.outcome is Outcome.DENY_ROLE
    assert decision.clauses == ("X1", "R1", "E4")


def test_it_books_only_against_the_retainer_of_the_projects_organization(policy: Policy) -> None:
    holder = org(addons=RETAINER, key="org-b", name="B Corp")
    decision = decide(
        request(), requester(org(), holder), project(org()), (), classified("out.app_code"), policy
    )
    assert decision.outcome is Outcome.REDIRECT_COMMUNITY
    assert not decision.book_retainer


def test_it_asks_for_the_project_when_only_a_retainer_organization_could_cover_it(policy: Policy) -> None:
    holder = org(addons=RETAINER)
    decision = decide(request(), requester(holder), None, (), classified("out.rewrite"), policy)
    assert decision.outcome is Outcome.NEED_PROJECT
    assert decision.clauses == ("X2", "R1", "E4")


def test_it_needs_no_project_role_for_billing(policy: Policy) -> None:
    decision = decide(request(), requester(), project(qualifies=False), (), classified("account"), policy)
    assert decision.outcome is Outcome.ACCEPT_BILLING
