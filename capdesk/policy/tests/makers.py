"""Plain facts for decide() tests: a paid Team organization and its developer unless told otherwise."""

from __future__ import annotations

from datetime import UTC, datetime

from capdesk.policy.types import (
    Classification,
    Identity,
    IncidentFacts,
    OrgFacts,
    ProjectFacts,
    ProjectRef,
    RequesterFacts,
    RequestFacts,
    Severity,
)

SHOP = "com.acme.shop"


def org(
    plan: str = "team",
    subscription: str = "active",
    *,
    key: str = "org-acme",
    name: str = "Acme Apps",
    credits: bool = False,
    addons: frozenset[str] = frozenset(),
    grantors: tuple[str, ...] = ("Ana Admin",),
    minutes_used: int = 0,
) -> OrgFacts:
    return OrgFacts(
        key=key,
        name=name,
        plan=plan,
        subscription=subscription,
        has_credits=credits,
        addons=addons,
        grantors=grantors,
        retainer_minutes_used=minutes_used,
    )


def ref(app_id: str = SHOP, of: OrgFacts | None = None) -> ProjectRef:
    o = of or org()
    return ProjectRef(app_id=app_id, name=app_id.rsplit(".", 1)[-1].title(), org_key=o.key, org_name=o.name)


def requester(
    *orgs: OrgFacts, qualifying: tuple[ProjectRef, ...] | None = None, language: str | None = "en"
) -> RequesterFacts:
    the_orgs = orgs or (org(),)
    return RequesterFacts(
        name="Dewi Developer",
        language=language,
        orgs=the_orgs,
        qualifying_projects=(ref(of=the_orgs[0]),) if qualifying is None else qualifying,
    )


def project(
    of: OrgFacts | None = None, *, qualifies: bool = True, grantors: tuple[str, ...] = ("Ana Admin",)
) -> ProjectFacts:
    return ProjectFacts(
        app_id=SHOP, name="Acme Shop", org=of or org(), requester_qualifies=qualifies, grantors=grantors
    )


def request(
    channel: str = "portal",
    identity: Identity = Identity.VERIFIED,
    severity: Severity | None = None,
    *,
    production_impact: bool = False,
    from_text: bool = False,
) -> RequestFacts:
    return RequestFacts(
        channel=channel,
        identity=identity,
        declared_severity=severity,
        production_impact=production_impact,
        severity_from_text=from_text,
    )


GROUP_OF = {
    "setup.live_updates": "covered",
    "fix.how_to": "covered",
    "fix.live_updates": "covered",
    "billing": "billing_account",
    "account": "billing_account",
    "out.app_code": "not_covered",
    "out.rewrite": "not_covered",
    "out.third_party": "not_covered",
    "out.self_hosted": "not_covered",
    "incident": "incident",
    "premium": "premium",
    "feature_request": "feedback",
}


def classified(scope: str, confidence: float = 0.95) -> Classification:
    return Classification(scope=scope, confidence=confidence, group=GROUP_OF.get(scope, "covered"))


def incident(
    key: str = "inc-1", areas: frozenset[str] = frozenset({"live_updates"}), hour: int = 9
) -> IncidentFacts:
    return IncidentFacts(
        key=key,
        title="Update service degraded",
        url=f"https://status.capgo.app/incidents/{key}",
        started_at=datetime(2026, 11, 27, hour, 0, tzinfo=UTC),
        areas=areas,
    )
