"""A database that is busy or away answers 503 with Retry-After, never a 500 that loses what was typed.

SQLite gives up on its write lock after the busy timeout ("database is locked") and a
PostgreSQL restart drops every connection; both pass in seconds. Nothing was stored
(the failing transaction rolled back), so the client is told to come back: an API
client by the status and header (RFC 9110), a person by a page that holds the text of
their form and sends it again. The form's idempotency key goes along, so a request
that was stored after all is not filed twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
# Not echoed back into the page: a secret has no business in a second response.
_SECRET_FIELDS = ("password", "token", "secret")


class DatabaseBusyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.warning(
            "core.database_busy",
            extra={"path": request.path, "method": request.method, "error": str(exception)[:200]},
        )
        response: HttpResponse
        if request.path.startswith(("/api/", "/hooks/")) or "json" in request.headers.get("Accept", ""):
            response = JsonResponse(
                {"error": "busy", "detail": "The database is busy; nothing was stored. Try again."},
                status=503,
            )
        else:
            fields = [
                (name, value)
                for name, values in request.POST.lists()
                for value in values
                if not any(secret in name.lower() for secret in _SECRET_FIELDS)
            ]
            response = render(
                request,
                "core/busy.html",
                {"fields": fields, "had_files": bool(request.FILES), "retry_after": RETRY_AFTER_SECONDS},
                status=503,
            )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
