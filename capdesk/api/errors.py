"""One error body for every API error: ``{"error": {"code", "message", "details"}}``.

Clients branch on ``code`` (stable, snake_case), show ``message`` (for people), and
read ``details`` where the code says there are some (the fields that failed
validation). Authentication, permission, missing objects, validation, rate limits,
conflicts, wrong methods, unknown paths and unexpected failures all answer this way.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

if TYPE_CHECKING:
    from ninja import NinjaAPI

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """An answer other than success, raised anywhere below an operation."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


class RateLimited(ApiError):
    def __init__(self, retry_after: int, limit: int) -> None:
        super().__init__(
            429,
            "rate_limited",
            f"This token may make {limit} requests a minute; retry after {retry_after} seconds.",
            {"limit_per_minute": limit, "retry_after": retry_after},
        )
        self.retry_after = retry_after


def forbidden(message: str) -> ApiError:
    return ApiError(403, "forbidden", message)


def not_found(message: str = "Not found.") -> ApiError:
    return ApiError(404, "not_found", message)


def error_response(status: int, code: str, message: str, details: Any = None) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "details": details}}, status=status)


def _api_error(request: HttpRequest, exc: Any) -> HttpResponse:
    assert isinstance(exc, ApiError)
    response = error_response(exc.status, exc.code, exc.message, exc.details)
    if isinstance(exc, RateLimited):
        response["Retry-After"] = str(exc.retry_after)  # RFC 9110: delta-seconds
    if exc.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="capdesk"'
    return response


def _authentication(request: HttpRequest, exc: Any) -> HttpResponse:
    response = error_response(401, "unauthorized", "Send a valid API token: 'Authorization: Bearer <token>'.")
    response["WWW-Authenticate"] = 'Bearer realm="capdesk"'
    return response


def _http_error(request: HttpRequest, exc: Any) -> HttpResponse:
    assert isinstance(exc, HttpError)
    if isinstance(exc, Throttled):
        return _api_error(request, RateLimited(int(exc.wait or 60), 0))
    codes = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}
    return error_response(exc.status_code, codes.get(exc.status_code, "error"), str(exc))


def _not_found(request: HttpRequest, exc: Any) -> HttpResponse:
    return error_response(404, "not_found", "Not found.")


def _validation(request: HttpRequest, exc: Any) -> HttpResponse:
    assert isinstance(exc, ValidationError)
    details = [
        {"loc": list(e.get("loc", ())), "message": str(e.get("msg", "")), "type": str(e.get("type", ""))}
        for e in exc.errors
    ]
    return error_response(422, "validation_error", "The request is not valid; see details.", details)


def _unexpected(request: HttpRequest, exc: Any) -> HttpResponse:
    logger.exception("api.unexpected_error", extra={"path": request.path})
    return error_response(500, "internal_error", "Something went wrong on our side; it has been logged.")


def install(api: NinjaAPI) -> None:
    """Replace django-ninja's default handlers (their bodies are ``{"detail": ...}``) with ours."""
    api.add_exception_handler(ApiError, _api_error)
    api.add_exception_handler(AuthenticationError, _authentication)
    api.add_exception_handler(HttpError, _http_error)
    api.add_exception_handler(Http404, _not_found)
    api.add_exception_handler(ValidationError, _validation)
    api.add_exception_handler(Exception, _unexpected)
