"""API tokens: made (shown once), looked up by hash, revoked."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from capdesk.api.models import ApiToken, Scope
from capdesk.core import audit
from capdesk.core.models import ActorKind
from capdesk.directory.models import Person
from capdesk.tickets import scoping

logger = logging.getLogger(__name__)

# "cdk_" says what a leaked string is, so secret scanners and people recognise it.
TOKEN_PREFIX = "cdk_"  # noqa: S105 (a public marker, not a secret)
# last_used_at is for people ("is this token still in use?"): once a minute is precise enough
# and spares a write on every request.
_TOUCH_EVERY = timedelta(minutes=1)


def hash_token(token: str) -> str:
    """SHA-256, not a slow password hash: a token has 256 random bits, nothing to brute-force."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    plaintext: str  # shown once, never stored


def new_plaintext() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def prepare_token(token: ApiToken) -> str:
    """Give an unsaved token its secret; returns the plaintext, of which only the hash is kept."""
    plaintext = new_plaintext()
    token.token_hash = hash_token(plaintext)
    token.prefix = plaintext[: len(TOKEN_PREFIX) + 6]
    return plaintext


@transaction.atomic
def create_token(
    *,
    name: str,
    scope: str,
    user: AbstractBaseUser | None = None,
    person: Person | None = None,
    rate_limit_per_minute: int | None = None,
    expires_at: datetime | None = None,
    by: AbstractBaseUser | None = None,
    request: HttpRequest | None = None,
) -> IssuedToken:
    """Issue a token owned by a user (any scope) or a customer (read-only); the plaintext is returned once."""
    if scope not in Scope.values:
        raise ValueError(f"unknown scope {scope!r}; one of {', '.join(Scope.values)}")
    token = ApiToken(
        name=name,
        scope=scope,
        user_id=user.pk if user is not None else None,
        person=person,
        rate_limit_per_minute=rate_limit_per_minute,
        expires_at=expires_at,
    )
    token.full_clean(exclude=["token_hash", "prefix"])
    plaintext = prepare_token(token)
    token.save()
    logger.info("api.token_created", extra={"token_id": token.pk, "scope": scope, "prefix": token.prefix})
    audit_token(audit.Action.API_TOKEN_CREATED, token, by=by, request=request)
    return IssuedToken(token=token, plaintext=plaintext)


@transaction.atomic
def revoke_token(
    token: ApiToken, *, by: AbstractBaseUser | None = None, request: HttpRequest | None = None
) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        logger.info("api.token_revoked", extra={"token_id": token.pk, "prefix": token.prefix})
        audit_token(audit.Action.API_TOKEN_REVOKED, token, by=by, request=request)


def audit_token(
    action: str, token: ApiToken, *, by: AbstractBaseUser | None, request: HttpRequest | None
) -> None:
    """A staff user in the admin, or (no user) the ``api-token`` command run on the server."""
    audit.record(
        action,
        actor_kind=ActorKind.STAFF if by is not None else ActorKind.SYSTEM,
        user=by,
        label="" if by is not None else "api-token command",
        target_type="api_token",
        target_id=token.pk,
        request=request,
        details={"name": token.name, "scope": token.scope, "prefix": token.prefix},
    )


def token_for(plaintext: str) -> ApiToken | None:
    """The live token this plaintext is, or None: unknown, revoked, expired, or its owner lost access."""
    if not plaintext.startswith(TOKEN_PREFIX):
        return None
    tokens = ApiToken.objects.select_related("user", "person").filter(token_hash=hash_token(plaintext))
    # Whether the owner is restricted to queues, in the same query (tickets.scoping.RESTRICTED).
    token = scoping.restricted(tokens, "user_id").first()
    now = timezone.now()
    if token is None or token.revoked_at is not None or (token.expires_at and token.expires_at <= now):
        return None
    if token.user is not None:
        setattr(token.user, scoping.RESTRICTED, getattr(token, scoping.RESTRICTED))
        if not token.user.is_active:
            return None
        # An agent token is staff access: it ends the moment its owner stops being staff.
        if token.scope == Scope.AGENT and not getattr(token.user, "is_staff", False):
            return None
    if token.last_used_at is None or now - token.last_used_at >= _TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
