"""Parsers for single directory fields, shared by Capgo's webhooks, its API and file imports.

Each takes what a source sent and returns the value the model stores, or raises
``FieldError`` with a message written for the person who has to fix the source
(``plan 'gold' is not one of solo, maker, team, enterprise``).
"""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from capdesk.directory.models import Language, Plan, SubscriptionStatus, normalise_email
from capdesk.directory.roles import Role, is_legacy

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}

# Capgo keeps subscription state in its Stripe tables: these are Stripe's statuses
# and the values of Capgo's `stripe_info.status`, mapped to ours.
_STATUS_ALIASES = {
    "trialing": SubscriptionStatus.TRIALING,
    "trial": SubscriptionStatus.TRIALING,
    "active": SubscriptionStatus.ACTIVE,
    "succeeded": SubscriptionStatus.ACTIVE,
    "updated": SubscriptionStatus.ACTIVE,
    "past_due": SubscriptionStatus.PAST_DUE,
    "unpaid": SubscriptionStatus.PAST_DUE,
    "failed": SubscriptionStatus.PAST_DUE,
    "canceled": SubscriptionStatus.CANCELED,
    "cancelled": SubscriptionStatus.CANCELED,
    "deleted": SubscriptionStatus.CANCELED,
    "none": SubscriptionStatus.NONE,
    "created": SubscriptionStatus.NONE,  # a Stripe customer without a subscription
}


class RecordError(ValueError):
    """A record lacks what identifies it, or is not the shape its source promises."""


class FieldError(RecordError):
    """One value a source sent cannot be stored; the message says which and why."""


def text(value: object) -> str:
    """A scalar as text, stripped; JSON numbers and booleans are accepted as CSV would give them."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        raise FieldError(f"expected a single value, got {type(value).__name__}")
    return str(value).strip()


def capgo_uuid(name: str, value: object) -> uuid.UUID:
    raw = text(value)
    if not raw:
        raise FieldError(f"{name} is required")
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise FieldError(f"{name} '{raw}' is not a UUID") from None


def required(name: str, value: object, *, max_length: int = 200) -> str:
    raw = text(value)
    if not raw:
        raise FieldError(f"{name} is required")
    return bounded(name, raw, max_length=max_length)


def bounded(name: str, value: object, *, max_length: int = 200) -> str:
    raw = text(value)
    if len(raw) > max_length:
        raise FieldError(f"{name} is longer than {max_length} characters")
    return raw


def _one_of(name: str, raw: str, allowed: list[str]) -> str:
    return f"{name} '{raw}' is not one of {', '.join(allowed)}"


def plan(value: object) -> Plan:
    raw = text(value)
    try:
        return Plan(raw.lower())
    except ValueError:
        raise FieldError(_one_of("plan", raw, list(Plan.values))) from None


def subscription_status(value: object, *, aliases: bool = False) -> SubscriptionStatus:
    """Our statuses; with ``aliases`` also Stripe's and Capgo's names for them."""
    raw = text(value)
    key = raw.lower()
    if aliases and key in _STATUS_ALIASES:
        return _STATUS_ALIASES[key]
    try:
        return SubscriptionStatus(key)
    except ValueError:
        raise FieldError(_one_of("subscription_status", raw, list(SubscriptionStatus.values))) from None


def language(value: object) -> Language:
    raw = text(value)
    try:
        return Language(raw.lower())
    except ValueError:
        raise FieldError(_one_of("language", raw, list(Language.values))) from None


def timestamp(name: str, value: object) -> datetime | None:
    """ISO 8601; empty clears the value; a time without a zone is read as UTC (we store UTC)."""
    raw = text(value)
    if not raw:
        return None
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise FieldError(f"{name} '{raw}' is not an ISO 8601 date or time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def money(name: str, value: object, *, max_digits: int = 12) -> Decimal:
    """A non-negative amount with at most two decimals that fits the column."""
    raw = text(value)
    if isinstance(value, float):
        raw = repr(value)
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise FieldError(f"{name} '{raw}' is not a number") from None
    if not amount.is_finite() or amount < 0:
        raise FieldError(f"{name} '{raw}' must be a number of at least 0")
    if amount != amount.quantize(Decimal("0.01")):
        raise FieldError(f"{name} '{raw}' has more than 2 decimal places")
    if amount >= Decimal(10) ** (max_digits - 2):
        raise FieldError(f"{name} '{raw}' is too large")
    return amount.quantize(Decimal("0.01"))


def boolean(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    raw = text(value)
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise FieldError(f"{name} '{raw}' is not true or false")


def timezone_name(value: object) -> str:
    raw = text(value)
    try:
        zoneinfo.ZoneInfo(raw)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise FieldError(f"timezone '{raw}' is not an IANA time zone (like Asia/Jakarta)") from None
    return raw


def email(value: object) -> str:
    raw = text(value)
    try:
        validate_email(raw)
    except ValidationError:
        raise FieldError(f"email '{raw}' is not an email address") from None
    return normalise_email(raw)


def known_role(value: object) -> str:
    """A role name Capgo defines (today's, legacy or a pending invitation), as given."""
    raw = text(value)
    name = raw.lower()
    if name in {role.value for role in Role} or is_legacy(name):
        return name
    raise FieldError(f"role '{raw}' is not a Capgo role (like app_developer, org_admin, or legacy write)")
