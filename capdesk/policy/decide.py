"""``decide``: what one request is entitled to under the support policy, and why. Pure.

Plain frozen values in (``types``), a frozen ``Decision`` out; no database, no
clock, no settings, so the same inputs always give the same decision.

Precedence, first match wins:

1. **Ongoing incident** (M1, M2) -> ``refer_status``, when the classifier is
   confident and the request is an incident report (any ongoing incident) or its
   scope's product areas meet an ongoing incident's. First because the status
   page is public: referring to it discloses nothing, whoever the sender is.
2. **Channel** (E2, C3) -> ``redirect_community`` with the ``redirect_channel``
   reply, when the request did not come through an official channel (C1, C2).
   C3 binds staff for every kind of request, billing included.
3. **Sender** (E3): an unknown address -> ``deny_unregistered``; a registered but
   unproven one -> ``verify_sender`` (held; decided again once confirmed, and
   nothing about the account is disclosed before).
4. **Confidence** -> ``triage`` below the policy's threshold, or for a label the
   policy does not know: nobody is declined on a guess. This includes a guessed
   billing question: accepting it under B1 would be harmless, but its reply and
   queue would be a guess too, and a person reads triage just as soon.
   Steps 2 and 3 come first because they rest on facts, not on the guess. A proven
   requester who declares a production outage (Urgent, production down) goes to triage
   too when the scope would turn the request away (``not_covered``) or rate it Low
   (``feedback``): that reading is a guess as well, and the cost of a wrong one is an
   outage left unanswered.
5. **By the scope's group**:
   - ``billing_account`` -> ``accept_billing`` (B1): any registered customer,
     trial included, no plan, no project role.
   - ``premium`` -> ``premium_lead`` (R1): the offer if an organization in
     question is on an offer plan with a paid subscription, else what it requires.
   - ``feedback`` -> ``accept`` with Low severity in the product queue: a feature
     request is not support, so neither E1 nor E4 applies.
   - ``not_covered`` (X1-X3, S0) -> ``redirect_community`` (C4, C5; with the
     Premium offer (R1) when the plan qualifies and the retainer would cover it),
     unless the organization has a Premium Support retainer covering the clause
     (X1-X3, never S0): then the technical gates below with the retainer as
     eligibility, ending in ``accept`` with ``book_retainer``.
   - ``covered`` (S1, S2), and an incident report that matches no ongoing incident
     (treated as S2.3) -> the technical gates:
     a. E1: the project's organization (or, project unknown, one of the
        requester's) uses paid resources; else ``redirect_community`` (E1, C4, C5).
     b. E4: Developer-or-higher on the project -> ``accept`` (E1-E4, L1); too
        little access -> ``deny_role`` naming who can grant App Developer; project
        unknown -> ``need_project`` offering the projects the requester qualifies
        on in eligible organizations, or ``deny_role`` if there are none.
     E1 before E4: asking an admin for a role is pointless while the organization
     is not entitled anyway.

Severity (``severity.rule_severity``) is applied to every outcome; a scope's own severity
and queue only when the classifier is confident of it (``_Context.trusted``). An outcome
reached before the confidence step (channel, sender) or triage keeps the declared severity
(or the default) and goes to the triage queue: nobody's request is rated on a guess either.
Only a proven sender declares a severity (E3): an unverified or unknown sender's is a
claim, kept on the decision for agents (``claimed_severity``) and never applied, or a
forged "Urgent" in a customer's name would start their 1-hour clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from capdesk.policy.document import Policy, Scope
from capdesk.policy.loader import TRIAGE_QUEUE
from capdesk.policy.reply_keys import REASON_FRAGMENTS, ReplyKey
from capdesk.policy.retainer import included_minutes
from capdesk.policy.severity import rule_severity
from capdesk.policy.types import (
    Classification,
    Decision,
    Group,
    Identity,
    IncidentFacts,
    OrgFacts,
    Outcome,
    ProjectFacts,
    ProjectRef,
    RequesterFacts,
    RequestFacts,
    RetainerState,
    Severity,
    SlaTier,
)

_TECHNICAL_GATES = ("E1", "E2", "E3", "E4")
_COMMUNITY = ("C4", "C5")


def decide(
    request: RequestFacts,
    requester: RequesterFacts | None,
    project: ProjectFacts | None,
    incidents: Sequence[IncidentFacts],
    classification: Classification,
    policy: Policy,
) -> Decision:
    """The outcome, scope, severity, queue, reply and clauses for one request (see the module doc)."""
    ctx = _Context(request, requester, project, classification, policy)
    scope = ctx.trusted

    if scope is not None:
        incident = _matching_incident(scope, incidents)
        if incident is not None:
            return ctx.refer(incident)
    if request.channel not in policy.official_channels:
        return ctx.make(
            Outcome.REDIRECT_COMMUNITY,
            ReplyKey.REDIRECT_CHANNEL,
            ("E2", "C3"),
            f"E2, C3: {request.channel!r} is not an official channel "
            f"({', '.join(sorted(policy.official_channels))}).",
        )
    if requester is None or request.identity is Identity.UNKNOWN:
        return ctx.make(
            Outcome.DENY_UNREGISTERED,
            ReplyKey.DENY_UNREGISTERED,
            ("E3", "C2"),
            "E3: the sender is not a registered Capgo account address.",
        )
    if request.identity is Identity.UNVERIFIED:
        return ctx.make(
            Outcome.VERIFY_SENDER,
            ReplyKey.VERIFY_SENDER,
            ("E3",),
            "E3: the address is registered but the message is not authenticated; held until "
            "the owner confirms, nothing disclosed before.",
        )
    if scope is None:
        return ctx.triage()

    group = scope.group
    if group in _TURNED_AWAY and ctx.declares_outage():
        # The customer says production is down for all their users (Urgent, L1): turning
        # that away, or rating it Low, on the classifier's reading is a guess too costly to
        # make. A person reads it, on the Urgent clock.
        return ctx.triage(
            f"The customer declared a production outage (Urgent, production down) and the "
            f"classifier reads {scope.id} ({classification.confidence:.2f}), which would "
            f"{'turn it away' if group is Group.NOT_COVERED else 'rate it Low'}"
        )
    if group is Group.BILLING_ACCOUNT:
        return ctx.make(
            Outcome.ACCEPT_BILLING,
            ReplyKey.ACCEPT_BILLING,
            ("B1",),
            "B1: billing and account help for every registered customer, trial included; "
            "no plan or project role needed.",
        )
    if group is Group.PREMIUM:
        offer = ctx.premium_offer()
        return ctx.make(
            Outcome.PREMIUM_LEAD,
            ReplyKey.PREMIUM_LEAD_OFFER if offer else ReplyKey.PREMIUM_LEAD_REQUIRES,
            ("R1",),
            "R1: the organization qualifies for the Premium Support offer."
            if offer
            else "R1: Premium Support requires a paid Team or Enterprise subscription; told what it requires.",
            premium_offer=offer,
        )
    if group is Group.FEEDBACK:
        return ctx.make(
            Outcome.ACCEPT,
            ReplyKey.ACCEPT_FEATURE_REQUEST,
            ("C3",),
            "A feature request is product feedback, not support: no E1/E4 requirement; "
            "routed to the product queue with Low severity.",
        )
    if group is Group.NOT_COVERED:
        return ctx.not_covered(scope)
    if group is Group.INCIDENT:
        return ctx.technical(
            ("S2.3",),
            ("No ongoing incident matches this report: handled as troubleshooting (S2.3).",),
            eligible=ctx.is_paid,
            ineligible=lambda: ctx.redirect("E1", ("S2.3", "E1", *_COMMUNITY)),
        )
    return ctx.technical(
        scope.clauses,
        (),
        eligible=ctx.is_paid,
        ineligible=lambda: ctx.redirect("E1", (*scope.clauses, "E1", *_COMMUNITY)),
    )


def technical_help(
    requester: RequesterFacts, project: ProjectFacts | None, policy: Policy, *, channel: str
) -> Decision | None:
    """What ``decide`` makes of a technical question (S1, S2) about ``project`` (None: no
    project named) from this verified requester through ``channel``; None if the policy
    covers no technical scope.

    The portal says what a customer may get help with before they write: asking
    ``decide`` itself keeps that promise the policy's (E1 and E4 alike), never a
    second reading of it. No incidents: the page shows those on their own (M2).
    """
    scope = next((s for s in policy.scopes.values() if s.group is Group.COVERED), None)
    if scope is None:
        return None
    return decide(
        RequestFacts(channel=channel, identity=Identity.VERIFIED),
        requester,
        project,
        (),
        Classification(scope.id, 1.0, scope.group.value),
        policy,
    )


# Groups whose outcome rests on the classifier's reading of what is asked: out of scope
# (redirected to the community) and product feedback (Low). A declared outage goes to a person.
_TURNED_AWAY = frozenset({Group.NOT_COVERED, Group.FEEDBACK})


def _matching_incident(scope: Scope, incidents: Sequence[IncidentFacts]) -> IncidentFacts | None:
    """The most recent ongoing incident this request is about, if any (M2)."""
    touching = [i for i in incidents if i.areas & scope.areas]
    if not touching and scope.group is Group.INCIDENT:
        touching = list(incidents)
    if not touching:
        return None
    return max(touching, key=lambda i: (i.started_at, i.key))


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


class _Context:
    """One decision in the making: the inputs, and the helpers that turn them into a ``Decision``."""

    def __init__(
        self,
        request: RequestFacts,
        requester: RequesterFacts | None,
        project: ProjectFacts | None,
        classification: Classification,
        policy: Policy,
    ) -> None:
        self.request = request
        self.requester = requester
        self.project = project
        self.classification = classification
        self.policy = policy
        self.scope = policy.scopes.get(classification.scope)
        # The scope the desk acts on: the classifier's, when it is a scope of this policy and
        # at or above the threshold. Below it, its fixed severity (a feature request is Low)
        # and its queue would be a guess the decision itself calls too uncertain (triage).
        confident = classification.confidence >= policy.confidence_threshold
        self.trusted = self.scope if confident else None

    def make(
        self,
        outcome: Outcome,
        reply: ReplyKey,
        clauses: Iterable[str],
        *explanation: str,
        incident_wide: bool = False,
        reason: str = "",
        project: ProjectRef | None = None,
        projects: tuple[ProjectRef, ...] = (),
        grantors: tuple[str, ...] = (),
        incident: IncidentFacts | None = None,
        premium_offer: bool = False,
        sla: SlaTier = SlaTier.NONE,
        book_retainer: bool = False,
        retainer: RetainerState | None = None,
    ) -> Decision:
        """A decision with the severity rules applied and the queue chosen."""
        declared, claimed, said = self.declaration()
        # Triage rates nothing on the scope: a person reads it, at the severity declared.
        rated_on = None if outcome is Outcome.TRIAGE else self.trusted
        ruling = rule_severity(
            declared,
            scope=rated_on,
            production_impact=self.request.production_impact,
            incident_wide=incident_wide,
            default=self.policy.default_severity,
        )
        queue = TRIAGE_QUEUE if rated_on is None else rated_on.queue
        return Decision(
            outcome=outcome,
            scope=self.classification.scope,
            group=self.scope.group.value if self.scope else self.classification.group,
            confidence=self.classification.confidence,
            severity=ruling.severity,
            queue=queue,
            reply=reply.value,
            clauses=_unique((*clauses, *ruling.clauses)),
            explanation=(*explanation, *said, *ruling.explanation),
            declared_severity=declared,
            severity_downgraded=ruling.downgraded,
            claimed_severity=claimed,
            severity_from_text=self.request.severity_from_text,
            sla=sla,
            reason=reason,
            project=project,
            projects=projects,
            grantors=grantors,
            incident=incident,
            premium_offer=premium_offer,
            book_retainer=book_retainer,
            retainer=retainer,
        )

    def declaration(self) -> tuple[Severity | None, Severity | None, tuple[str, ...]]:
        """The severity declared by a proven sender, one only claimed (E3), and what agents read of it."""
        severity = self.request.declared_severity
        if severity is None:
            return None, None, ()
        if self.request.identity is not Identity.VERIFIED:
            return (
                None,
                severity,
                (f"Severity {severity} claimed, not taken: the sender is not proven (E3).",),
            )
        if self.request.severity_from_text:
            return (
                severity,
                None,
                (f"Severity {severity} declared by the customer in the email's subject or first lines.",),
            )
        return severity, None, ()

    def refer(self, incident: IncidentFacts) -> Decision:
        return self.make(
            Outcome.REFER_STATUS,
            ReplyKey.REFER_STATUS,
            ("M1", "M2"),
            f"M1, M2: matches the ongoing incident {incident.title!r} ({incident.key}); "
            "the status page carries it.",
            incident_wide=True,
            incident=incident,
        )

    def declares_outage(self) -> bool:
        """The proven requester declared Urgent with production down, as the portal's checkbox states."""
        request = self.request
        return request.declared_severity is Severity.URGENT and request.production_impact

    def triage(self, why: str = "") -> Decision:
        c = self.classification
        why = why or (
            f"The classifier's label {c.scope!r} is not a scope of this policy"
            if self.scope is None
            else f"Classifier confidence {c.confidence:.2f} for {c.scope} is below "
            f"the threshold {self.policy.confidence_threshold:.2f}"
        )
        project = self.project
        return self.make(
            Outcome.TRIAGE,
            ReplyKey.TRIAGE,
            (),
            f"{why}: a person decides; nobody is declined on a guess.",
            # Only so the reply does not ask for the app the request already named.
            project=_ref(project) if project is not None else None,
        )

    # -- entitlement facts -------------------------------------------------------------

    def orgs_in_question(self) -> tuple[OrgFacts, ...]:
        if self.project is not None:
            return (self.project.org,)
        return self.requester.orgs if self.requester else ()

    def is_paid(self, org: OrgFacts) -> bool:
        """E1 as the policy defines paid: subscription, purchased credits or a paid add-on."""
        paid = self.policy.paid
        return (
            org.subscription in paid.subscriptions
            or (paid.credits and org.has_credits)
            or bool(org.addons & paid.addons)
        )

    def has_retainer(self, org: OrgFacts) -> bool:
        return self.policy.premium.addon in org.addons

    def premium_offer(self) -> bool:
        """R1: an organization in question is on an offer plan, with a paid subscription."""
        rule = self.policy.premium
        return any(
            o.plan in rule.offer_plans and o.subscription in self.policy.paid.subscriptions
            for o in self.orgs_in_question()
        )

    def sla(self, org: OrgFacts) -> SlaTier:
        """L1 and CAPGO.md: Enterprise and Priority Plus contractual, Team as goals; trials get none."""
        rule = self.policy.sla
        if org.addons & rule.contractual_addons:
            return SlaTier.CONTRACTUAL
        if org.subscription not in self.policy.paid.subscriptions:
            return SlaTier.NONE
        if org.plan in rule.contractual_plans:
            return SlaTier.CONTRACTUAL
        if org.plan in rule.goal_plans:
            return SlaTier.GOALS
        return SlaTier.NONE

    # -- outcomes by group -------------------------------------------------------------

    def redirect(self, reason_clause: str, clauses: tuple[str, ...], *explanation: str) -> Decision:
        offer = reason_clause in self.policy.premium.covers and self.premium_offer()
        return self.make(
            Outcome.REDIRECT_COMMUNITY,
            ReplyKey.REDIRECT_COMMUNITY,
            (*clauses, "R1") if offer else clauses,
            *explanation,
            f"{reason_clause}: redirected to the community (C4) with the C5 checklist"
            + ("; the plan qualifies for Premium Support (R1)." if offer else "."),
            reason=REASON_FRAGMENTS[reason_clause].value,
            premium_offer=offer,
        )

    def not_covered(self, scope: Scope) -> Decision:
        clause = scope.clauses[0]  # the loader makes it one of REASON_FRAGMENTS
        covered_by_retainer = clause in self.policy.premium.covers
        with_retainer = [o for o in self.orgs_in_question() if self.has_retainer(o)]
        if not (covered_by_retainer and with_retainer):
            return self.redirect(clause, (clause, *_COMMUNITY), f"{clause}: outside the support scope.")
        return self.technical(
            (clause, "R1"),
            (f"{clause} is outside standard support, but a Premium Support retainer covers it (R1).",),
            eligible=self.has_retainer,
            ineligible=lambda: self.redirect(
                clause, (clause, *_COMMUNITY), f"{clause}: outside the support scope."
            ),
            retainer=True,
        )

    def technical(
        self,
        base: tuple[str, ...],
        explanation: tuple[str, ...],
        *,
        eligible: Callable[[OrgFacts], bool],
        ineligible: Callable[[], Decision],
        retainer: bool = False,
    ) -> Decision:
        """E1 then E4 (E2 and E3 already hold), for a project known or not."""
        requester = self.requester
        assert requester is not None  # the sender gate ran first
        project = self.project
        if project is not None:
            if not eligible(project.org):
                return ineligible()
            ref = _ref(project)
            if not project.requester_qualifies:
                return self.make(
                    Outcome.DENY_ROLE,
                    ReplyKey.DENY_ROLE,
                    (*base, "E4"),
                    *explanation,
                    f"E4: no Developer-or-higher role on {project.app_id}; "
                    f"{len(project.grantors)} people can grant App Developer.",
                    project=ref,
                    grantors=project.grantors,
                )
            return self.accept(base, explanation, ref, project.org, retainer=retainer)
        orgs = [o for o in requester.orgs if eligible(o)]
        if not orgs:
            return ineligible()
        keys = {o.key for o in orgs}
        offered = tuple(p for p in requester.qualifying_projects if p.org_key in keys)
        if offered:
            return self.make(
                Outcome.NEED_PROJECT,
                ReplyKey.NEED_PROJECT,
                (*base, "E4"),
                *explanation,
                f"E4: the project is unknown; offered the {len(offered)} projects the requester qualifies on.",
                projects=offered,
            )
        return self.make(
            Outcome.DENY_ROLE,
            ReplyKey.DENY_ROLE,
            (*base, "E4"),
            *explanation,
            "E4: the project is unknown and the requester is Developer-or-higher on none of "
            "their entitled organizations' projects.",
            grantors=_unique(g for o in orgs for g in o.grantors),
        )

    def accept(
        self,
        base: tuple[str, ...],
        explanation: tuple[str, ...],
        ref: ProjectRef,
        org: OrgFacts,
        *,
        retainer: bool,
    ) -> Decision:
        tier = self.sla(org)
        state = None
        if retainer:
            state = RetainerState(
                included_minutes=included_minutes(self.policy.premium, org.retainer_minutes),
                used_minutes=org.retainer_minutes_used,
            )
        return self.make(
            Outcome.ACCEPT,
            ReplyKey.ACCEPT_PREMIUM if retainer else ReplyKey.ACCEPT,
            (*base, *_TECHNICAL_GATES, "L1"),
            *explanation,
            f"E1: {org.name} is entitled"
            + (" (Premium Support retainer)." if retainer else " (uses paid resources)."),
            f"E2: official channel ({self.request.channel}); E3: sender verified; "
            f"E4: Developer-or-higher on {ref.app_id}.",
            f"L1: SLA {tier.value} for the {org.plan} plan.",
            project=ref,
            sla=tier,
            book_retainer=retainer,
            retainer=state,
        )


def _ref(project: ProjectFacts) -> ProjectRef:
    return ProjectRef(project.app_id, project.name, project.org.key, project.org.name)
