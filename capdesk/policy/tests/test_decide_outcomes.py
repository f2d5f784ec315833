"""decide() reaches every outcome of DESIGN.md's Decisions table, each resting on its clauses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from capdesk.policy.decide import decide
from capdesk.policy.document import Policy
from capdesk.policy.tests.makers import classified, incident, org, project, ref, request, requester
from capdesk.policy.types import (
    Classification,
    Decision,
    Identity,
    IncidentFacts,
    OrgFacts,
    Outcome,
    ProjectFacts,
    RequesterFacts,
    RequestFacts,
    Severity,
    SlaTier,
)

RETAINER = frozenset({"premium_support"})
TRIAL = org("team", "trialing")


@dataclass(frozen=True)
class Case:
    """One row of the table: the facts, and the outcome, reply, clauses and queue expected."""

    name: str
    classification: Classification
    outcome: Outcome
    reply: str
    clauses: tuple[str, ...]
    queue: str
    request: RequestFacts = field(default_factory=request)
    requester: RequesterFacts | None = field(default_factory=requester)
    project: ProjectFacts | None = field(default_factory=project)
    incidents: Sequence[IncidentFacts] = ()


CASES = [
    Case(
        "a paying developer's live-update fault is accepted",
        classified("fix.live_updates"),
        Outcome.ACCEPT,
        "accept",
        ("S2.3", "E1", "E2", "E3", "E4", "L1"),
        "support",
    ),
    Case(
        "a trial organization's billing question is accepted (B1)",
        classified("billing"),
        Outcome.ACCEPT_BILLING,
        "accept_billing",
        ("B1",),
        "billing",
        requester=requester(TRIAL, qualifying=()),
        project=None,
    ),
    Case(
        "an outage report during an incident is referred to the status page",
        classified("incident"),
        Outcome.REFER_STATUS,
        "refer_status",
        ("M1", "M2"),
        "support",
        incidents=(incident(areas=frozenset()),),
    ),
    Case(
        "a live-update fault during a live-update incident is referred to it",
        classified("fix.live_updates"),
        Outcome.REFER_STATUS,
        "refer_status",
        ("M1", "M2"),
        "support",
        incidents=(incident(),),
    ),
    Case(
        "a technical question without paid resources goes to the community (E1)",
        classified("fix.how_to"),
        Outcome.REDIRECT_COMMUNITY,
        "redirect_community",
        ("S2.2", "E1", "C4", "C5"),
        "support",
        requester=requester(TRIAL),
        project=project(TRIAL),
    ),
    Case(
        "app code troubleshooting goes to the community, with the Premium offer for Team",
        classified("out.app_code"),
        Outcome.REDIRECT_COMMUNITY,
        "redirect_community",
        ("X1", "C4", "C5", "R1"),
        "support",
    ),
    Case(
        "a code rewrite on Solo goes to the community without the offer",
        classified("out.rewrite"),
        Outcome.REDIRECT_COMMUNITY,
        "redirect_community",
        ("X2", "C4", "C5"),
        "support",
        requester=requester(org("solo")),
        project=project(org("solo")),
    ),
    Case(
        "self-hosting is out of scope even with a retainer (S0)",
        classified("out.self_hosted"),
        Outcome.REDIRECT_COMMUNITY,
        "redirect_community",
        ("S0", "C4", "C5"),
        "support",
        requester=requester(org(addons=RETAINER)),
        project=project(org(addons=RETAINER)),
    ),
    Case(
        "a request from an unofficial channel is sent to the official ones (E2, C3)",
        classified("fix.how_to"),
        Outcome.REDIRECT_COMMUNITY,
        "redirect_channel",
        ("E2", "C3"),
        "support",
        request=request("discord"),
    ),
    Case(
        "an unauthenticated email from a registered address is held for confirmation",
        classified("fix.how_to"),
        Outcome.VERIFY_SENDER,
        "verify_sender",
        ("E3",),
        "support",
        request=request("email", Identity.UNVERIFIED),
    ),
    Case(
        "a technical request naming no project asks which one, offering where they qualify",
        classified("setup.live_updates"),
        Outcome.NEED_PROJECT,
        "need_project",
        ("S1.1", "E4"),
        "support",
        project=None,
    ),
    Case(
        "a reader on the project is told who can grant App Developer",
        classified("fix.live_updates"),
        Outcome.DENY_ROLE,
        "deny_role",
        ("S2.3", "E4"),
        "support",
        project=project(qualifies=False),
    ),
    Case(
        "a requester who qualifies nowhere, project unknown, is told who can grant it",
        classified("fix.how_to"),
        Outcome.DENY_ROLE,
        "deny_role",
        ("S2.2", "E4"),
        "support",
        requester=requester(qualifying=()),
        project=None,
    ),
    Case(
        "an unknown sender is told to use a registered account",
        classified("fix.how_to"),
        Outcome.DENY_UNREGISTERED,
        "deny_unregistered",
        ("E3", "C2"),
        "support",
        request=request("email", Identity.UNKNOWN),
        requester=None,
        project=None,
    ),
    Case(
        "a paying Team customer asking for Premium Support gets the offer",
        classified("premium"),
        Outcome.PREMIUM_LEAD,
        "premium_lead_offer",
        ("R1",),
        "sales",
        project=None,
    ),
    Case(
        "a Maker customer asking for Premium Support is told what it requires",
        classified("premium"),
        Outcome.PREMIUM_LEAD,
        "premium_lead_requires",
        ("R1",),
        "sales",
        requester=requester(org("maker")),
        project=None,
    ),
    Case(
        "a Team trial asking for Premium Support is told what it requires",
        classified("premium"),
        Outcome.PREMIUM_LEAD,
        "premium_lead_requires",
        ("R1",),
        "sales",
        requester=requester(TRIAL),
        project=None,
    ),
    Case(
        "a retainer turns app-code troubleshooting into an accepted, booked request",
        classified("out.app_code"),
        Outcome.ACCEPT,
        "accept_premium",
        ("X1", "R1", "E1", "E2", "E3", "E4", "L1"),
        "support",
        requester=requester(org(addons=RETAINER)),
        project=project(org(addons=RETAINER, minutes_used=90)),
    ),
    Case(
        "a feature request is accepted for the product team",
        classified("feature_request"),
        Outcome.ACCEPT,
        "accept_feature_request",
        ("C3",),
        "product",
        requester=requester(TRIAL),
        project=None,
    ),
    Case(
        "an unsure classification goes to a person",
        classified("out.app_code", confidence=0.4),
        Outcome.TRIAGE,
        "triage",
        (),
        "triage",
    ),
    Case(
        "a label the policy does not know goes to a person",
        Classification(scope="out.weather", confidence=0.99, group="not_covered"),
        Outcome.TRIAGE,
        "triage",
        (),
        "triage",
    ),
    Case(
        "an outage report with no ongoing incident is troubleshooting (S2.3)",
        classified("incident"),
        Outcome.ACCEPT,
        "accept",
        ("S2.3", "E1", "E2", "E3", "E4", "L1"),
        "support",
    ),
]


def run(case: Case, policy: Policy) -> Decision:
    return decide(case.request, case.requester, case.project, case.incidents, case.classification, policy)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_it_decides_each_case_on_the_clauses_it_names(case: Case, policy: Policy) -> None:
    decision = run(case, policy)
    assert (decision.outcome, decision.reply, decision.clauses, decision.queue) == (
        case.outcome,
        case.reply,
        case.clauses,
        case.queue,
    )
    assert decision.scope == case.classification.scope
    assert decision.explanation, "every decision explains itself"
    for clause in decision.clauses:
        assert clause in policy.clauses


def test_it_reaches_every_outcome_of_the_design(policy: Policy) -> None:
    assert {run(c, policy).outcome for c in CASES} == set(Outcome)


def test_it_gives_need_project_the_projects_the_requester_qualifies_on(policy: Policy) -> None:
    other = org("enterprise", key="org-b", name="B Corp")
    unpaid = org("solo", "canceled", key="org-c", name="C Ltd")
    who = requester(
        org(), other, unpaid, qualifying=(ref(of=org()), ref("com.b.app", other), ref("com.c.app", unpaid))
    )
    decision = decide(request(), who, None, (), classified("fix.how_to"), policy)
    assert decision.outcome is Outcome.NEED_PROJECT
    assert [p.app_id for p in decision.projects] == ["com.acme.shop", "com.b.app"]


def test_it_names_the_grantors_in_a_role_denial(policy: Policy) -> None:
    facts = project(qualifies=False, grantors=("Ana Admin", "Budi App-Admin"))
    decision = decide(request(), requester(), facts, (), classified("fix.live_updates"), policy)
    assert decision.grantors == ("Ana Admin", "Budi App-Admin")
    assert decision.project is not None and decision.project.app_id == "com.acme.shop"


def test_it_carries_the_incident_it_refers_to(policy: Policy) -> None:
    older, newer = incident("inc-1", hour=8), incident("inc-2", hour=10)
    decision = decide(
        request(), requester(), project(), (older, newer), classified("fix.live_updates"), policy
    )
    assert decision.incident == newer
    decision = decide(
        request(), requester(), project(), (newer, older), classified("fix.live_updates"), policy
    )
    assert decision.incident == newer


def test_it_flags_retainer_time_for_booking_with_the_months_hours(policy: Policy) -> None:
    holder = org(addons=RETAINER, minutes_used=90)
    decision = decide(
        request(), requester(holder), project(holder), (), classified("out.third_party"), policy
    )
    assert decision.book_retainer
    assert decision.retainer is not None
    assert (decision.retainer.included_minutes, decision.retainer.remaining_minutes) == (240, 150)


def test_it_offers_premium_only_where_the_retainer_would_cover(policy: Policy) -> None:
    x3 = decide(request(), requester(), project(), (), classified("out.third_party"), policy)
    s0 = decide(request(), requester(), project(), (), classified("out.self_hosted"), policy)
    assert (x3.premium_offer, x3.reason) == (True, "reason_x3")
    assert (s0.premium_offer, s0.reason) == (False, "reason_s0")


@pytest.mark.parametrize(
    ("facts", "tier"),
    [
        (org("enterprise"), SlaTier.CONTRACTUAL),
        (org("enterprise", "trialing", credits=True), SlaTier.NONE),
        (org("solo", addons=frozenset({"priority_plus"})), SlaTier.CONTRACTUAL),
        (org("team"), SlaTier.GOALS),
        (org("maker"), SlaTier.NONE),
    ],
    ids=["enterprise", "enterprise-trial-with-credits", "priority-plus", "team", "maker"],
)
def test_it_names_the_sla_tier_of_an_accepted_request(facts: OrgFacts, tier: SlaTier, policy: Policy) -> None:
    decision = decide(request(), requester(facts), project(facts), (), classified("fix.how_to"), policy)
    assert (decision.outcome, decision.sla) == (Outcome.ACCEPT, tier)


@pytest.mark.parametrize(
    "facts",
    [
        org("solo", "none", credits=True),
        org("solo", "past_due"),
        org("solo", "canceled", addons=frozenset({"priority_plus"})),
    ],
    ids=["credits-only", "past-due", "paid-addon-only"],
)
def test_it_counts_credits_and_paid_addons_as_paid(facts: OrgFacts, policy: Policy) -> None:
    decision = decide(request(), requester(facts), project(facts), (), classified("fix.how_to"), policy)
    assert decision.outcome is Outcome.ACCEPT


def test_it_decides_the_same_way_every_time(policy: Policy) -> None:
    args = (
        request(severity=Severity.URGENT),
        requester(),
        project(),
        (incident(),),
        classified("fix.analytics"),
        policy,
    )
    assert decide(*args) == decide(*args)
