"""The Capgo dashboard's signed identity token: a JWT that proves who the user is.

The dashboard signs ``{"sub": <account id>, "email": ..., "aud": ..., "exp": ...}``
with the platform's key; we check signature, expiry, audience and issuer, and only
then trust the account id. The email claim must be one of the account's registered
addresses (E3), so a token for one account cannot vouch for another's address.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import jwt
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from capdesk.directory.models import EmailAddress, Person, normalise_email
from capdesk.portal.models import UsedIdentityToken

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise


class InvalidIdentity(Exception):
    """The token cannot be trusted.

    ``str()`` is the reason in English, for the log and the audit; ``explain()`` says it
    to the person signing in, in the page's language and without the token's internals.
    """

    def __init__(self, reason: str, said: StrPromise) -> None:
        super().__init__(reason)
        self.said = said

    def explain(self) -> str:
        return str(self.said)


_NOT_VALID = _("The link from the dashboard is not valid.")


@dataclass(frozen=True)
class DashboardIdentity:
    person: Person
    email: str


def verify_dashboard_token(token: str) -> DashboardIdentity:
    key = settings.CAPDESK_DASHBOARD_JWT_KEY
    if not key:
        raise InvalidIdentity(
            "dashboard sign-in is not configured", _("Signing in from the dashboard is not set up here.")
        )
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=settings.CAPDESK_DASHBOARD_JWT_ALGORITHMS,
            audience=settings.CAPDESK_DASHBOARD_JWT_AUDIENCE,
            issuer=settings.CAPDESK_DASHBOARD_JWT_ISSUER or None,
            options={"require": ["exp", "sub", "aud", "iat", "jti"]},
            leeway=30,
        )
    except jwt.ExpiredSignatureError:
        raise InvalidIdentity(
            "the sign-in token has expired", _("The link from the dashboard has expired.")
        ) from None
    except jwt.InvalidTokenError as exc:
        raise InvalidIdentity(f"the sign-in token is not valid ({type(exc).__name__})", _NOT_VALID) from None
    if (
        claims["iat"] > claims["exp"]
        or claims["exp"] - claims["iat"] > settings.CAPDESK_DASHBOARD_JWT_MAX_AGE
    ):
        raise InvalidIdentity("the sign-in token lives longer than allowed", _NOT_VALID)
    try:
        account_id = uuid.UUID(str(claims["sub"]))
    except ValueError:
        raise InvalidIdentity("the token's subject is not a Capgo account id", _NOT_VALID) from None
    if not _first_use(str(claims["jti"]), int(claims["exp"])):
        raise InvalidIdentity(
            "this sign-in token was already used", _("This link from the dashboard was already used.")
        )
    person = Person.objects.filter(capgo_id=account_id).first()
    if person is None:
        raise InvalidIdentity(
            "this Capgo account is not known to support yet",
            _(
                "Support does not know your Capgo account yet: a new account reaches us within minutes. Try again shortly."
            ),
        )
    email = normalise_email(str(claims.get("email") or person.primary_email))
    if not EmailAddress.objects.filter(person=person, email=email).exists():
        raise InvalidIdentity(
            "the token's email is not registered on this account",
            _("The dashboard sent an email address that is not registered on your Capgo account."),
        )
    return DashboardIdentity(person=person, email=email)


def _first_use(jti: str, exp: int) -> bool:
    try:
        with transaction.atomic():
            UsedIdentityToken.objects.create(jti=jti[:200], expires_at=datetime.fromtimestamp(exp, tz=UTC))
    except IntegrityError:
        return False
    return True
