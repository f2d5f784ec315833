"""Idempotency-Key on creates: a retried request gets the first answer, not a second ticket.

The key is claimed by inserting its row in the same transaction as the create, so two
copies of one request racing each other serialise on the unique (token, key): the
second waits for the first to commit, then replays its answer. The same key with a
different body (or on another operation) is a client bug, answered 422. A create that
failed leaves no row (the transaction rolled back), so retrying it really retries.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from capdesk.api.errors import ApiError
from capdesk.api.models import ApiToken, IdempotencyRecord

HEADER = "Idempotency-Key"
Result = tuple[int, dict[str, Any]]


def _fingerprint(body: bytes) -> str:
    """The same JSON document with other spacing or key order is the same request."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (UnicodeDecodeError, json.JSONDecodeError):
        canonical = body
    return hashlib.sha256(canonical).hexdigest()


def run_once(
    request: HttpRequest, response: HttpResponse, token: ApiToken, create: Callable[[], Result]
) -> Result:
    """Run ``create`` (returning status and JSON body) at most once per Idempotency-Key of this token."""
    key = request.headers.get(HEADER, "").strip()
    if not key:
        return create()
    if len(key) > 255:
        raise ApiError(422, "invalid_idempotency_key", f"{HEADER} is longer than 255 characters.")
    operation = f"{request.method} {request.path}"[:200]
    fingerprint = _fingerprint(request.body)
    with transaction.atomic():
        keep = timedelta(hours=settings.CAPDESK_API_IDEMPOTENCY_HOURS)
        IdempotencyRecord.objects.filter(token=token, created_at__lt=timezone.now() - keep).delete()
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    token=token, key=key, operation=operation, request_hash=fingerprint
                )
        except IntegrityError:
            return _replay(token, key, operation, fingerprint, response)
        status, body = create()
        record.status_code, record.response = status, body
        record.save(update_fields=["status_code", "response"])
    return status, body


def _replay(token: ApiToken, key: str, operation: str, fingerprint: str, response: HttpResponse) -> Result:
    first = IdempotencyRecord.objects.get(token=token, key=key)
    if first.operation != operation or first.request_hash != fingerprint:
        raise ApiError(
            422,
            "idempotency_key_reused",
            f"This {HEADER} was used for a different request; use a new key for a new request.",
            {"first_used_on": first.operation},
        )
    if not first.status_code:
        raise ApiError(409, "idempotency_key_in_use", f"A request with this {HEADER} is still running.")
    response["Idempotent-Replayed"] = "true"
    return first.status_code, first.response
