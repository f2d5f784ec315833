"""Severity: the customer declares it; Urgent needs a production impact; an incident is not one customer's Urgent."""

from __future__ import annotations

import pytest

from capdesk.policy.decide import decide
from capdesk.policy.document import Policy
from capdesk.policy.loader import TRIAGE_QUEUE
from capdesk.policy.tests.makers import classified, incident, project, request, requester
from capdesk.policy.types import Identity, Outcome, Severity


def test_it_keeps_the_severity_the_customer_declared(policy: Policy) -> None:
    for declared in (Severity.HIGH, Severity.NORMAL, Severity.LOW):
        decision = decide(
            request(severity=declared), requester(), project(), (), classified("fix.how_to"), policy
        )
        assert decision.severity is declared
        assert not decision.severity_downgraded


def test_it_uses_the_policys_default_when_none_was_declared(policy: Policy) -> None:
    decision = decide(request(), requester(), project(), (), classified("fix.how_to"), policy)
    assert decision.severity is Severity.NORMAL is policy.default_severity


def test_it_keeps_urgent_when_production_is_unusable(policy: Policy) -> None:
    decision = decide(
        request(severity=Severity.URGENT, production_impact=True),
        requester(),
        project(),
        (),
        classified("fix.live_updates"),
        policy,
    )
    assert decision.severity is Severity.URGENT
    assert "L1" in decision.clauses


def test_it_lowers_urgent_to_high_without_a_production_impact_and_says_why(policy: Policy) -> None:
    decision = decide(
        request(severity=Severity.URGENT), requester(), project(), (), classified("fix.live_updates"), policy
    )
    assert (decision.severity, decision.declared_severity) == (Severity.HIGH, Severity.URGENT)
    assert decision.severity_downgraded
    assert any("production" in line and "L1" in line for line in decision.explanation)


def test_it_lowers_urgent_on_a_billing_question_without_production_impact_too(policy: Policy) -> None:
    decision = decide(request(severity=Severity.URGENT), requester(), None, (), classified("billing"), policy)
    assert (decision.outcome, decision.severity, decision.clauses) == (
        Outcome.ACCEPT_BILLING,
        Severity.HIGH,
        ("B1", "L1"),
    )


def test_it_does_not_make_an_incident_one_customers_urgent(policy: Policy) -> None:
    decision = decide(
        request(severity=Severity.URGENT, production_impact=True),
        requester(),
        project(),
        (incident(),),
        classified("fix.live_updates"),
        policy,
    )
    assert (decision.outcome, decision.severity) == (Outcome.REFER_STATUS, Severity.HIGH)
    assert decision.clauses == ("M1", "M2")
    assert not decision.severity_downgraded
    assert any("incident-wide" in line for line in decision.explanation)


def test_it_allows_urgent_for_an_outage_report_no_incident_covers_yet(policy: Policy) -> None:
    decision = decide(
        request(severity=Severity.URGENT, production_impact=True),
        requester(),
        project(),
        (),
        classified("incident"),
        policy,
    )
    assert (decision.outcome, decision.severity) == (Outcome.ACCEPT, Severity.URGENT)


def test_it_records_a_feature_request_as_low_whatever_was_declared(policy: Policy) -> None:
    # Short of a declared outage (Urgent, production down), which goes to a person
    # (test_severity_by_email): that reading is too costly a guess to rate Low.
    decision = decide(
        request(severity=Severity.URGENT),
        requester(),
        None,
        (),
        classified("feature_request"),
        policy,
    )
    assert (decision.severity, decision.queue) == (Severity.LOW, "product")
    assert any("feature request is Low" in line for line in decision.explanation)


def test_a_triaged_request_keeps_the_severity_the_customer_declared(policy: Policy) -> None:
    # The classifier guesses "feature request" too uncertainly to act on: a person decides,
    # so neither its Low severity nor its queue applies to what an Enterprise customer filed.
    decision = decide(
        request(severity=Severity.NORMAL),
        requester(),
        project(),
        (),
        classified("feature_request", confidence=0.25),
        policy,
    )
    assert (decision.outcome, decision.severity, decision.queue) == (
        Outcome.TRIAGE,
        Severity.NORMAL,
        TRIAGE_QUEUE,
    )
    assert not any("whatever was declared" in line for line in decision.explanation)


def test_a_triaged_request_that_declared_nothing_gets_the_default(policy: Policy) -> None:
    decision = decide(request(), requester(), project(), (), classified("feature_request", 0.25), policy)
    assert (decision.outcome, decision.severity) == (Outcome.TRIAGE, policy.default_severity)


def test_a_confident_feature_request_is_still_low_whatever_was_declared(policy: Policy) -> None:
    decision = decide(
        request(severity=Severity.NORMAL), requester(), project(), (), classified("feature_request"), policy
    )
    assert (decision.outcome, decision.severity) == (Outcome.ACCEPT, Severity.LOW)


@pytest.mark.parametrize(
    ("channel", "identity", "outcome", "severity"),
    [
        ("discord", Identity.VERIFIED, Outcome.REDIRECT_COMMUNITY, Severity.HIGH),
        # An unproven sender's High is only a claim (E3): the default, not the scope's Low.
        ("email", Identity.UNKNOWN, Outcome.DENY_UNREGISTERED, Severity.NORMAL),
        ("email", Identity.UNVERIFIED, Outcome.VERIFY_SENDER, Severity.NORMAL),
    ],
)
def test_outcomes_before_the_confidence_step_do_not_act_on_an_uncertain_scope(
    policy: Policy, channel: str, identity: Identity, outcome: Outcome, severity: Severity
) -> None:
    decision = decide(
        request(channel, identity, Severity.HIGH),
        requester(),
        project(),
        (),
        classified("feature_request", 0.25),
        policy,
    )
    assert (decision.outcome, decision.severity, decision.queue) == (outcome, severity, TRIAGE_QUEUE)
