"""The API's URLs: django-ninja's, with our error body for wrong methods and unknown paths too."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern, URLResolver, re_path
from django.views.decorators.csrf import csrf_exempt

from capdesk.api.api import api
from capdesk.api.errors import error_response


def _json_405(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """django-ninja answers a wrong method with a plain-text 405; ours keeps the Allow header."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            response = error_response(
                405, "method_not_allowed", f"{request.method} is not allowed here; use {allowed}."
            )
            response["Allow"] = allowed
        return response

    return wrapper


@csrf_exempt
def unknown_path(request: HttpRequest, rest: str = "") -> HttpResponse:
    return error_response(404, "not_found", f"No API operation at {request.path}.")


def _patterns() -> list[URLPattern | URLResolver]:
    patterns, _, _ = api.urls
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = _json_405(pattern.callback)
    # Last: anything under /api/ that no operation matched (the status page's /api/v2/*.json
    # is matched before the API is included, see capdesk/urls.py).
    return [*patterns, re_path(r"^(?P<rest>.*)$", unknown_path, name="unknown")]


app_name = "api"
urlpatterns = _patterns()
