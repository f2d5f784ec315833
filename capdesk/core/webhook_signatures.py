"""Standard Webhooks signatures (https://www.standardwebhooks.com), both directions.

A message is signed with HMAC-SHA256 over ``"{webhook-id}.{webhook-timestamp}.{body}"``
using the secret's bytes (the secret is written ``whsec_<base64>``). The
``webhook-signature`` header holds one or more space-separated ``v1,<base64>``
entries, so a sender can rotate secrets by signing with the old and the new one.
Capgo signs its outgoing webhooks this way; the notify app signs ours the same way.

Verification refuses a message whose timestamp is too far from now in either
direction: with the webhook-id kept for that window (the receiver's job), a captured
message cannot be replayed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass

SECRET_PREFIX = "whsec_"  # noqa: S105 (the spec's prefix, not a secret)
SIGNATURE_VERSION = "v1"
DEFAULT_TOLERANCE_SECONDS = 300
# The spec's headers; some senders use the `svix-` or `webhook-` spelling, and HTTP
# header names are case-insensitive, so lookups lower-case them.
ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"


class WebhookVerificationError(Exception):
    """The message is not proven to come from the holder of the secret, now; ``code`` names why."""

    code = "invalid_signature"


class MissingHeaders(WebhookVerificationError):
    code = "missing_headers"


class InvalidTimestamp(WebhookVerificationError):
    code = "invalid_timestamp"


class StaleTimestamp(WebhookVerificationError):
    code = "stale_timestamp"


class BadSignature(WebhookVerificationError):
    code = "invalid_signature"


class InvalidSecret(ValueError):
    """The configured secret is not ``whsec_`` followed by base64."""


@dataclass(frozen=True)
class VerifiedMessage:
    """A message whose signature and timestamp checked out."""

    webhook_id: str
    timestamp: int
    body: bytes


def generate_secret(num_bytes: int = 24) -> str:
    """A fresh secret in the spec's ``whsec_<base64>`` form (24 to 64 random bytes)."""
    if not 24 <= num_bytes <= 64:
        raise ValueError("a secret has between 24 and 64 bytes")
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(num_bytes)).decode()


def secret_bytes(secret: str) -> bytes:
    """The key bytes of a ``whsec_...`` secret (the prefix is optional, as in the reference libraries)."""
    raw = secret.strip()
    if raw.startswith(SECRET_PREFIX):
        raw = raw[len(SECRET_PREFIX) :]
    try:
        key = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidSecret("the webhook secret must be 'whsec_' followed by base64") from None
    if not key:
        raise InvalidSecret("the webhook secret is empty")
    return key


def _signed_content(webhook_id: str, timestamp: int | str, body: bytes) -> bytes:
    return f"{webhook_id}.{timestamp}.".encode() + body


def signature(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """The ``v1,<base64>`` signature of one message."""
    digest = hmac.new(secret_bytes(secret), _signed_content(webhook_id, timestamp, body), hashlib.sha256)
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest.digest()).decode()}"


def sign(
    secret: str | list[str], webhook_id: str, body: bytes, *, timestamp: int | None = None
) -> dict[str, str]:
    """The three headers for sending ``body``; several secrets give several signatures (rotation)."""
    ts = int(time.time()) if timestamp is None else timestamp
    keys = [secret] if isinstance(secret, str) else secret
    return {
        ID_HEADER: webhook_id,
        TIMESTAMP_HEADER: str(ts),
        SIGNATURE_HEADER: " ".join(signature(key, webhook_id, ts, body) for key in keys),
    }


def _header(headers: Mapping[str, str], name: str) -> str:
    lowered = {key.lower(): value for key, value in headers.items()}
    return lowered.get(name, "").strip()


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> VerifiedMessage:
    """Check the headers against the body; raise a ``WebhookVerificationError`` naming what failed."""
    key = secret_bytes(secret)
    webhook_id = _header(headers, ID_HEADER)
    raw_timestamp = _header(headers, TIMESTAMP_HEADER)
    signatures = _header(headers, SIGNATURE_HEADER)
    missing = [
        name
        for name, value in (
            (ID_HEADER, webhook_id),
            (TIMESTAMP_HEADER, raw_timestamp),
            (SIGNATURE_HEADER, signatures),
        )
        if not value
    ]
    if missing:
        raise MissingHeaders(f"missing header(s): {', '.join(missing)}")
    try:
        timestamp = int(raw_timestamp)
    except ValueError:
        raise InvalidTimestamp(f"{TIMESTAMP_HEADER} is not a Unix time in seconds") from None
    current = time.time() if now is None else now
    if timestamp < current - tolerance_seconds:
        raise StaleTimestamp(f"{TIMESTAMP_HEADER} is older than {tolerance_seconds} seconds")
    if timestamp > current + tolerance_seconds:
        raise StaleTimestamp(f"{TIMESTAMP_HEADER} is more than {tolerance_seconds} seconds in the future")

    # The header as sent, not the parsed integer, is what the sender signed.
    expected = hmac.new(key, _signed_content(webhook_id, raw_timestamp, body), hashlib.sha256).digest()
    for entry in signatures.split():
        version, _, encoded = entry.partition(",")
        if version != SIGNATURE_VERSION:
            continue  # other schemes (v1a: asymmetric) are not ours to check
        try:
            candidate = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            continue
        if hmac.compare_digest(candidate, expected):
            return VerifiedMessage(webhook_id=webhook_id, timestamp=timestamp, body=body)
    raise BadSignature("no signature in webhook-signature matches the body")
