"""``directory pull``: read every organization, member and app the API key can see.

The listing is complete for each organization it names, so applying it also removes
that organization's apps and bindings that Capgo no longer lists (see
``actions.apply_snapshot``). Fetching finishes before anything is written, so a
failed pull changes nothing.

Members come from ``GET /organization/members`` (``uid``, ``email``, ``role`` in
legacy names, ``is_tmp``). Two of Capgo's habits shape how they are read:

- ``is_tmp`` members are invitations to addresses with no Capgo account yet; they are
  skipped, since registering their address would let it pass E3.
- The endpoint lists a user's app-scoped rows without their ``app_id``. A row that
  carries ``app_id``/``channel_id`` is read like a webhook's ``org_users`` row; when
  one user is listed more than once without them, the desk cannot tell which row is
  organization-wide, so it keeps the one that grants nothing on the organization's
  apps if there is one (a wrong "no" can be overridden by an agent; a wrong "yes"
  gives away support) and warns. Webhooks, which carry ``app_id``, stay exact.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from capdesk.directory import roles
from capdesk.directory.sync import records as r
from capdesk.directory.sync.api_client import CapgoClient


@dataclass
class OrganizationListing:
    """One organization as Capgo lists it, with its complete apps and members."""

    organization: r.OrganizationRecord
    projects: list[r.ProjectRecord] = field(default_factory=list)
    bindings: list[r.BindingRecord] = field(default_factory=list)


@dataclass
class Snapshot:
    """Everything one pull read, ready for ``actions.apply_snapshot``."""

    listings: list[OrganizationListing] = field(default_factory=list)
    people: dict[uuid.UUID, r.PersonRecord] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _grants_on_org(binding: r.BindingRecord) -> bool:
    probe = roles.Binding(role=binding.role, org_id="org", app_id=None)
    return roles.binding_grants_developer(probe, app_id="any app", app_org_id="org")


def _members(rows: list[Any], org_id: uuid.UUID, snapshot: Snapshot) -> list[r.BindingRecord]:
    by_scope: dict[tuple[uuid.UUID, str | None], r.BindingRecord] = {}
    for row in rows:
        if not isinstance(row, dict):
            raise r.RecordError(f"organization {org_id}: a member is not a JSON object")
        if row.get("is_tmp"):
            continue
        person = r.person_from_capgo_member(row)
        snapshot.people.setdefault(person.capgo_id, person)
        binding = r.binding_from_capgo(
            {**row, "user_id": row.get("uid"), "org_id": str(org_id), "user_right": row.get("role")}
        )
        if binding is None:
            continue  # channel-scoped: grants nothing on apps (CAPGO.md)
        key = (binding.person_capgo_id, binding.app_id)
        kept = by_scope.get(key)
        if kept is None:
            by_scope[key] = binding
            continue
        if kept.role != binding.role:
            snapshot.warnings.append(
                f"organization {org_id}: member {binding.person_capgo_id} listed as both "
                f"'{kept.role}' and '{binding.role}'; kept the one that grants less"
            )
            if _grants_on_org(kept) and not _grants_on_org(binding):
                by_scope[key] = binding
    return list(by_scope.values())


def fetch_snapshot(client: CapgoClient, progress: Callable[[str], None]) -> Snapshot:
    snapshot = Snapshot()
    orgs = client.get_all("/organization")
    progress(f"{len(orgs)} organizations")
    for position, row in enumerate(orgs, start=1):
        org = r.organization_from_capgo(row, snapshot.warnings)
        listing = OrganizationListing(organization=org)
        members = client.get_all("/organization/members", {"orgId": str(org.capgo_id)})
        listing.bindings = _members(members, org.capgo_id, snapshot)
        for app in client.get_all("/app", {"org_id": str(org.capgo_id)}):
            owned = (
                {**app, "owner_org": app.get("owner_org") or str(org.capgo_id)}
                if isinstance(app, dict)
                else app
            )
            listing.projects.append(r.project_from_capgo(owned))
        snapshot.listings.append(listing)
        name = org.values.get("name", org.capgo_id)
        progress(
            f"[{position}/{len(orgs)}] {name}: {len(listing.bindings)} members, {len(listing.projects)} apps"
        )
    return snapshot
