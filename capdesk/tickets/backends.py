"""The sign-in backend: Django's own, loading each signed-in user with whether they are restricted to queues."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from capdesk.tickets.scoping import restricted


class AgentBackend(ModelBackend):
    """``ModelBackend`` whose per-request user query also answers ``scoping.RESTRICTED``, so
    scoping an unrestricted agent's tickets asks the database nothing more."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            # Stop here: the plain ModelBackend listed after this one (for sessions and portal
            # sign-ins made under its name) would hash the same wrong password a second time.
            raise PermissionDenied
        return user

    def get_user(self, user_id: Any) -> Any:
        model = get_user_model()
        user = restricted(model._default_manager.filter(pk=user_id)).first()
        return user if user is not None and self.user_can_authenticate(user) else None
