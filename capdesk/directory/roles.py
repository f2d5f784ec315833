"""Capgo's roles and the one rule that matters for E4: Developer-or-higher on a project.

CAPGO.md: Developer-or-higher on an app is ``app_developer`` or ``app_admin`` bound
on that app, or ``org_admin`` / ``org_super_admin`` bound on its organization.
Never compare Capgo's numeric ``priority_rank``: ``org_member`` (75) and
``org_billing_admin`` (80) outrank ``app_developer`` (68) yet grant no app rights.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ORG_SUPER_ADMIN = "org_super_admin"
    ORG_ADMIN = "org_admin"
    ORG_BILLING_ADMIN = "org_billing_admin"
    ORG_MEMBER = "org_member"
    APP_ADMIN = "app_admin"
    APP_DEVELOPER = "app_developer"
    APP_UPLOADER = "app_uploader"
    APP_READER = "app_reader"
    APP_PREVIEW = "app_preview"
    APP_NOTIFICATIONS = "app_notifications"
    CHANNEL_ADMIN = "channel_admin"
    CHANNEL_READER = "channel_reader"
    BUNDLE_ADMIN = "bundle_admin"
    BUNDLE_READER = "bundle_reader"
    API_KEY = "api_key"


# Legacy names still seen in Capgo's public API (`read < upload < write < admin <
# super_admin`), mapped to today's roles by the scope they are bound on. `write`
# became `app_developer`; `invite_*` is a pending invitation and grants nothing.
_LEGACY_ON_ORG = {
    "read": Role.APP_READER,
    "upload": Role.APP_UPLOADER,
    "write": Role.APP_DEVELOPER,
    "admin": Role.ORG_ADMIN,
    "super_admin": Role.ORG_SUPER_ADMIN,
}
_LEGACY_ON_APP = {
    "read": Role.APP_READER,
    "upload": Role.APP_UPLOADER,
    "write": Role.APP_DEVELOPER,
    "admin": Role.APP_ADMIN,
    "super_admin": Role.APP_ADMIN,
}

ORG_ROLES_GRANTING_APPS = frozenset({Role.ORG_ADMIN, Role.ORG_SUPER_ADMIN})
APP_ROLES_GRANTING_APP = frozenset({Role.APP_DEVELOPER, Role.APP_ADMIN})
# Roles that can grant App Developer; only on their own scope, which
# `binding_can_grant_developer` checks: never use this set alone.
ROLES_THAT_CAN_GRANT = frozenset({Role.ORG_ADMIN, Role.ORG_SUPER_ADMIN, Role.APP_ADMIN})


def normalise_role(name: str, *, on_app: bool) -> Role | None:
    """Today's role for a role name as Capgo sends it; None for names that grant nothing.

    Legacy names depend on the binding's scope: legacy ``admin`` on one app is that
    app's admin, on the organization it is the organization's admin. Legacy names on
    an organization apply to all its apps, as the legacy API meant them.
    """
    raw = name.strip().lower()
    if raw.startswith("invite_"):
        return None
    legacy = (_LEGACY_ON_APP if on_app else _LEGACY_ON_ORG).get(raw)
    if legacy is not None:
        return legacy
    try:
        return Role(raw)
    except ValueError:
        return None


def is_legacy(name: str) -> bool:
    raw = name.strip().lower()
    return raw in _LEGACY_ON_ORG or raw.startswith("invite_")


@dataclass(frozen=True)
class Binding:
    """One role bound to a person: on an organization (app_id None) or on one app."""

    role: str
    org_id: str
    app_id: str | None = None


def binding_grants_developer(binding: Binding, *, app_id: str, app_org_id: str) -> bool:
    """Does this one binding make its holder Developer-or-higher on the given app?"""
    if binding.org_id != app_org_id:
        return False
    if binding.app_id is None:
        role = normalise_role(binding.role, on_app=False)
        if role in ORG_ROLES_GRANTING_APPS:
            return True
        # A legacy `write` on the organization (before app-scoped roles existed)
        # meant write access to every app of it: today's app_developer on each.
        return is_legacy(binding.role) and role in APP_ROLES_GRANTING_APP
    if binding.app_id != app_id:
        return False
    return normalise_role(binding.role, on_app=True) in APP_ROLES_GRANTING_APP


def binding_can_grant_developer(binding: Binding, *, app_id: str, app_org_id: str) -> bool:
    """Can this one binding's holder grant App Developer on the given app (named in a `deny_role` reply)?

    An administrator of the scope: ``org_admin``/``org_super_admin`` bound on the
    app's organization, or ``app_admin`` bound on that very app. An ``app_admin`` on
    another app, or an org role bound on a single app, administers nothing here.
    """
    if binding.org_id != app_org_id:
        return False
    if binding.app_id is None:
        return normalise_role(binding.role, on_app=False) in ORG_ROLES_GRANTING_APPS
    if binding.app_id != app_id:
        return False
    return normalise_role(binding.role, on_app=True) == Role.APP_ADMIN


def is_developer_or_higher(bindings: Iterable[Binding], *, app_id: str, app_org_id: str) -> bool:
    """E4: is a person with these bindings Developer-or-higher on this app?"""
    return any(binding_grants_developer(b, app_id=app_id, app_org_id=app_org_id) for b in bindings)
