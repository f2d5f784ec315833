"""Directory records as every source delivers them, and how Capgo's rows map onto them.

A record carries only the fields its source gave: a field that is absent leaves the
desk's value as it is (and takes the model's default on creation).

Capgo ``orgs`` row (webhook ``new_record``, ``GET /organization``) -> ``Organization``.
Capgo's real ``orgs`` table has only ``id`` and ``name`` of these; plan and billing
live in its Stripe tables, so the other columns are our documented extension, which
a Capgo-side view or trigger can add to the row it sends:

====================================  ====================  ==========================================
Capgo column (first one present wins)  Organization field     rule
====================================  ====================  ==========================================
``id``                                 ``capgo_id``          UUID, required
``name``                               ``name``              text
``plan``, ``plan_name``,               ``plan``              Solo / Maker / Team / Enterprise, any case
``product_name``
``subscription_status``, ``status``    ``subscription_status``  ours, or Stripe's and ``stripe_info``'s:
                                                             active/succeeded/updated -> active;
                                                             past_due/unpaid/failed -> past_due;
                                                             canceled/cancelled/deleted -> canceled;
                                                             trialing -> trialing; none/created -> none
``trial_at``, ``trial_ends_at``        ``trial_ends_at``     ISO 8601 (Capgo's ``trial_at`` is the
                                                             trial's end); null clears it
``credits``, ``credits_balance``       ``credits_balance``   purchased credits left, >= 0
``premium_support``                    ``premium_support``   boolean
``priority_plus``                      ``priority_plus``     boolean
``timezone``                           ``timezone``          IANA zone name
====================================  ====================  ==========================================

An optional value Capgo sends that we cannot read (a plan named ``gold``) is left
out with a warning rather than guessed at, and rather than refusing the whole event:
Capgo would only retry the same row. A missing or malformed ``id`` is refused.

Capgo ``apps`` row -> ``Project``: ``app_id`` (required), ``name``, ``owner_org``
(the organization's UUID, required).

Capgo ``org_users`` row -> ``Person`` (by ``user_id``) and ``RoleBinding``: ``org_id``,
``app_id`` (null: bound on the organization), ``channel_id``, and the role from ``role``
(today's names) or else ``user_right`` (legacy names). A row with a ``channel_id`` is
bound on one channel, which grants nothing on apps (CAPGO.md): the desk skips it and
never stores it, so it can never be read as an app or org binding. Role names are
stored as sent, even unknown ones: ``roles.normalise_role`` grants nothing for a name
it does not know.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from capdesk.directory.sync import fields as f
from capdesk.directory.sync.fields import RecordError as RecordError  # re-exported: callers catch it here


@dataclass(frozen=True)
class OrganizationRecord:
    """An organization by its Capgo id, with the model fields its source gave."""

    capgo_id: uuid.UUID
    values: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class PersonRecord:
    """A Capgo account by its id; ``emails`` (primary first) replace the registered set when given."""

    capgo_id: uuid.UUID
    values: Mapping[str, object] = field(default_factory=dict)
    emails: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ProjectRecord:
    """A Capgo app by its app id, owned by one organization."""

    app_id: str
    org_capgo_id: uuid.UUID
    values: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class BindingRecord:
    """One role bound to a person on an organization (``app_id`` None) or on one of its apps."""

    person_capgo_id: uuid.UUID
    org_capgo_id: uuid.UUID
    app_id: str | None
    role: str


def _mapping(row: object, what: str) -> Mapping[str, Any]:
    if not isinstance(row, Mapping):
        raise RecordError(f"{what} is not a JSON object")
    return row


def _first(row: Mapping[str, Any], *names: str) -> tuple[str, object] | None:
    for name in names:
        if name in row:
            return name, row[name]
    return None


def _uuid(row: Mapping[str, Any], name: str, what: str) -> uuid.UUID:
    try:
        return f.capgo_uuid(f"{what} {name}", row.get(name))
    except f.FieldError as exc:
        raise RecordError(str(exc)) from None


# (model field, Capgo columns in order of preference, parser): the table in the docstring.
_ORG_COLUMNS: list[tuple[str, tuple[str, ...], Callable[[object], object]]] = [
    ("name", ("name",), lambda v: f.required("name", v)),
    ("plan", ("plan", "plan_name", "product_name"), f.plan),
    (
        "subscription_status",
        ("subscription_status", "status"),
        lambda v: f.subscription_status(v, aliases=True),
    ),
    ("trial_ends_at", ("trial_at", "trial_ends_at"), lambda v: f.timestamp("trial_at", v)),
    ("credits_balance", ("credits", "credits_balance"), lambda v: f.money("credits", v)),
    ("premium_support", ("premium_support",), lambda v: f.boolean("premium_support", v)),
    ("priority_plus", ("priority_plus",), lambda v: f.boolean("priority_plus", v)),
    ("timezone", ("timezone",), f.timezone_name),
]


def organization_from_capgo(row: object, warnings: list[str]) -> OrganizationRecord:
    """An ``orgs`` row as Capgo sends it; unreadable optional values are skipped into ``warnings``."""
    data = _mapping(row, "the orgs record")
    capgo_id = _uuid(data, "id", "organization")
    values: dict[str, object] = {}
    for model_field, columns, parse in _ORG_COLUMNS:
        found = _first(data, *columns)
        if found is None:
            continue
        column, raw = found
        if raw is None and model_field != "trial_ends_at":
            continue  # a null column is "not known", except a cleared trial end
        try:
            values[model_field] = parse(raw)
        except f.FieldError as exc:
            warnings.append(f"organization {capgo_id}: {column} skipped: {exc}")
    return OrganizationRecord(capgo_id=capgo_id, values=values)


def project_from_capgo(row: object) -> ProjectRecord:
    data = _mapping(row, "the apps record")
    try:
        app_id = f.required("app_id", data.get("app_id"), max_length=255)
        name = f.bounded("name", data.get("name"))
    except f.FieldError as exc:
        raise RecordError(f"app: {exc}") from None
    values = {"name": name} if "name" in data and data["name"] is not None else {}
    return ProjectRecord(app_id=app_id, org_capgo_id=_uuid(data, "owner_org", "app"), values=values)


def is_channel_scoped(row: Mapping[str, Any]) -> bool:
    return f.text(row.get("channel_id")) != ""


def binding_from_capgo(row: object) -> BindingRecord | None:
    """An ``org_users`` row; None for a channel-scoped row, which grants nothing."""
    data = _mapping(row, "the org_users record")
    if is_channel_scoped(data):
        return None
    role = f.text(data.get("role")) or f.text(data.get("user_right"))
    if not role:
        raise RecordError("org_users record has neither role nor user_right")
    app_id = f.text(data.get("app_id")) or None
    return BindingRecord(
        person_capgo_id=_uuid(data, "user_id", "org_users"),
        org_capgo_id=_uuid(data, "org_id", "org_users"),
        app_id=app_id,
        role=role.lower()[:40],
    )


def person_from_capgo_member(row: object) -> PersonRecord:
    """A member of ``GET /organization/members``: ``uid`` and ``email``."""
    data = _mapping(row, "the member")
    capgo_id = _uuid(data, "uid", "member")
    raw_email = f.text(data.get("email"))
    if not raw_email:
        return PersonRecord(capgo_id=capgo_id)
    try:
        return PersonRecord(capgo_id=capgo_id, emails=(f.email(raw_email),))
    except f.FieldError as exc:
        raise RecordError(f"member {capgo_id}: {exc}") from None
