"""Capgo's signed webhooks: verify, parse, hand the event to one action, answer in JSON."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from capdesk.core import webhook_signatures as signatures
from capdesk.directory import actions
from capdesk.directory.sync.events import parse_event
from capdesk.directory.sync.records import RecordError

logger = logging.getLogger(__name__)

# Missing headers and unreadable timestamps are malformed requests; a signature that
# does not match, or a timestamp outside the window, is an unauthenticated one.
_STATUS_FOR = {
    signatures.MissingHeaders: 400,
    signatures.InvalidTimestamp: 400,
    signatures.StaleTimestamp: 401,
    signatures.BadSignature: 401,
}


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"status": "error", "error": code, "message": message}, status=status)


@csrf_exempt  # authenticated by its Standard Webhooks signature, not by a browser session
@require_POST
def capgo_webhook(request: HttpRequest) -> JsonResponse:
    """Apply one of Capgo's table events (orgs, org_users, apps) to the directory."""
    secret = settings.CAPGO_WEBHOOK_SECRET
    if not secret:
        return _error(503, "not_configured", "CAPGO_WEBHOOK_SECRET is not set on this desk")
    try:
        message = signatures.verify(
            secret,
            request.headers,
            request.body,
            tolerance_seconds=settings.CAPGO_WEBHOOK_TOLERANCE_SECONDS,
        )
    except signatures.InvalidSecret as exc:
        logger.error("directory.webhook_secret_invalid", extra={"reason": str(exc)})
        return _error(503, "not_configured", "CAPGO_WEBHOOK_SECRET is not a whsec_ secret")
    except signatures.WebhookVerificationError as exc:
        logger.warning("directory.webhook_refused", extra={"reason": exc.code})
        return _error(_STATUS_FOR.get(type(exc), 401), exc.code, str(exc))
    try:
        payload = json.loads(message.body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _error(400, "malformed_json", f"the body is not JSON: {exc}")
    try:
        summary = actions.receive_capgo_webhook(message.webhook_id, parse_event(payload))
    except actions.Replayed:
        return _error(409, "replayed", f"webhook-id {message.webhook_id} was already received")
    except RecordError as exc:
        return _error(400, "invalid_event", str(exc))
    # "ignored" only when nothing changed: a binding moved onto a channel still lost its old scope.
    status = "ignored" if summary.ignored and not summary.changed else "ok"
    return JsonResponse({"status": status, **summary.as_dict()})
