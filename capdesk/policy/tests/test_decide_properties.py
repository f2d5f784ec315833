"""Properties decide() keeps for any facts: no decline on a guess, real clauses, queues that exist."""

from __future__ import annotations

from datetime import UTC

from hypothesis import given, settings
from hypothesis import strategies as st

from capdesk.policy.decide import decide
from capdesk.policy.document import Policy
from capdesk.policy.loader import load_policy
from capdesk.policy.tests.conftest import SHIPPED
from capdesk.policy.types import (
    Classification,
    Identity,
    IncidentFacts,
    OrgFacts,
    Outcome,
    ProjectFacts,
    ProjectRef,
    RequesterFacts,
    RequestFacts,
    Severity,
)
from capdesk.tickets.models import Severity as TicketSeverity

POLICY: Policy = load_policy(SHIPPED)
DECLINES = {Outcome.REDIRECT_COMMUNITY, Outcome.DENY_ROLE, Outcome.NEED_PROJECT, Outcome.PREMIUM_LEAD}

orgs = st.builds(
    OrgFacts,
    key=st.sampled_from(["a", "b"]),
    name=st.sampled_from(["A", "B"]),
    plan=st.sampled_from(["solo", "maker", "team", "enterprise"]),
    subscription=st.sampled_from(["active", "past_due", "trialing", "canceled", "none"]),
    has_credits=st.booleans(),
    addons=st.frozensets(st.sampled_from(["premium_support", "priority_plus"])),
    grantors=st.tuples(st.sampled_from(["Ana", "Budi"])),
    retainer_minutes_used=st.integers(0, 600),
)
requesters = st.builds(
    RequesterFacts,
    name=st.just("Dewi"),
    language=st.sampled_from([None, "en", "id"]),
    orgs=st.lists(orgs, max_size=2).map(tuple),
    qualifying_projects=st.lists(
        st.builds(
            ProjectRef,
            app_id=st.just("com.x"),
            name=st.just("X"),
            org_key=st.sampled_from(["a", "b"]),
            org_name=st.just("A"),
        ),
        max_size=2,
    ).map(tuple),
)
projects = st.builds(
    ProjectFacts,
    app_id=st.just("com.x"),
    name=st.just("X"),
    org=orgs,
    requester_qualifies=st.booleans(),
    grantors=st.tuples(st.sampled_from(["Ana", "Budi"])),
)
requests = st.builds(
    RequestFacts,
    channel=st.sampled_from(["portal", "dashboard", "email", "api", "discord"]),
    identity=st.sampled_from(list(Identity)),
    declared_severity=st.none() | st.sampled_from(list(Severity)),
    production_impact=st.booleans(),
    severity_from_text=st.booleans(),
)
incidents = st.lists(
    st.builds(
        IncidentFacts,
        key=st.sampled_from(["i1", "i2"]),
        title=st.just("Down"),
        url=st.just("https://status.capgo.app/i"),
        started_at=st.datetimes(timezones=st.just(UTC)),
        areas=st.frozensets(st.sampled_from(["live_updates", "analytics"])),
    ),
    max_size=2,
)
classifications = st.builds(
    Classification,
    scope=st.sampled_from([*POLICY.scopes, "not.a.scope"]),
    confidence=st.floats(0, 1),
    group=st.sampled_from(["covered", "not_covered"]),
)
Facts = tuple[RequestFacts, RequesterFacts | None, ProjectFacts | None, list[IncidentFacts], Classification]
facts = st.tuples(requests, st.none() | requesters, st.none() | projects, incidents, classifications)


@settings(max_examples=400)
@given(facts)
def test_it_never_declines_a_proven_sender_on_a_guess(args: Facts) -> None:
    request, requester, project, found, classification = args
    decision = decide(request, requester, project, found, classification, POLICY)
    if classification.confidence < POLICY.confidence_threshold or classification.scope not in POLICY.scopes:
        # Only facts decline a request here: the channel (C3) and the sender (E3).
        assert decision.outcome not in DECLINES or decision.reply == "redirect_channel"
        assert decision.outcome is not Outcome.REFER_STATUS


@settings(max_examples=400)
@given(facts)
def test_it_only_cites_clauses_and_queues_and_replies_the_policy_has(args: Facts) -> None:
    decision = decide(*args, POLICY)
    assert all(c in POLICY.clauses for c in decision.clauses)
    assert decision.queue in POLICY.queues
    assert (decision.reply, "en") in POLICY.replies
    assert decision.explanation


@settings(max_examples=400)
@given(facts)
def test_it_accepts_a_technical_request_only_when_every_gate_holds(args: Facts) -> None:
    request, requester, project, found, classification = args
    decision = decide(request, requester, project, found, classification, POLICY)
    if decision.outcome is Outcome.ACCEPT and decision.group in {"covered", "not_covered", "incident"}:
        assert project is not None and project.requester_qualifies
        assert request.identity is Identity.VERIFIED and request.channel in POLICY.official_channels
        assert {"E1", "E2", "E3", "E4"} <= set(decision.clauses)


@given(facts)
def test_it_is_urgent_only_with_a_production_impact(args: Facts) -> None:
    request = args[0]
    decision = decide(*args, POLICY)
    if decision.severity is Severity.URGENT:
        assert request.production_impact and request.declared_severity is Severity.URGENT
        assert request.identity is Identity.VERIFIED  # E3: a claim never raises it


@given(facts)
def test_it_applies_no_severity_an_unproven_sender_declared(args: Facts) -> None:
    request = args[0]
    decision = decide(*args, POLICY)
    if request.identity is not Identity.VERIFIED:
        assert decision.declared_severity is None
        assert decision.claimed_severity is request.declared_severity
        assert decision.severity in {POLICY.default_severity, Severity.LOW}  # a scope may fix Low


def test_it_uses_the_same_severities_as_tickets() -> None:
    assert {s.value for s in Severity} == {s.value for s in TicketSeverity}
