"""A severity declared in an email's text: a proven sender's is taken as the portal's, anyone
else's is only a claim (E3); the reply says which severity it took, or how to declare one."""

from __future__ import annotations

import pytest

from capdesk.policy.decide import decide
from capdesk.policy.document import Policy
from capdesk.policy.replies import render
from capdesk.policy.tests.makers import classified, project, request, requester
from capdesk.policy.tests.test_replies import CONTEXT
from capdesk.policy.types import Decision, Identity, Outcome, Severity


def by_email(
    policy: Policy,
    severity: Severity | None,
    *,
    identity: Identity = Identity.VERIFIED,
    production_impact: bool = False,
    scope: str = "fix.live_updates",
) -> Decision:
    facts = request("email", identity, severity, production_impact=production_impact, from_text=True)
    return decide(facts, requester(), project(), (), classified(scope), policy)


def test_a_proven_senders_urgent_with_production_down_is_kept_as_the_portals_is(policy: Policy) -> None:
    decision = by_email(policy, Severity.URGENT, production_impact=True)
    portal = decide(
        request(severity=Severity.URGENT, production_impact=True),
        requester(),
        project(),
        (),
        classified("fix.live_updates"),
        policy,
    )
    assert (decision.outcome, decision.severity, decision.clauses) == (
        portal.outcome,
        portal.severity,
        portal.clauses,
    )
    assert decision.severity is Severity.URGENT and decision.declared_severity is Severity.URGENT
    assert any("declared by the customer in the email" in line for line in decision.explanation)


def test_a_proven_senders_urgent_without_production_down_is_high_as_on_the_portal(policy: Policy) -> None:
    decision = by_email(policy, Severity.URGENT)
    assert (decision.severity, decision.severity_downgraded) == (Severity.HIGH, True)
    assert "L1" in decision.clauses


@pytest.mark.parametrize("identity", [Identity.UNVERIFIED, Identity.UNKNOWN])
def test_an_unproven_senders_severity_is_only_a_claim(policy: Policy, identity: Identity) -> None:
    decision = by_email(policy, Severity.URGENT, identity=identity, production_impact=True)
    assert decision.outcome in {Outcome.VERIFY_SENDER, Outcome.DENY_UNREGISTERED}
    assert decision.severity is policy.default_severity
    assert (decision.declared_severity, decision.claimed_severity) == (None, Severity.URGENT)
    assert any("claimed, not taken" in line and "E3" in line for line in decision.explanation)


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "It is the severity your email declared."),
        ("id", "sesuai dengan yang Anda nyatakan dalam email"),
    ],
)
def test_the_reply_says_the_severity_came_from_the_email(policy: Policy, language: str, said: str) -> None:
    _, body = render(by_email(policy, Severity.HIGH), language, CONTEXT, policy)
    assert said in body
    assert ("High (P2)" if language == "en" else "Tinggi (P2)") in body
    assert "[Urgent]" not in body and "[Mendesak]" not in body


@pytest.mark.parametrize(
    ("language", "how"),
    [
        ("en", ("[Urgent], [High], [Normal] or [Low]", '"Severity: high"', '"Production: down"')),
        ("id", ("[Mendesak], [Tinggi], [Normal] atau [Rendah]", '"Tingkat: tinggi"', '"Produksi: mati"')),
    ],
)
def test_the_reply_to_an_email_that_declared_nothing_says_how_to(
    policy: Policy, language: str, how: tuple[str, ...]
) -> None:
    _, body = render(by_email(policy, None), language, CONTEXT, policy)
    assert all(words in body for words in how), body


def test_the_reply_to_a_lowered_urgent_email_says_how_to_state_production_down(policy: Policy) -> None:
    _, body = render(by_email(policy, Severity.URGENT), "en", CONTEXT, policy)
    assert "You marked this request Urgent (P1)" in body and '"Production: down"' in body
    assert "It is the severity your email declared." not in body


def test_the_portals_reply_teaches_no_email_grammar(policy: Policy) -> None:
    for severity in (None, Severity.HIGH, Severity.URGENT):
        decision = decide(
            request(severity=severity), requester(), project(), (), classified("fix.live_updates"), policy
        )
        _, body = render(decision, "en", CONTEXT, policy)
        assert "Production: down" not in body and "your email" not in body, severity


@pytest.mark.parametrize("scope", ["out.app_code", "feature_request"])
@pytest.mark.parametrize("channel", ["email", "portal"])
def test_a_declared_outage_is_not_turned_away_on_the_classifiers_reading(
    policy: Policy, scope: str, channel: str
) -> None:
    """Urgent with production down, read as app code (community) or a feature request (Low):
    a person reads it, on the Urgent clock. The walkthrough's Indonesian "Produksi: mati" was
    read as out.app_code and closed with a community redirect."""
    facts = request(
        channel, Identity.VERIFIED, Severity.URGENT, production_impact=True, from_text=channel == "email"
    )
    decision = decide(facts, requester(), project(), (), classified(scope), policy)
    assert decision.outcome is Outcome.TRIAGE
    assert decision.severity is Severity.URGENT
    assert any("declared a production outage" in line for line in decision.explanation)
    # Without the outage, the reading stands as before.
    calm = request(channel, Identity.VERIFIED, Severity.HIGH, from_text=channel == "email")
    assert decide(calm, requester(), project(), (), classified(scope), policy).outcome is not Outcome.TRIAGE


def test_a_triaged_outage_is_told_the_severity_it_was_taken_with(policy: Policy) -> None:
    facts = request("email", Identity.VERIFIED, Severity.URGENT, production_impact=True, from_text=True)
    decision = decide(facts, requester(), project(), (), classified("out.app_code"), policy)
    _, body = render(decision, "en", CONTEXT, policy)
    assert "Its severity is Urgent (P1). It is the severity your email declared." in body
    _, body = render(decision, "id", CONTEXT, policy)
    assert "Tingkat keparahannya Mendesak (P1)." in body
