"""Every change to the status page, one function each: rows, history and subscriber events together.

Each action runs in one transaction, records the component history the uptime bars are
drawn from, bumps the page version (rendered documents are cached until it moves) and
writes the event subscribers are told about, so none of it can happen without the rest.
``at`` lets an admin backfill what happened before it was recorded; it defaults to now.
``translations`` (``{language: {field: text}}``, see core.translations) carries what
staff wrote in the page's other languages beside the English original.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from django.contrib.auth.models import User as AuthUser
from django.db import transaction
from django.db.models import F, Max
from django.db.models.functions import Lower
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from capdesk.core.translations import TranslationError, Translations, checked, merged, only, other_languages
from capdesk.status import config, notifications, signals, tasks
from capdesk.status.models import (
    UNRESOLVED_INCIDENT,
    Component,
    ComponentGroup,
    ComponentStatus,
    ComponentStatusChange,
    Impact,
    Incident,
    IncidentStatus,
    IncidentUpdate,
    MaintenanceStatus,
    PageState,
)

ComponentChanges = Mapping[Component, str]

# Statuspage's stock texts; stored in English, with their .po translations beside them.
DEFAULT_RESOLVED_BODY = gettext_noop("This incident has been resolved.")
DEFAULT_MAINTENANCE_BODIES = {
    MaintenanceStatus.SCHEDULED: gettext_noop(
        "We will be undergoing scheduled maintenance during this time."
    ),
    MaintenanceStatus.IN_PROGRESS: gettext_noop(
        "Scheduled maintenance is currently in progress. We will provide updates as necessary."
    ),
    MaintenanceStatus.VERIFYING: gettext_noop(
        "Verification is currently underway for the maintenance items."
    ),
    MaintenanceStatus.COMPLETED: gettext_noop("The scheduled maintenance has been completed."),
}

# Said when staff move a window without writing why; times as the page shows them.
MAINTENANCE_MOVED_BODY = gettext_noop("The maintenance window has moved: %(start)s to %(end)s.")

_STOCK_BODIES = frozenset({DEFAULT_RESOLVED_BODY, *DEFAULT_MAINTENANCE_BODIES.values()})
# What readers see of a component or group, and so what may be given in other languages.
COMPONENT_TEXTS = ("name", "description")


class StatusError(ValueError):
    """A change the status page refuses: a clashing name, a status from the wrong lifecycle ..."""


User = AuthUser | None


def _now(at: datetime | None) -> datetime:
    return at or timezone.now()


def _checked(raw: Translations | None, fields: tuple[str, ...]) -> dict[str, dict[str, str]]:
    try:
        return checked(raw, fields)
    except TranslationError as exc:
        raise StatusError(str(exc)) from None


def stock_translations(
    text: str, field: str, values: Callable[[str], Mapping[str, str]] | None = None
) -> dict[str, dict[str, str]]:
    """A stock English ``text``'s .po translation in each other language, as ``translations`` of ``field``.

    ``values(language)`` fills its ``%(name)s`` placeholders for a reader in that language
    (a component by its name there). A language the .po does not translate it into is
    left out: its readers get the English.
    """
    translated = {}
    for language in other_languages():
        with translation.override(language):
            words = translation.gettext(text)
        if words != text:
            translated[language] = {field: words % values(language) if values else words}
    return translated


def _body_texts(raw: Translations | None, *, stock: str | None = None) -> dict[str, dict[str, str]]:
    """An update's body in other languages; with a stock English body, the stock text's translation too.

    So an update nobody typed (a maintenance window opening at 3 am, a one-click resolve)
    still reads in the reader's language, unless staff wrote their own translation.
    """
    # A new update has no translation to remove: an empty text is simply not given.
    given = merged({}, only(_checked(raw, ("body",)), {"body": "body"}))
    if stock is None:
        return given
    return merged(stock_translations(stock, "body"), given)


def touch_page(at: datetime | None = None) -> None:
    """Move the page version so every cached document is rendered again."""
    moment = _now(at)
    if not PageState.objects.filter(pk=1).update(version=F("version") + 1, updated_at=moment):
        PageState.objects.get_or_create(pk=1, defaults={"version": 1, "updated_at": moment})
    tasks.publish_on_commit()  # the published snapshot follows every version (capdesk/status/publish.py)


def check_name_free(name: str, *, exclude: Component | ComponentGroup | None = None) -> None:
    # Groups are listed as components in the v2 JSON, so the two share one namespace.
    lowered = name.strip().lower()
    components = Component.objects.annotate(lname=Lower("name")).filter(lname=lowered)
    groups = ComponentGroup.objects.annotate(lname=Lower("name")).filter(lname=lowered)
    if isinstance(exclude, Component):
        components = components.exclude(pk=exclude.pk)
    if isinstance(exclude, ComponentGroup):
        groups = groups.exclude(pk=exclude.pk)
    if components.exists() or groups.exists():
        raise StatusError(f"a component or group is already named {name.strip()!r}")


def _next_position() -> int:
    top = max(
        Component.objects.aggregate(m=Max("position"))["m"] or 0,
        ComponentGroup.objects.aggregate(m=Max("position"))["m"] or 0,
    )
    return top + 1


@transaction.atomic
def create_group(
    *,
    name: str,
    description: str = "",
    position: int | None = None,
    translations: Translations | None = None,
) -> ComponentGroup:
    """A new heading on the page; ``translations`` may give its name and description in other languages."""
    check_name_free(name)
    texts = _checked(translations, COMPONENT_TEXTS)
    group = ComponentGroup.objects.create(
        name=name.strip(),
        description=description,
        position=_next_position() if position is None else position,
        translations=merged({}, texts),
    )
    touch_page()
    return group


@transaction.atomic
def edit_group(
    group: ComponentGroup,
    *,
    name: str,
    description: str,
    position: int,
    translations: Translations | None = None,
) -> ComponentGroup:
    """Rename or move a group; an empty translation removes it, one not given stays."""
    check_name_free(name, exclude=group)
    texts = _checked(translations, COMPONENT_TEXTS)
    locked = ComponentGroup.objects.select_for_update().get(pk=group.pk)
    ComponentGroup.objects.filter(pk=group.pk).update(
        name=name.strip(),
        description=description,
        position=position,
        updated_at=timezone.now(),
        translations=merged(locked.translations, texts),
    )
    touch_page()
    group.refresh_from_db()
    return group


@transaction.atomic
def delete_component(component: Component) -> None:
    """Remove a component and its history from the page (its past incidents stay)."""
    Component.objects.filter(pk=component.pk).delete()
    touch_page()


@transaction.atomic
def create_component(
    *,
    name: str,
    description: str = "",
    group: ComponentGroup | None = None,
    position: int | None = None,
    showcase: bool = True,
    only_show_if_degraded: bool = False,
    at: datetime | None = None,
    translations: Translations | None = None,
) -> Component:
    """A new component; ``translations`` may give its name and description in other languages."""
    check_name_free(name)
    texts = _checked(translations, COMPONENT_TEXTS)
    moment = _now(at)
    component = Component.objects.create(
        name=name.strip(),
        description=description,
        group=group,
        position=_next_position() if position is None else position,
        showcase=showcase,
        only_show_if_degraded=only_show_if_degraded,
        created_at=moment,
        updated_at=moment,
        translations=merged({}, texts),
    )
    touch_page(moment)
    return component


@transaction.atomic
def edit_component(
    component: Component,
    *,
    name: str,
    description: str,
    group: ComponentGroup | None,
    position: int,
    showcase: bool,
    only_show_if_degraded: bool,
    translations: Translations | None = None,
) -> Component:
    """Change what a component is called and where it sits; its status has its own action.

    An empty translation removes it; one not given stays.
    """
    check_name_free(name, exclude=component)
    texts = _checked(translations, COMPONENT_TEXTS)
    locked = Component.objects.select_for_update().get(pk=component.pk)
    Component.objects.filter(pk=component.pk).update(
        name=name.strip(),
        description=description,
        group=group,
        position=position,
        showcase=showcase,
        only_show_if_degraded=only_show_if_degraded,
        updated_at=timezone.now(),
        translations=merged(locked.translations, texts),
    )
    touch_page()
    component.refresh_from_db()
    return component


@transaction.atomic
def set_component_status(
    component: Component,
    status: str,
    *,
    incident: Incident | None = None,
    update: IncidentUpdate | None = None,
    notify: bool = True,
    at: datetime | None = None,
) -> ComponentStatusChange | None:
    """Record a status change; None when the component already had that status."""
    if status not in ComponentStatus.values:
        raise StatusError(f"{status!r} is not a component status")
    moment = _now(at)
    locked = Component.objects.select_for_update().get(pk=component.pk)
    if locked.status == status:
        return None
    change = ComponentStatusChange.objects.create(
        component=locked,
        old_status=locked.status,
        new_status=status,
        at=moment,
        incident=incident,
        update=update,
    )
    Component.objects.filter(pk=locked.pk).update(status=status, updated_at=moment)
    component.status, component.updated_at = status, moment
    touch_page(moment)
    # Inside an incident update the change travels in that update's payload; on its own it
    # is a component_update event (Statuspage sends the same two kinds of webhook).
    if notify and update is None:
        notifications.record_component_event(change)
    return change


def _apply_components(
    incident: Incident, update: IncidentUpdate, components: ComponentChanges | None, at: datetime
) -> None:
    for component, status in (components or {}).items():
        incident.components.add(component)
        set_component_status(component, status, incident=incident, update=update, notify=False, at=at)


def _check_status(incident: Incident, status: str) -> None:
    allowed = MaintenanceStatus.values if incident.is_maintenance else IncidentStatus.values
    if status not in allowed:
        raise StatusError(f"{status!r} is not a {incident.get_kind_display().lower()} status")


def _check_impact(impact: str) -> None:
    if impact not in Impact.values:
        raise StatusError(f"{impact!r} is not an impact")


@transaction.atomic
def open_incident(
    *,
    name: str,
    body: str,
    impact: str = Impact.MINOR,
    status: str = IncidentStatus.INVESTIGATING,
    components: ComponentChanges | None = None,
    user: User = None,
    automatic: bool = False,
    notify: bool = True,
    at: datetime | None = None,
    translations: Translations | None = None,
) -> Incident:
    """M1: announce a platform issue, with the components it hits and their new status.

    ``translations`` may give the ``name`` and the first update's ``body`` in other languages.
    """
    _check_impact(impact)
    texts = _checked(translations, ("name", "body"))
    moment = _now(at)
    incident = Incident(
        kind=Incident.Kind.INCIDENT,
        name=name.strip(),
        status=status,
        impact=impact,
        created_at=moment,
        updated_at=moment,
        started_at=moment,
        automatic=automatic,
        created_by=user,
        translations=merged({}, only(texts, {"name": "name"})),
    )
    _check_status(incident, status)
    if status in (IncidentStatus.RESOLVED, IncidentStatus.POSTMORTEM):
        raise StatusError("an incident opens unresolved; backfill it, then resolve it")
    incident.save()
    _post(
        incident,
        status=status,
        body=body,
        components=components,
        user=user,
        notify=notify,
        at=moment,
        translations=_body_texts(only(texts, {"body": "body"})),
    )
    return incident


@transaction.atomic
def post_incident_update(
    incident: Incident,
    *,
    status: str,
    body: str,
    components: ComponentChanges | None = None,
    impact: str | None = None,
    user: User = None,
    notify: bool = True,
    at: datetime | None = None,
    translations: Translations | None = None,
    stock: bool = False,
) -> IncidentUpdate:
    """Add a timestamped update to an incident or maintenance, moving its status and components.

    ``translations`` may give the ``body`` in other languages; a body that is one of the
    stock texts above (``stock``, or the same words, as the console's resolve box proposes
    them) has their own translations where none is given.
    """
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    _check_status(locked, status)
    if impact is not None:
        _check_impact(impact)
        locked.impact = impact
    stock = stock or body.strip() in _STOCK_BODIES
    texts = _body_texts(translations, stock=body.strip() if stock else None)
    update = _post(
        locked,
        status=status,
        body=body,
        components=components,
        user=user,
        notify=notify,
        at=at,
        translations=texts,
    )
    incident.refresh_from_db()
    return update


def _post(
    incident: Incident,
    *,
    status: str,
    body: str,
    components: ComponentChanges | None,
    user: User,
    notify: bool,
    at: datetime | None,
    translations: dict[str, dict[str, str]] | None = None,
) -> IncidentUpdate:
    moment = _now(at)
    incident.status = status
    incident.updated_at = moment
    if status == IncidentStatus.MONITORING and incident.monitoring_at is None:
        incident.monitoring_at = moment
    if status in (IncidentStatus.RESOLVED, MaintenanceStatus.COMPLETED) and incident.resolved_at is None:
        incident.resolved_at = moment
    if status in (*UNRESOLVED_INCIDENT, MaintenanceStatus.SCHEDULED):
        incident.resolved_at = None  # reopened
    incident.save()
    update = IncidentUpdate.objects.create(
        incident=incident,
        status=status,
        body=body.strip(),
        created_at=moment,
        updated_at=moment,
        display_at=moment,
        deliver_notifications=notify,
        created_by=user,
        translations=translations or {},
    )
    _apply_components(incident, update, components, moment)
    touch_page(moment)
    if notify:
        notifications.record_incident_event(incident, update)
    if status == IncidentStatus.RESOLVED and not incident.is_maintenance:
        signals.incident_resolved.send(
            sender=Incident,
            public_id=incident.public_id,
            name=incident.name,
            # The name in other languages, for tickets written in one (tickets.incidents).
            names=incident.translations_of("name"),
            url=config.incident_url(incident.public_id),
        )
    return update


def _still_claimed(component: Component, incident: Incident) -> bool:
    """Another open incident or active maintenance still holds this component."""
    others = component.incidents.exclude(pk=incident.pk)
    return others.filter(
        status__in=[*UNRESOLVED_INCIDENT, MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.VERIFYING]
    ).exists()


def _restore_components(
    incident: Incident, *, from_statuses: Iterable[str] | None = None
) -> dict[Component, str]:
    restore: dict[Component, str] = {}
    for component in incident.components.all():
        if component.status == ComponentStatus.OPERATIONAL:
            continue
        if from_statuses is not None and component.status not in from_statuses:
            continue
        if not _still_claimed(component, incident):
            restore[component] = ComponentStatus.OPERATIONAL
    return restore


@transaction.atomic
def resolve_incident(
    incident: Incident,
    *,
    body: str = "",
    user: User = None,
    notify: bool = True,
    at: datetime | None = None,
    translations: Translations | None = None,
) -> IncidentUpdate:
    """Close an incident; its components go back to operational unless another incident holds them."""
    if incident.is_maintenance:
        raise StatusError("maintenance is completed, not resolved")
    return post_incident_update(
        incident,
        status=IncidentStatus.RESOLVED,
        body=body or DEFAULT_RESOLVED_BODY,
        components=_restore_components(incident),
        user=user,
        notify=notify,
        at=at,
        translations=translations,
        stock=not body.strip(),
    )


@transaction.atomic
def publish_postmortem(
    incident: Incident,
    *,
    body: str,
    user: User = None,
    notify: bool = True,
    at: datetime | None = None,
    translations: Translations | None = None,
) -> IncidentUpdate:
    """Publish what happened and why, once the incident is resolved (a new postmortem replaces its translations)."""
    if incident.is_maintenance or incident.status not in (IncidentStatus.RESOLVED, IncidentStatus.POSTMORTEM):
        raise StatusError("a postmortem follows a resolved incident")
    texts = _checked(translations, ("body",))
    moment = _now(at)
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    # Every other language's postmortem is the older text's: one left unchanged would be stale.
    cleared = {language: {"postmortem_body": ""} for language in other_languages()}
    given = only(texts, {"body": "postmortem_body"})
    Incident.objects.filter(pk=incident.pk).update(
        postmortem_body=body.strip(),
        postmortem_published_at=moment,
        translations=merged(merged(locked.translations, cleared), given),
    )
    return post_incident_update(
        incident,
        status=IncidentStatus.POSTMORTEM,
        body=body,
        user=user,
        notify=notify,
        at=moment,
        translations=texts,
    )


@transaction.atomic
def edit_incident(
    incident: Incident, *, name: str, impact: str, translations: Translations | None = None
) -> Incident:
    """Correct an incident's title (and its translations, an empty one removed) or impact without posting an update."""
    _check_impact(impact)
    texts = only(_checked(translations, ("name",)), {"name": "name"})
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    Incident.objects.filter(pk=incident.pk).update(
        name=name.strip(),
        impact=impact,
        updated_at=timezone.now(),
        translations=merged(locked.translations, texts),
    )
    touch_page()
    incident.refresh_from_db()
    return incident


def _check_window(scheduled_for: datetime, scheduled_until: datetime) -> None:
    if scheduled_until <= scheduled_for:
        raise StatusError("a maintenance window ends after it starts")


@transaction.atomic
def schedule_maintenance(
    *,
    name: str,
    scheduled_for: datetime,
    scheduled_until: datetime,
    body: str = "",
    components: Iterable[Component] = (),
    auto_transition: bool = True,
    user: User = None,
    notify: bool = True,
    at: datetime | None = None,
    translations: Translations | None = None,
) -> Incident:
    """Announce planned work and its window (announced >= 24 h ahead, it is not SLA downtime)."""
    _check_window(scheduled_for, scheduled_until)
    texts = _checked(translations, ("name", "body"))
    moment = _now(at)
    maintenance = Incident.objects.create(
        kind=Incident.Kind.MAINTENANCE,
        name=name.strip(),
        status=MaintenanceStatus.SCHEDULED,
        impact=Impact.MAINTENANCE,
        created_at=moment,
        updated_at=moment,
        started_at=scheduled_for,
        scheduled_for=scheduled_for,
        scheduled_until=scheduled_until,
        auto_transition=auto_transition,
        created_by=user,
        translations=merged({}, only(texts, {"name": "name"})),
    )
    maintenance.components.set(list(components))
    stock = None if body.strip() else DEFAULT_MAINTENANCE_BODIES[MaintenanceStatus.SCHEDULED]
    _post(
        maintenance,
        status=MaintenanceStatus.SCHEDULED,
        body=body or DEFAULT_MAINTENANCE_BODIES[MaintenanceStatus.SCHEDULED],
        components=None,
        user=user,
        notify=notify,
        at=moment,
        translations=_body_texts(only(texts, {"body": "body"}), stock=stock),
    )
    return maintenance


@transaction.atomic
def reschedule_maintenance(
    maintenance: Incident,
    *,
    scheduled_for: datetime,
    scheduled_until: datetime,
    body: str = "",
    user: User = None,
    notify: bool = True,
    at: datetime | None = None,
) -> Incident:
    """Move a maintenance window; calendars see a new SEQUENCE and replace the event."""
    if not maintenance.is_maintenance:
        raise StatusError("only maintenance has a window")
    _check_window(scheduled_for, scheduled_until)
    locked = Incident.objects.select_for_update().get(pk=maintenance.pk)
    if (locked.scheduled_for, locked.scheduled_until) == (scheduled_for, scheduled_until):
        return locked
    Incident.objects.filter(pk=locked.pk).update(
        scheduled_for=scheduled_for,
        scheduled_until=scheduled_until,
        started_at=scheduled_for,
        sequence=F("sequence") + 1,
    )
    locked.refresh_from_db()
    texts: dict[str, dict[str, str]] = {}
    if not body:
        window = {"start": config.utc_minute(scheduled_for), "end": config.utc_minute(scheduled_until)}
        body = MAINTENANCE_MOVED_BODY % window
        texts = stock_translations(MAINTENANCE_MOVED_BODY, "body", lambda _language: window)
    _post(
        locked,
        status=locked.status,
        body=body,
        components=None,
        user=user,
        notify=notify,
        at=at,
        translations=texts,
    )
    maintenance.refresh_from_db()
    return maintenance


@transaction.atomic
def start_maintenance(
    maintenance: Incident,
    *,
    body: str = "",
    user: User = None,
    notify: bool = True,
    at: datetime | None = None,
    translations: Translations | None = None,
) -> IncidentUpdate:
    """The window opened: the maintenance is in progress and its components under maintenance."""
    if not maintenance.is_maintenance:
        raise StatusError("only maintenance starts")
    return post_incident_update(
        maintenance,
        status=MaintenanceStatus.IN_PROGRESS,
        body=body or DEFAULT_MAINTENANCE_BODIES[MaintenanceStatus.IN_PROGRESS],
        translations=translations,
        stock=not body.strip(),
        components={
            c: ComponentStatus.UNDER_MAINTENANCE
            for c in maintenance.components.all()
            if c.status == ComponentStatus.OPERATIONAL
        },
        user=user,
        notify=notify,
        at=at,
    )


@transaction.atomic
def complete_maintenance(
    maintenance: Incident,
    *,
    body: str = "",
    user: User = None,
    notify: bool = True,
    at: datetime | None = None,
    translations: Translations | None = None,
) -> IncidentUpdate:
    """The work is done: components under maintenance go back to operational."""
    if not maintenance.is_maintenance:
        raise StatusError("only maintenance completes")
    return post_incident_update(
        maintenance,
        status=MaintenanceStatus.COMPLETED,
        body=body or DEFAULT_MAINTENANCE_BODIES[MaintenanceStatus.COMPLETED],
        translations=translations,
        stock=not body.strip(),
        components=_restore_components(maintenance, from_statuses=[ComponentStatus.UNDER_MAINTENANCE]),
        user=user,
        notify=notify,
        at=at,
    )


def advance_maintenances(now: datetime | None = None) -> int:
    """Scheduler sweep: start and complete auto-transitioning maintenance whose time has come."""
    moment = _now(now)
    handled = 0
    due_start = Incident.objects.filter(
        kind=Incident.Kind.MAINTENANCE,
        auto_transition=True,
        status=MaintenanceStatus.SCHEDULED,
        scheduled_for__lte=moment,
    )
    for maintenance in due_start:
        start_maintenance(maintenance, at=moment)
        handled += 1
    due_end = Incident.objects.filter(
        kind=Incident.Kind.MAINTENANCE,
        auto_transition=True,
        status__in=[MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.VERIFYING],
        scheduled_until__lte=moment,
    )
    for maintenance in due_end:
        complete_maintenance(maintenance, at=moment)
        handled += 1
    return handled
