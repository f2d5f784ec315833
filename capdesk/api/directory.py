"""The directory over the API: read by staff, the platform and (their own rows) customers; written by the platform.

Writes are upserts keyed by Capgo's ids and end in the same ``directory.actions`` as
Capgo's webhooks and ``directory pull``, with the same field parsers, so a value is
refused the same way whichever way it came.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Schema

from capdesk.api import schemas as s
from capdesk.api.auth import caller, is_staff_token, require
from capdesk.api.errors import ApiError, forbidden, not_found
from capdesk.api.models import ApiToken, Scope
from capdesk.api.pagination import MAX_LIMIT, paginate
from capdesk.api.tickets import BODY_ERRORS, ERRORS
from capdesk.core import audit
from capdesk.core.models import ActorKind
from capdesk.directory import actions
from capdesk.directory.models import Organization, Person, Project, RoleBinding
from capdesk.directory.queries import organizations_for, projects_for
from capdesk.directory.sync import fields as f
from capdesk.directory.sync import records as r
from capdesk.directory.sync.summary import Summary

router = Router(tags=["directory"])


class Page(Schema):
    cursor: str | None = None
    limit: int = 50


class BindingFilter(Page):
    person: uuid.UUID | None = None
    organization: uuid.UUID | None = None


def _everything(token: ApiToken) -> bool:
    """Staff tokens and the platform (the directory's source) read the whole directory."""
    if token.scope == Scope.STATUS_ADMIN:
        raise forbidden("A status_admin token reads no directory.")
    return token.scope == Scope.PLATFORM or is_staff_token(token)


def _page(rows: QuerySet[Any], page: Page, serialize: Callable[[Any], dict[str, Any]]) -> dict[str, object]:
    if not 1 <= page.limit <= MAX_LIMIT:
        raise ApiError(422, "validation_error", f"limit must be between 1 and {MAX_LIMIT}.")
    return paginate(rows, cursor=page.cursor, limit=page.limit, serialize=serialize)


def _one(rows: QuerySet[Any], what: str, **lookup: object) -> Any:
    row = rows.filter(**lookup).first()
    if row is None:
        raise not_found(f"No {what} that this token can see.")
    return row


def _audit(request: HttpRequest, summary: Summary, target_type: str, target_id: object) -> None:
    """An upsert that changed something is audited; the same body sent again adds no entry."""
    if not summary.changed:
        return
    token = caller(request)
    audit.record_directory(
        audit.Action.DIRECTORY_API,
        summary,
        actor_kind=ActorKind.TOKEN,
        user=token.user,
        label=f"{token.name} ({token.prefix}…)",
        request=request,
        details={"target": f"{target_type}:{target_id}", "operation": f"{request.method} {request.path}"},
    )


# Organizations -------------------------------------------------------------------------


def org_out(org: Organization) -> dict[str, Any]:
    return {
        "capgo_id": str(org.capgo_id),
        "name": org.name,
        "plan": org.plan,
        "subscription_status": org.subscription_status,
        "trial_ends_at": org.trial_ends_at.isoformat() if org.trial_ends_at else None,
        "timezone": org.timezone,
        "credits_balance": str(org.credits_balance),
        "premium_support": org.premium_support,
        "premium_hours_per_month": str(org.premium_hours_per_month),
        "priority_plus": org.priority_plus,
        "updated_at": org.updated_at.isoformat(),
    }


def _organizations(token: ApiToken) -> QuerySet[Organization]:
    if _everything(token):
        return Organization.objects.all()
    if token.person is not None:
        return organizations_for(token.person)
    return Organization.objects.none()


@router.get("/organizations", response={200: s.OrganizationPage, **ERRORS})
def list_organizations(request: HttpRequest, page: Query[Page]) -> dict[str, object]:
    return _page(_organizations(caller(request)), page, org_out)


@router.get("/organizations/{capgo_id}", response={200: s.OrganizationOut, **ERRORS})
def get_organization(request: HttpRequest, capgo_id: uuid.UUID) -> dict[str, Any]:
    return org_out(_one(_organizations(caller(request)), "organization", capgo_id=capgo_id))


_ORG_PARSERS: dict[str, Callable[[object], object]] = {
    "name": lambda v: f.required("name", v),
    "plan": f.plan,
    "subscription_status": lambda v: f.subscription_status(v, aliases=True),
    "trial_ends_at": lambda v: f.timestamp("trial_ends_at", v),
    "timezone": f.timezone_name,
    "credits_balance": lambda v: f.money("credits_balance", v),
    "premium_support": lambda v: f.boolean("premium_support", v),
    "premium_hours_per_month": lambda v: f.money("premium_hours_per_month", v, max_digits=6),
    "priority_plus": lambda v: f.boolean("priority_plus", v),
}


def _parse(given: dict[str, object], parsers: dict[str, Callable[[object], object]]) -> dict[str, object]:
    """Every given field parsed; all the refusals at once, as the 422's details."""
    values: dict[str, object] = {}
    problems = []
    for name, raw in given.items():
        try:
            values[name] = parsers[name](raw)
        except f.FieldError as exc:
            problems.append({"loc": ["body", name], "message": str(exc), "type": "value_error"})
    if problems:
        raise ApiError(422, "validation_error", "Some fields cannot be stored; see details.", problems)
    return values


@router.put("/organizations/{capgo_id}", response={200: s.OrganizationOut, **BODY_ERRORS})
def put_organization(request: HttpRequest, capgo_id: uuid.UUID, data: s.OrganizationIn) -> dict[str, Any]:
    """Create or update (platform tokens). Upserting the same body again changes nothing."""
    require(request, Scope.PLATFORM)
    values = _parse(data.dict(exclude_unset=True), _ORG_PARSERS)
    summary = Summary()
    with transaction.atomic():
        org = actions.upsert_organization(r.OrganizationRecord(capgo_id, values), summary)
        _audit(request, summary, "organization", capgo_id)
    org.refresh_from_db()
    return org_out(org)


# People --------------------------------------------------------------------------------


def person_out(person: Person) -> dict[str, Any]:
    return {
        "capgo_id": str(person.capgo_id),
        "name": person.name,
        "language": person.language,
        "emails": [e.email for e in person.emails.all()],
        "updated_at": person.updated_at.isoformat(),
    }


def _people(token: ApiToken) -> QuerySet[Person]:
    if _everything(token):
        return Person.objects.prefetch_related("emails")
    if token.person is not None:
        # A customer sees their own account only: colleagues' addresses are not theirs to list.
        return Person.objects.filter(pk=token.person.pk).prefetch_related("emails")
    return Person.objects.none()


@router.get("/people", response={200: s.PersonPage, **ERRORS})
def list_people(request: HttpRequest, page: Query[Page]) -> dict[str, object]:
    return _page(_people(caller(request)), page, person_out)


@router.get("/people/{capgo_id}", response={200: s.PersonOut, **ERRORS})
def get_person(request: HttpRequest, capgo_id: uuid.UUID) -> dict[str, Any]:
    return person_out(_one(_people(caller(request)), "person", capgo_id=capgo_id))


def _emails(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise f.FieldError("emails must be a list of addresses")
    return tuple(dict.fromkeys(f.email(item) for item in value))


@router.put("/people/{capgo_id}", response={200: s.PersonOut, **BODY_ERRORS})
def put_person(request: HttpRequest, capgo_id: uuid.UUID, data: s.PersonIn) -> dict[str, Any]:
    """Create or update a Capgo account (platform tokens); given emails replace the registered set."""
    require(request, Scope.PLATFORM)
    given = data.dict(exclude_unset=True)
    parsed = _parse(
        given,
        {"name": lambda v: f.bounded("name", v), "language": f.language, "emails": _emails},
    )
    emails = parsed.pop("emails", None)
    assert emails is None or isinstance(emails, tuple)
    summary = Summary()
    with transaction.atomic():
        person = actions.upsert_person(r.PersonRecord(capgo_id, parsed, emails), summary)
        _audit(request, summary, "person", capgo_id)
    person.refresh_from_db()
    return person_out(person)


# Projects ------------------------------------------------------------------------------


def project_out(project: Project) -> dict[str, Any]:
    return {
        "app_id": project.app_id,
        "name": project.name,
        "organization": str(project.organization.capgo_id),
    }


def _projects(token: ApiToken) -> QuerySet[Project]:
    if _everything(token):
        return Project.objects.select_related("organization")
    if token.person is not None:
        return projects_for(token.person)
    return Project.objects.none()


@router.get("/projects", response={200: s.ProjectPage, **ERRORS})
def list_projects(request: HttpRequest, page: Query[Page]) -> dict[str, object]:
    return _page(_projects(caller(request)), page, project_out)


@router.get("/projects/{app_id}", response={200: s.ProjectOut, **ERRORS})
def get_project(request: HttpRequest, app_id: str) -> dict[str, Any]:
    return project_out(_one(_projects(caller(request)), "project", app_id=app_id))


@router.put("/projects/{app_id}", response={200: s.ProjectOut, **BODY_ERRORS})
def put_project(request: HttpRequest, app_id: str, data: s.ProjectIn) -> dict[str, Any]:
    """Create or update an app (platform tokens); moving it to another organization drops its old bindings."""
    require(request, Scope.PLATFORM)
    values = _parse(
        data.dict(exclude_unset=True, exclude={"organization"}), {"name": lambda v: f.bounded("name", v)}
    )
    try:
        app_id = f.required("app_id", app_id, max_length=255)
    except f.FieldError as exc:
        raise ApiError(422, "validation_error", str(exc)) from None
    summary = Summary()
    with transaction.atomic():
        project = actions.upsert_project(r.ProjectRecord(app_id, data.organization, values), summary)
        _audit(request, summary, "project", app_id)
    return project_out(Project.objects.select_related("organization").get(pk=project.pk))


# Role bindings -------------------------------------------------------------------------


def binding_out(binding: RoleBinding) -> dict[str, Any]:
    return {
        "person": str(binding.person.capgo_id),
        "organization": str(binding.organization.capgo_id),
        "project": binding.project.app_id if binding.project else None,
        "role": binding.role,
    }


def _bindings(token: ApiToken) -> QuerySet[RoleBinding]:
    rows = RoleBinding.objects.select_related("person", "organization", "project")
    if _everything(token):
        return rows
    if token.person is not None:
        return rows.filter(person=token.person)
    return rows.none()


@router.get("/bindings", response={200: s.BindingPage, **ERRORS})
def list_bindings(request: HttpRequest, query: Query[BindingFilter]) -> dict[str, object]:
    rows = _bindings(caller(request))
    if query.person:
        rows = rows.filter(person__capgo_id=query.person)
    if query.organization:
        rows = rows.filter(organization__capgo_id=query.organization)
    return _page(rows, query, binding_out)


@router.put("/bindings", response={200: s.BindingOut, 422: s.Error, **BODY_ERRORS})
def put_binding(request: HttpRequest, data: s.BindingIn) -> dict[str, Any]:
    """Bind a role on an organization or one of its apps (platform tokens); one binding per scope."""
    require(request, Scope.PLATFORM)
    try:
        role = f.known_role(data.role)
    except f.FieldError as exc:
        raise ApiError(
            422, "validation_error", str(exc), [{"loc": ["body", "role"], "message": str(exc)}]
        ) from None
    summary = Summary()
    with transaction.atomic():
        binding = actions.upsert_binding(
            r.BindingRecord(data.person, data.organization, data.project or None, role), summary
        )
        _audit(request, summary, "person", data.person)
    if binding is None:
        raise ApiError(422, "validation_error", "; ".join(summary.warnings))
    return binding_out(
        RoleBinding.objects.select_related("person", "organization", "project").get(pk=binding.pk)
    )


class BindingKey(Schema):
    person: uuid.UUID
    organization: uuid.UUID
    project: str | None = None


@router.delete("/bindings", response={200: s.SyncResult, **ERRORS})
def delete_binding(request: HttpRequest, key: Query[BindingKey]) -> dict[str, object]:
    """Remove a binding (platform tokens); removing one that is not there changes nothing."""
    require(request, Scope.PLATFORM)
    summary = Summary()
    with transaction.atomic():
        actions.delete_binding(key.person, key.organization, key.project or None, summary)
        _audit(request, summary, "person", key.person)
    return {"changes": summary.counts, "warnings": summary.warnings}
