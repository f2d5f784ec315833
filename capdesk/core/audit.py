"""Write the audit log: one call from each named action, next to its structured log line.

Ticket events stay in ``tickets.Event``; this log is for everything around the tickets:
sign-ins, API tokens, webhook endpoints, staff accounts (``core.access_audit``), directory
changes and settings. Addresses are redacted as in
the logs (CONVENTIONS.md habit 14): an audit row names people by account, not by mailbox.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import HttpRequest

from capdesk.core.models import ActorKind, AuditEntry


class Action:
    """The action names, grouped by what they are about (the console filters on them)."""

    CONSOLE_SIGN_IN = "console.sign_in"
    CONSOLE_SIGN_IN_FAILED = "console.sign_in_failed"
    PORTAL_MAGIC_LINK_SIGN_IN = "portal.magic_link_sign_in"
    PORTAL_DASHBOARD_SIGN_IN = "portal.dashboard_sign_in"
    PORTAL_DASHBOARD_SIGN_IN_REFUSED = "portal.dashboard_sign_in_refused"
    API_TOKEN_CREATED = "api.token_created"  # noqa: S105 (an action name, not a secret)
    API_TOKEN_REVOKED = "api.token_revoked"  # noqa: S105 (an action name, not a secret)
    DIRECTORY_WEBHOOK = "directory.webhook"
    DIRECTORY_PULL = "directory.pull"
    DIRECTORY_IMPORT = "directory.import"
    DIRECTORY_API = "directory.api"
    STATUS_API = "status.api"
    QUARANTINE_RELEASED = "quarantine.released"
    QUARANTINE_ACCEPTED = "quarantine.accepted"  # an email accepted without its files over the limits
    QUARANTINE_DISCARDED = "quarantine.discarded"
    QUARANTINE_DOWNLOADED = "quarantine.downloaded"
    INTAKE_DOWNLOADED = "intake.downloaded"  # any stored request, from the intake log
    USER_CREATED = "access.user_created"
    USER_ACCESS_CHANGED = "access.user_changed"  # staff, superuser, active, groups, permissions, queues
    USER_PASSWORD_CHANGED = "access.password_changed"  # noqa: S105 (an action name, not a secret)
    GROUP_PERMISSIONS_CHANGED = "access.group_permissions_changed"
    WEBHOOK_ENDPOINT_CREATED = "webhooks.endpoint_created"
    WEBHOOK_ENDPOINT_CHANGED = "webhooks.endpoint_changed"
    WEBHOOK_ENDPOINT_DELETED = "webhooks.endpoint_deleted"
    MACRO_SAVED = "console.macro_saved"
    MACRO_DELETED = "console.macro_deleted"
    QUEUE_AUTO_ASSIGN = "console.queue_auto_assign"

    @classmethod
    def all(cls) -> list[str]:
        return sorted(v for k, v in vars(cls).items() if k.isupper() and isinstance(v, str))


def client_ip(request: HttpRequest | None) -> str | None:
    """The peer address Django saw; a malformed one is left out rather than stored."""
    if request is None:
        return None
    address = str(request.META.get("REMOTE_ADDR") or "")
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def redact_email(address: str) -> str:
    """``j***@example.com``: enough to tell two sign-in attempts apart, not a mailbox to harvest."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else f"{address[:1]}***"


def record(
    action: str,
    *,
    actor_kind: str,
    user: AbstractBaseUser | AnonymousUser | None = None,
    label: str = "",
    target_type: str = "",
    target_id: object = "",
    request: HttpRequest | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry. Call it inside the action's transaction, so the entry and the change commit together."""
    actor = user if user is not None and user.is_authenticated else None
    if not label and actor is not None:
        label = actor.get_username()
    return AuditEntry.objects.create(
        action=action,
        actor_kind=actor_kind,
        actor_user_id=actor.pk if actor is not None else None,
        actor_label=label[:200],
        target_type=target_type,
        target_id=str(target_id)[:200],
        ip=client_ip(request),
        details=details or {},
    )


def record_staff(
    action: str, user: AbstractBaseUser | AnonymousUser, *, request: HttpRequest | None = None, **kw: Any
) -> AuditEntry:
    return record(action, actor_kind=ActorKind.STAFF, user=user, request=request, **kw)


def record_failed_sign_in(username: str, *, request: HttpRequest) -> AuditEntry:
    """The name typed, cut short: a password pasted into the name field must not land here whole."""
    return record(
        Action.CONSOLE_SIGN_IN_FAILED,
        actor_kind=ActorKind.ANONYMOUS,
        label=username.strip()[:150],
        request=request,
    )


def person_label(person: Any) -> str:
    return f"{person.name or 'customer'} ({person.capgo_id})"


def record_customer_sign_in(action: str, person: Any, *, request: HttpRequest) -> AuditEntry:
    return record(
        action,
        actor_kind=ActorKind.CUSTOMER,
        user=request.user,
        label=person_label(person),
        target_type="person",
        target_id=person.capgo_id,
        request=request,
    )


def record_refused_sso(reason: str, *, request: HttpRequest) -> AuditEntry:
    return record(
        Action.PORTAL_DASHBOARD_SIGN_IN_REFUSED,
        actor_kind=ActorKind.ANONYMOUS,
        request=request,
        details={"reason": reason},
    )


def nonzero_changes(counts: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """A sync summary's counts without the zeros and the "unchanged": what the entry is about."""
    return {
        kind: {verb: n for verb, n in verbs.items() if n and verb != "unchanged"}
        for kind, verbs in counts.items()
        if any(n and verb != "unchanged" for verb, n in verbs.items())
    }


def record_directory(
    action: str,
    summary: Any,
    *,
    actor_kind: str,
    label: str,
    user: AbstractBaseUser | None = None,
    request: HttpRequest | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """One entry per sync (a webhook, a pull, an import, an API upsert): what it changed, counted."""
    return record(
        action,
        actor_kind=actor_kind,
        user=user,
        label=label,
        target_type="directory",
        request=request,
        details={
            **(details or {}),
            "changes": nonzero_changes(summary.counts),
            "warnings": list(summary.warnings)[:20],
        },
    )
