"""Every change to the directory: organizations, people, projects and role bindings, from any source.

Capgo's webhooks, ``directory pull`` and ``directory import`` all end here, so a row
is created, updated or removed the same way whoever asked. Each public entry point
runs in one transaction; the helpers below it count what they did in a ``Summary``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, Q
from django.utils import timezone

from capdesk.core import audit
from capdesk.core.models import ActorKind
from capdesk.directory.models import EmailAddress, Organization, Person, Project, RoleBinding, WebhookDelivery
from capdesk.directory.sync import records as r
from capdesk.directory.sync.events import CapgoEvent
from capdesk.directory.sync.importer import Batch
from capdesk.directory.sync.pull import Snapshot
from capdesk.directory.sync.summary import Summary
from capdesk.sla import actions as sla_actions

logger = logging.getLogger(__name__)


class Replayed(Exception):
    """This webhook-id was accepted before: a replay, or a retry of a delivery already applied."""


# Upserts -------------------------------------------------------------------------


def _apply_values(row: Organization | Person | Project, values: dict[str, object]) -> list[str]:
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    for name in changed:
        setattr(row, name, values[name])
    return changed


def _ensure_organization(capgo_id: uuid.UUID, summary: Summary) -> Organization:
    """The organization, or a placeholder named by its id until its own row arrives (webhooks come in any order).

    A placeholder takes the model's defaults: a trial, so it grants no paid support (E1).
    """
    org, created = Organization.objects.get_or_create(capgo_id=capgo_id, defaults={"name": str(capgo_id)})
    if created:
        summary.add("organizations", "created")
    return org


def _ensure_person(capgo_id: uuid.UUID, summary: Summary) -> Person:
    person, created = Person.objects.get_or_create(capgo_id=capgo_id)
    if created:
        summary.add("people", "created")
    return person


def upsert_organization(record: r.OrganizationRecord, summary: Summary) -> Organization:
    org = Organization.objects.filter(capgo_id=record.capgo_id).first()
    values = dict(record.values)
    if org is None:
        values.setdefault("name", str(record.capgo_id))
        summary.add("organizations", "created")
        return Organization.objects.create(capgo_id=record.capgo_id, **values)
    changed = _apply_values(org, values)
    if changed:
        org.save(update_fields=[*changed, "updated_at"])
        # A new plan, add-on or time zone moves the SLA targets of the org's open tickets (L1).
        sla_actions.on_organization_changed(org, changed)
    summary.add("organizations", "updated" if changed else "unchanged")
    return org


def _set_emails(person: Person, emails: tuple[str, ...], summary: Summary) -> bool:
    """Make the person's registered addresses exactly ``emails`` (primary first); Capgo is the source of truth.

    An address registered to someone else moves here: Capgo lets one account hold it,
    so the other account no longer does (E3 must not accept mail for the wrong person).
    """
    changed = False
    stale = person.emails.exclude(email__in=emails)
    if stale.exists():
        stale.delete()
        changed = True
    for position, address in enumerate(emails):
        row = EmailAddress.objects.filter(email=address).first()
        primary = position == 0
        if row is None:
            EmailAddress.objects.create(person=person, email=address, primary=primary)
            changed = True
        elif row.person_id != person.pk or row.primary != primary:
            if row.person_id != person.pk:
                summary.warnings.append(f"email {_redact(address)} moved to person {person.capgo_id}")
            row.person, row.primary = person, primary
            row.save(update_fields=["person", "primary"])
            changed = True
    return changed


def _redact(address: str) -> str:
    """Logs and reports never show an address in full (CONVENTIONS.md)."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


def upsert_person(record: r.PersonRecord, summary: Summary) -> Person:
    person = Person.objects.filter(capgo_id=record.capgo_id).first()
    created = person is None
    if person is None:
        person = Person.objects.create(capgo_id=record.capgo_id, **dict(record.values))
        changed = []
    else:
        changed = _apply_values(person, dict(record.values))
        if changed:
            person.save(update_fields=[*changed, "updated_at"])
    emails_changed = record.emails is not None and _set_emails(person, record.emails, summary)
    if created:
        summary.add("people", "created")
    else:
        summary.add("people", "updated" if changed or emails_changed else "unchanged")
    return person


def upsert_project(record: r.ProjectRecord, summary: Summary) -> Project:
    org = _ensure_organization(record.org_capgo_id, summary)
    project = Project.objects.filter(app_id=record.app_id).first()
    if project is None:
        summary.add("projects", "created")
        return Project.objects.create(app_id=record.app_id, organization=org, **dict(record.values))
    values = {**record.values, "organization": org}
    changed = _apply_values(project, values)
    if changed:
        project.save(update_fields=changed)
        if "organization" in changed:
            # The app moved to another organization: bindings made in the old one
            # give no rights in the new one.
            moved = RoleBinding.objects.filter(project=project).exclude(organization=org)
            summary.add("bindings", "deleted", moved.delete()[0])
    summary.add("projects", "updated" if changed else "unchanged")
    return project


def _binding_scope(person: Person, org: Organization, project: Project | None) -> Q:
    return Q(person=person, organization=org) & (Q(project=project) if project else Q(project__isnull=True))


def upsert_binding(record: r.BindingRecord, summary: Summary) -> RoleBinding | None:
    """Bind the role; an app that belongs to another organization is refused with a warning."""
    org = _ensure_organization(record.org_capgo_id, summary)
    project = None
    if record.app_id is not None:
        project = Project.objects.filter(app_id=record.app_id).first()
        if project is None:
            project = Project.objects.create(app_id=record.app_id, organization=org)
            summary.add("projects", "created")
        elif project.organization_id != org.pk:
            summary.warnings.append(
                f"binding skipped: app {record.app_id} does not belong to organization {record.org_capgo_id}"
            )
            return None
    person = _ensure_person(record.person_capgo_id, summary)
    binding = RoleBinding.objects.filter(_binding_scope(person, org, project)).first()
    if binding is None:
        summary.add("bindings", "created")
        return RoleBinding.objects.create(person=person, organization=org, project=project, role=record.role)
    if binding.role == record.role:
        summary.add("bindings", "unchanged")
    else:
        binding.role = record.role
        binding.save(update_fields=["role"])
        summary.add("bindings", "updated")
    return binding


# Deletions -------------------------------------------------------------------------


def delete_binding(
    person_capgo_id: uuid.UUID, org_capgo_id: uuid.UUID, app_id: str | None, summary: Summary
) -> None:
    scope = Q(person__capgo_id=person_capgo_id, organization__capgo_id=org_capgo_id)
    scope &= Q(project__app_id=app_id) if app_id else Q(project__isnull=True)
    summary.add("bindings", "deleted", RoleBinding.objects.filter(scope).delete()[0])


def delete_project(app_id: str, summary: Summary) -> None:
    """Remove the app; one with tickets is kept (they point at it), but loses its app bindings."""
    project = Project.objects.filter(app_id=app_id).first()
    if project is None:
        return
    bindings = RoleBinding.objects.filter(project=project)
    bindings_count = bindings.count()
    try:
        with transaction.atomic():
            project.delete()
    except ProtectedError:
        summary.add("bindings", "deleted", bindings.delete()[0])
        summary.warnings.append(f"app {app_id} kept: tickets refer to it; its app bindings were removed")
        return
    summary.add("projects", "deleted")
    summary.add("bindings", "deleted", bindings_count)


def delete_organization(capgo_id: uuid.UUID, summary: Summary) -> None:
    """Remove the organization with its apps and bindings; rows tickets point at are kept, without bindings."""
    org = Organization.objects.filter(capgo_id=capgo_id).first()
    if org is None:
        return
    for app_id in org.projects.values_list("app_id", flat=True):
        delete_project(app_id, summary)
    summary.add("bindings", "deleted", org.bindings.all().delete()[0])
    try:
        with transaction.atomic():
            org.delete()
    except ProtectedError:
        summary.warnings.append(
            f"organization {capgo_id} kept: tickets refer to it; its bindings were removed"
        )
        return
    summary.add("organizations", "deleted")


def prune_organization(
    org: Organization, *, app_ids: Iterable[str], bindings: Iterable[r.BindingRecord], summary: Summary
) -> None:
    """Remove the organization's apps and bindings that a full listing from Capgo no longer shows."""
    for app_id in org.projects.exclude(app_id__in=list(app_ids)).values_list("app_id", flat=True):
        delete_project(app_id, summary)
    keep = {(b.person_capgo_id, b.app_id) for b in bindings}
    for binding in org.bindings.select_related("person", "project"):
        if (binding.person.capgo_id, binding.project.app_id if binding.project else None) not in keep:
            binding.delete()
            summary.add("bindings", "deleted")


# Capgo webhooks --------------------------------------------------------------------

SYNCED_TABLES = ("orgs", "apps", "org_users")


def apply_capgo_event(event: CapgoEvent) -> Summary:
    """Apply one Capgo table event (``orgs``/``apps``/``org_users`` INSERT, UPDATE, DELETE) in one transaction."""
    summary = Summary()
    if event.table not in SYNCED_TABLES:
        summary.ignored = f"table '{event.table}' is not synced"
        return summary
    if event.operation not in ("INSERT", "UPDATE", "DELETE"):
        summary.ignored = f"operation '{event.operation}' is not synced"
        return summary
    with transaction.atomic():
        _apply(event, summary)
    return summary


def _apply(event: CapgoEvent, summary: Summary) -> None:
    deleting = event.operation == "DELETE"
    if event.table == "orgs":
        if deleting:
            row = event.old_record or {"id": event.record_id}
            delete_organization(r.organization_from_capgo(row, []).capgo_id, summary)
        else:
            upsert_organization(r.organization_from_capgo(event.new_record, summary.warnings), summary)
    elif event.table == "apps":
        if deleting:
            delete_project(r.project_from_capgo(event.old_record).app_id, summary)
        else:
            upsert_project(r.project_from_capgo(event.new_record), summary)
    else:
        _apply_org_user(event, summary)


def _apply_org_user(event: CapgoEvent, summary: Summary) -> None:
    if event.operation == "DELETE" and event.old_record is None:
        # Capgo's record_id is the org_users row id, which the desk does not keep.
        raise r.RecordError("an org_users DELETE needs old_record to know which binding to remove")
    old = r.binding_from_capgo(event.old_record) if event.old_record is not None else None
    new = r.binding_from_capgo(event.new_record) if event.operation != "DELETE" else None
    if old is not None and (
        event.operation == "DELETE"
        or (old.person_capgo_id, old.org_capgo_id, old.app_id)
        != ((new.person_capgo_id, new.org_capgo_id, new.app_id) if new else None)
    ):
        # Deleted, or moved to another scope (possibly a channel): the old binding goes.
        delete_binding(old.person_capgo_id, old.org_capgo_id, old.app_id, summary)
    if new is not None:
        upsert_binding(new, summary)
    elif event.operation != "DELETE":
        summary.ignored = "channel-scoped binding: grants nothing on apps, not stored"
    elif old is None:
        summary.ignored = "channel-scoped binding: was never stored"


def receive_capgo_webhook(webhook_id: str, event: CapgoEvent) -> Summary:
    """Remember the webhook-id and apply the event, together: a replayed id changes nothing.

    Ids are kept for twice the signature's tolerance (a message is valid from
    tolerance before to tolerance after its timestamp); older ones are pruned here,
    since their timestamps could no longer pass verification anyway.
    """
    keep_for = timedelta(seconds=2 * settings.CAPGO_WEBHOOK_TOLERANCE_SECONDS + 60)
    with transaction.atomic():
        WebhookDelivery.objects.filter(source="capgo", received_at__lt=timezone.now() - keep_for).delete()
        try:
            with transaction.atomic():
                WebhookDelivery.objects.create(source="capgo", webhook_id=webhook_id)
        except IntegrityError:
            raise Replayed(webhook_id) from None
        summary = apply_capgo_event(event)
        audit.record_directory(
            audit.Action.DIRECTORY_WEBHOOK,
            summary,
            actor_kind=ActorKind.CAPGO,
            label="Capgo webhook",
            details={"webhook_id": webhook_id, "event": f"{event.table}.{event.operation}"},
        )
    logger.info(
        "directory.capgo_webhook",
        extra={
            "webhook_id": webhook_id,
            "event": f"{event.table}.{event.operation}",
            "changed": summary.changed,
        },
    )
    return summary


# Full listings: `directory pull` ------------------------------------------------------


def apply_snapshot(
    snapshot: Snapshot, *, prune_organizations: bool = False, dry_run: bool = False
) -> Summary:
    """Make the directory match a pull from Capgo's API, in one transaction (rolled back on ``dry_run``).

    Each listed organization's apps and bindings become exactly what Capgo listed.
    Organizations the API key did not list are left alone unless ``prune_organizations``:
    a key sees only its own user's organizations, not necessarily all of Capgo's.
    """
    summary = Summary(warnings=list(snapshot.warnings))
    with transaction.atomic():
        # Every row first, pruning last: an app that moved between two listed
        # organizations is then moved, not deleted from one and created in the other.
        orgs = [upsert_organization(listing.organization, summary) for listing in snapshot.listings]
        for person in snapshot.people.values():
            upsert_person(person, summary)
        for listing in snapshot.listings:
            for project in listing.projects:
                upsert_project(project, summary)
        for listing in snapshot.listings:
            for binding in listing.bindings:
                upsert_binding(binding, summary)
        for org, listing in zip(orgs, snapshot.listings, strict=True):
            prune_organization(
                org, app_ids=[p.app_id for p in listing.projects], bindings=listing.bindings, summary=summary
            )
        if prune_organizations:
            listed = [listing.organization.capgo_id for listing in snapshot.listings]
            for capgo_id in Organization.objects.exclude(capgo_id__in=listed).values_list(
                "capgo_id", flat=True
            ):
                delete_organization(capgo_id, summary)
        # A dry run rolls this entry back with the rest.
        audit.record_directory(
            audit.Action.DIRECTORY_PULL, summary, actor_kind=ActorKind.SYSTEM, label="directory pull"
        )
        if dry_run:
            transaction.set_rollback(True)
    return summary


# Files: `directory import` -------------------------------------------------------------


def import_batch(batch: Batch, *, dry_run: bool = False) -> Summary:
    """Write a checked import in one transaction: all of it or, on any error, none (rolled back on ``dry_run``)."""
    summary = Summary()
    with transaction.atomic():
        for org in batch.organizations:
            upsert_organization(org, summary)
        for person in batch.people:
            upsert_person(person, summary)
        for project in batch.projects:
            upsert_project(project, summary)
        for binding in batch.bindings:
            upsert_binding(binding, summary)
        audit.record_directory(
            audit.Action.DIRECTORY_IMPORT, summary, actor_kind=ActorKind.SYSTEM, label="directory import"
        )
        if dry_run:
            transaction.set_rollback(True)
    return summary
