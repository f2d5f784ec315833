"""The status page over the API: incidents read by any token (they are public), run by status_admin tokens.

Each change goes through ``status.actions`` (the same as the admin screens), so the
page, its feeds and its subscribers hear of it exactly as they would otherwise.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from capdesk.api.auth import caller, owner_user, require
from capdesk.api.errors import ApiError, not_found
from capdesk.api.idempotency import run_once
from capdesk.api.models import Scope
from capdesk.api.pagination import MAX_LIMIT, paginate
from capdesk.api.tickets import BODY_ERRORS, ERRORS
from capdesk.core.translations import language_name
from capdesk.status import actions, incident_templates
from capdesk.status.models import UNRESOLVED_INCIDENT, Incident, IncidentTemplate

router = Router(tags=["status"])

ImpactName = Literal["none", "minor", "major", "critical"]
IMPACTS = ("none", "minor", "major", "critical")
IncidentStatusName = Literal["investigating", "identified", "monitoring", "resolved"]


TRANSLATIONS_HELP = (
    'Text in the page\'s other languages, {language: {field: text}}, e.g. {"id": {"body": "..."}}; '
    "readers in that language see it, everyone else the original."
)
Translations = dict[str, dict[str, str]]


class UpdateOut(Schema):
    status: str
    body: str
    created_at: str
    translations: Translations = Field(default_factory=dict, description=TRANSLATIONS_HELP)


class IncidentOut(Schema):
    public_id: str
    kind: str
    name: str
    status: str
    impact: str
    created_at: str
    updated_at: str
    resolved_at: str | None
    translations: Translations = Field(default_factory=dict, description=TRANSLATIONS_HELP)
    updates: list[UpdateOut]


class IncidentPage(Schema):
    items: list[IncidentOut]
    next_cursor: str | None


OpenStatusName = Literal["investigating", "identified", "monitoring"]
TEMPLATE_HELP = (
    "Slug of an incident template, or a list of slugs, at most one per language. Each fills the "
    "text left out in its own language: an English template name and body, an Indonesian one "
    "translations.id. The first also fills status, impact and components left out."
)
Slug = Annotated[str, Field(max_length=80)]
Templates = Slug | Annotated[list[Slug], Field(min_length=1, max_length=len(settings.LANGUAGES))] | None


class IncidentIn(Schema):
    name: str = Field(default="", max_length=255, description="Required unless the template has a title")
    body: str = Field(default="", max_length=20_000, description="Required unless a template is given")
    impact: ImpactName | None = Field(default=None, description="Default: the template's, else minor")
    status: OpenStatusName | None = Field(
        default=None, description="Default: the template's, else investigating"
    )
    template: Templates = Field(default=None, description=TEMPLATE_HELP)
    translations: Translations = Field(
        default_factory=dict, description=TRANSLATIONS_HELP + " Fields: name, body."
    )


class UpdateIn(Schema):
    status: IncidentStatusName | None = Field(default=None, description="Required unless a template is given")
    body: str = Field(default="", max_length=20_000, description="Required unless a template is given")
    impact: ImpactName | None = None
    template: Templates = Field(default=None, description=TEMPLATE_HELP)
    translations: Translations = Field(default_factory=dict, description=TRANSLATIONS_HELP + " Field: body.")


class ResolveIn(Schema):
    body: str = Field(default="", max_length=20_000)
    translations: Translations = Field(default_factory=dict, description=TRANSLATIONS_HELP + " Field: body.")


class IncidentQuery(Schema):
    unresolved: bool = False
    cursor: str | None = None
    limit: int = 50


def incident_out(incident: Incident) -> dict[str, Any]:
    return {
        "public_id": incident.public_id,
        "kind": incident.kind,
        "name": incident.name,
        "status": incident.status,
        "impact": incident.impact,
        "created_at": incident.created_at.isoformat(),
        "updated_at": incident.updated_at.isoformat(),
        "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else None,
        "translations": incident.translations,
        "updates": [
            {
                "status": u.status,
                "body": u.body,
                "created_at": u.created_at.isoformat(),
                "translations": u.translations,
            }
            for u in incident.updates.order_by("created_at", "pk")
        ],
    }


def _filled(
    slugs: str | list[str] | None, incident: Incident | None = None
) -> list[incident_templates.Filled]:
    """The templates named, filled in for the incident, in the order given."""
    wanted = [slugs] if isinstance(slugs, str) else list(slugs or [])
    found = {t.slug: t for t in IncidentTemplate.objects.filter(slug__in=wanted)}
    for slug in wanted:
        if slug not in found:
            raise ApiError(422, "validation_error", f"No incident template {slug!r}.")
    languages = [found[slug].language for slug in wanted]
    if len(set(languages)) < len(languages):
        raise ApiError(422, "validation_error", "Name at most one template per language.")
    return [incident_templates.render(found[slug], incident=incident) for slug in wanted]


def _original(filled: list[incident_templates.Filled]) -> incident_templates.Filled | None:
    """The template in the page's default language, whose text fills name and body."""
    return next((f for f in filled if f.language == settings.LANGUAGE_CODE), None)


def _with_templates(
    given: Translations, filled: list[incident_templates.Filled], fields: dict[str, str]
) -> Translations:
    """``given`` with each other language's template text where the caller gave none.

    ``fields`` maps a translated field to the Filled attribute that fills it (name: title).
    As in the admin's forms, a template in another language fills that language's text only.
    """
    result = {language: dict(texts) for language, texts in given.items()}
    for one in filled:
        if one.language == settings.LANGUAGE_CODE:
            continue
        texts = result.setdefault(one.language, {})
        for field, attribute in fields.items():
            text = getattr(one, attribute)
            if text and not texts.get(field):
                texts[field] = text
        if not texts:
            del result[one.language]
    return result


def _template_components(filled: list[incident_templates.Filled]) -> actions.ComponentChanges | None:
    first = filled[0] if filled else None
    if first is None or not first.component_status:
        return None
    return {c: first.component_status for c in first.components}


def _required(**values: str) -> None:
    missing = [name for name, value in values.items() if not value.strip()]
    if missing:
        raise ApiError(
            422,
            "validation_error",
            f"{', '.join(missing)} required (or a template in {language_name(settings.LANGUAGE_CODE)} "
            "that gives it; one in another language fills only that language's text).",
        )


def _incident(public_id: str) -> Incident:
    incident = Incident.objects.filter(public_id=public_id, kind=Incident.Kind.INCIDENT).first()
    if incident is None:
        raise not_found(f"No incident {public_id}.")
    return incident


@router.get("/incidents", response={200: IncidentPage, **ERRORS}, summary="Incidents, newest first")
def list_incidents(request: HttpRequest, query: Query[IncidentQuery]) -> dict[str, object]:
    caller(request)  # public data, but still a counted, authenticated call
    if not 1 <= query.limit <= MAX_LIMIT:
        raise ApiError(422, "validation_error", f"limit must be between 1 and {MAX_LIMIT}.")
    rows = Incident.objects.filter(kind=Incident.Kind.INCIDENT).prefetch_related("updates")
    if query.unresolved:
        rows = rows.filter(status__in=UNRESOLVED_INCIDENT)
    return paginate(rows, cursor=query.cursor, limit=query.limit, serialize=incident_out, descending=True)


@router.post(
    "/incidents",
    response={201: IncidentOut, **BODY_ERRORS},
    summary="Open an incident (status_admin; Idempotency-Key accepted)",
)
def open_incident(request: HttpRequest, response: HttpResponse, data: IncidentIn) -> Status[dict[str, Any]]:
    token = require(request, Scope.STATUS_ADMIN)
    filled = _filled(data.template)
    first, original = (filled[0] if filled else None), _original(filled)
    name = data.name or (original.title if original else "")
    body = data.body or (original.body if original else "")
    _required(name=name, body=body)
    status = data.status or (
        first.status if first and first.status in UNRESOLVED_INCIDENT else "investigating"
    )
    impact = data.impact or (first.impact if first and first.impact in IMPACTS else "minor")
    translations = _with_templates(data.translations, filled, {"name": "title", "body": "body"})

    def open_it() -> tuple[int, dict[str, Any]]:
        try:
            incident = actions.open_incident(
                name=name,
                body=body,
                impact=impact,
                status=status,
                components=_template_components(filled),
                user=owner_user(token),
                translations=translations,
            )
        except actions.StatusError as exc:
            raise ApiError(422, "validation_error", str(exc)) from None
        return 201, incident_out(incident)

    return Status(*run_once(request, response, token, open_it))


@router.post(
    "/incidents/{public_id}/updates",
    response={201: IncidentOut, **BODY_ERRORS},
    summary="Post an update, moving the incident's status (status_admin; Idempotency-Key accepted)",
)
def post_update(
    request: HttpRequest, response: HttpResponse, public_id: str, data: UpdateIn
) -> Status[dict[str, Any]]:
    token = require(request, Scope.STATUS_ADMIN)
    incident = _incident(public_id)
    filled = _filled(data.template, incident)
    first, original = (filled[0] if filled else None), _original(filled)
    status = data.status or (first.status if first else "")
    body = data.body or (original.body if original else "")
    _required(status=status, body=body)
    translations = _with_templates(data.translations, filled, {"body": "body"})

    def post_it() -> tuple[int, dict[str, Any]]:
        try:
            actions.post_incident_update(
                incident,
                status=status,
                body=body,
                impact=data.impact,
                components=_template_components(filled),
                user=owner_user(token),
                translations=translations,
            )
        except actions.StatusError as exc:
            raise ApiError(422, "validation_error", str(exc)) from None
        return 201, incident_out(_incident(public_id))

    return Status(*run_once(request, response, token, post_it))


@router.post(
    "/incidents/{public_id}/resolve",
    response={200: IncidentOut, **BODY_ERRORS},
    summary="Resolve an incident; its components go back to operational (status_admin)",
)
def resolve(request: HttpRequest, public_id: str, data: ResolveIn) -> dict[str, Any]:
    token = require(request, Scope.STATUS_ADMIN)
    incident = _incident(public_id)
    if incident.status != "resolved":
        try:
            actions.resolve_incident(
                incident, body=data.body, user=owner_user(token), translations=data.translations
            )
        except actions.StatusError as exc:
            raise ApiError(422, "validation_error", str(exc)) from None
    return incident_out(_incident(public_id))
