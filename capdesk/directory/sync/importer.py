"""``directory import``: check every row of every file, then hand the whole batch to one action.

Fields per kind (JSON keys or CSV columns; empty or absent = leave as is):

- **organizations**: ``capgo_id`` (UUID, required), ``name`` (required), ``plan``
  (solo, maker, team, enterprise), ``subscription_status`` (trialing, active,
  past_due, canceled, none), ``trial_ends_at`` (ISO 8601), ``timezone`` (IANA, like
  Asia/Jakarta), ``credits_balance``, ``premium_support`` (true/false),
  ``premium_hours_per_month``, ``priority_plus`` (true/false).
- **people**: ``capgo_id`` (the account id, required), ``name``, ``language`` (en, id),
  ``emails`` (the registered addresses, primary first; in CSV separated by spaces,
  commas or semicolons). Given emails replace the person's registered set.
- **projects**: ``app_id`` (required), ``organization`` (the org's capgo_id, required),
  ``name``.
- **bindings**: ``person`` (capgo_id or registered email), ``organization`` (capgo_id),
  ``project`` (app_id; empty = bound on the organization), ``role`` (a Capgo role
  name: app_developer, org_admin ... or legacy read/upload/write/admin/super_admin).

References may point at rows of the same import or at rows already in the directory.
Any bad row refuses the whole import (nothing is written), with one line per problem:
``line 7: plan 'gold' is not one of solo, maker, team, enterprise``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from capdesk.directory.models import EmailAddress, Organization, Person, Project
from capdesk.directory.sync import fields as f
from capdesk.directory.sync import records as r
from capdesk.directory.sync.import_files import Row
from capdesk.directory.sync.summary import Kind

Parser = Callable[[object], object]
_ORG_FIELDS: dict[str, Parser] = {
    "name": lambda v: f.required("name", v),
    "plan": f.plan,
    "subscription_status": f.subscription_status,
    "trial_ends_at": lambda v: f.timestamp("trial_ends_at", v),
    "timezone": f.timezone_name,
    "credits_balance": lambda v: f.money("credits_balance", v),
    "premium_support": lambda v: f.boolean("premium_support", v),
    "premium_hours_per_month": lambda v: f.money("premium_hours_per_month", v, max_digits=6),
    "priority_plus": lambda v: f.boolean("priority_plus", v),
}
_PERSON_FIELDS: dict[str, Parser] = {"name": lambda v: f.bounded("name", v), "language": f.language}
ALLOWED: dict[Kind, set[str]] = {
    "organizations": {"capgo_id", *_ORG_FIELDS},
    "people": {"capgo_id", "emails", *_PERSON_FIELDS},
    "projects": {"app_id", "organization", "name"},
    "bindings": {"person", "organization", "project", "role"},
}


@dataclass
class Batch:
    """Every record of one import, checked, in the order to apply them."""

    organizations: list[r.OrganizationRecord] = field(default_factory=list)
    people: list[r.PersonRecord] = field(default_factory=list)
    projects: list[r.ProjectRecord] = field(default_factory=list)
    bindings: list[r.BindingRecord] = field(default_factory=list)


def _given(value: object) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _values(row: Row, parsers: dict[str, Parser]) -> dict[str, object]:
    return {name: parse(row.fields[name]) for name, parse in parsers.items() if _given(row.fields.get(name))}


def _emails(value: object) -> tuple[str, ...]:
    items = value if isinstance(value, list) else re.split(r"[\s,;]+", f.text(value))
    return tuple(dict.fromkeys(f.email(item) for item in items if f.text(item)))


class _Checker:
    """Checks rows one by one, then their references against each other and the directory."""

    def __init__(self) -> None:
        self.errors: list[tuple[str, int, str]] = []
        self.batch = Batch()
        self.seen: dict[tuple[Kind, str], int] = {}
        self.reported_unknown: set[tuple[str, frozenset[str]]] = set()
        self.org_of_app: dict[str, uuid.UUID] = {}
        self.email_owner: dict[str, uuid.UUID] = {}
        self.person_rows: dict[uuid.UUID, Row] = {}
        self.org_ids: set[uuid.UUID] = set()

    def error(self, row: Row, message: str) -> None:
        self.errors.append((row.source, row.line, message))

    def once(self, row: Row, kind: Kind, key: str) -> bool:
        first = self.seen.setdefault((kind, key), row.line)
        if first != row.line:
            self.error(row, f"{kind[:-1] if kind != 'people' else 'person'} {key} is already on line {first}")
            return False
        return True

    def check(self, row: Row) -> None:
        unknown = frozenset(set(row.fields) - ALLOWED[row.kind])
        if unknown and (row.source, unknown) not in self.reported_unknown:
            self.reported_unknown.add((row.source, unknown))
            expected = ", ".join(sorted(ALLOWED[row.kind]))
            self.error(
                row, f"unknown field(s) {', '.join(sorted(unknown))} for {row.kind} (expected {expected})"
            )
        try:
            getattr(self, f"_{row.kind}")(row)
        except f.RecordError as exc:
            self.error(row, str(exc))

    def _organizations(self, row: Row) -> None:
        capgo_id = f.capgo_uuid("capgo_id", row.fields.get("capgo_id"))
        values = _values(row, _ORG_FIELDS)
        if "name" not in values:
            raise f.FieldError("name is required")
        if self.once(row, "organizations", str(capgo_id)):
            self.org_ids.add(capgo_id)
            self.batch.organizations.append(r.OrganizationRecord(capgo_id=capgo_id, values=values))

    def _people(self, row: Row) -> None:
        capgo_id = f.capgo_uuid("capgo_id", row.fields.get("capgo_id"))
        values = _values(row, _PERSON_FIELDS)
        emails = _emails(row.fields["emails"]) if _given(row.fields.get("emails")) else None
        if not self.once(row, "people", str(capgo_id)):
            return
        for address in emails or ():
            owner = self.email_owner.setdefault(address, capgo_id)
            if owner != capgo_id:
                raise f.FieldError(f"email {address} is already given to person {owner}")
        self.person_rows[capgo_id] = row
        self.batch.people.append(r.PersonRecord(capgo_id=capgo_id, values=values, emails=emails))

    def _projects(self, row: Row) -> None:
        app_id = f.required("app_id", row.fields.get("app_id"), max_length=255)
        org_id = f.capgo_uuid("organization", row.fields.get("organization"))
        name = f.bounded("name", row.fields.get("name"))
        self.require_org(org_id)
        if self.once(row, "projects", app_id):
            self.org_of_app[app_id] = org_id
            values = {"name": name} if name else {}
            self.batch.projects.append(r.ProjectRecord(app_id=app_id, org_capgo_id=org_id, values=values))

    def _bindings(self, row: Row) -> None:
        person_id = self.person(row.fields.get("person"))
        org_id = f.capgo_uuid("organization", row.fields.get("organization"))
        self.require_org(org_id)
        app_id = f.text(row.fields.get("project")) or None
        role = f.known_role(row.fields.get("role"))
        if app_id is not None:
            owner = self.app_owner(app_id)
            if owner != org_id:
                raise f.FieldError(f"app {app_id} belongs to organization {owner}, not {org_id}")
        if self.once(row, "bindings", f"{person_id} on {app_id or org_id}"):
            self.batch.bindings.append(
                r.BindingRecord(person_capgo_id=person_id, org_capgo_id=org_id, app_id=app_id, role=role)
            )

    # References: this import first, then the directory.

    def require_org(self, org_id: uuid.UUID) -> None:
        if org_id not in self.org_ids and not Organization.objects.filter(capgo_id=org_id).exists():
            raise f.FieldError(f"organization {org_id} is neither in this import nor in the directory")

    def app_owner(self, app_id: str) -> uuid.UUID:
        if app_id in self.org_of_app:
            return self.org_of_app[app_id]
        project = Project.objects.select_related("organization").filter(app_id=app_id).first()
        if project is None:
            raise f.FieldError(f"app {app_id} is neither in this import nor in the directory")
        return project.organization.capgo_id

    def person(self, value: object) -> uuid.UUID:
        raw = f.text(value)
        if "@" in raw:
            address = f.email(raw)
            if address in self.email_owner:
                return self.email_owner[address]
            known = EmailAddress.objects.select_related("person").filter(email=address).first()
            if known is None:
                raise f.FieldError(f"person {raw} is not a registered email in this import or the directory")
            return known.person.capgo_id
        capgo_id = f.capgo_uuid("person", raw)
        if capgo_id not in self.person_rows and not Person.objects.filter(capgo_id=capgo_id).exists():
            raise f.FieldError(f"person {capgo_id} is neither in this import nor in the directory")
        return capgo_id

    def check_moved_emails(self) -> None:
        """An address the directory gives to someone else may move only if that person's row lets it go."""
        given = {p.capgo_id: p.emails for p in self.batch.people if p.emails is not None}
        for address, owner in self.email_owner.items():
            known = EmailAddress.objects.select_related("person").filter(email=address).first()
            if known is None or known.person.capgo_id == owner:
                continue
            holder = known.person.capgo_id
            if holder in given and address not in (given[holder] or ()):
                continue  # the holder's own row in this import gives the address up
            self.error(self.person_rows[owner], f"email {address} is registered to person {holder}")


def check(rows: list[Row]) -> tuple[Batch, list[str]]:
    """The batch to import, and every problem found as ``line N: ...`` (prefixed by the file when several)."""
    checker = _Checker()
    order: dict[Kind, int] = {"organizations": 0, "people": 1, "projects": 2, "bindings": 3}
    for row in sorted(rows, key=lambda row: order[row.kind]):
        checker.check(row)
    checker.check_moved_emails()
    sources = {row.source for row in rows}
    errors = sorted(checker.errors)
    prefix: Callable[[str], str] = (lambda s: f"{s}: ") if len(sources) > 1 else (lambda s: "")
    return checker.batch, [f"{prefix(source)}line {line}: {message}" for source, line, message in errors]
