"""Who is acting, for audit entries written where no view passes a request (model signals).

Kept free of model imports: ``capdesk.cli`` sets it before Django is set up.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.http import HttpRequest, HttpResponse


class Command:
    """The actor when ``capdesk <command>`` runs: the command line, named by its command."""

    def __init__(self, name: str) -> None:
        self.name = name


current_actor: contextvars.ContextVar[HttpRequest | Command | None] = contextvars.ContextVar(
    "capdesk_audit_acting", default=None
)


@contextmanager
def acting(who: HttpRequest | str) -> Iterator[None]:
    """Changes made inside are recorded as made by this request's user, or by command ``who``."""
    token = current_actor.set(Command(who) if isinstance(who, str) else who)
    try:
        yield
    finally:
        current_actor.reset(token)


class AuditActorMiddleware:
    """Names the request's user as the actor of account changes made while it is served."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with acting(request):
            return self.get_response(request)
