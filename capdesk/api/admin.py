"""API tokens in Django admin: made here (the secret is shown on the next page, once), revoked here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from capdesk.api import actions
from capdesk.api.models import ApiToken
from capdesk.core import audit


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = ["name", "prefix", "scope", "user", "person", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["scope", "revoked_at"]
    search_fields = ["name", "prefix", "user__username"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    # Found by name or address (the directory's admin searches them), not by a raw id.
    autocomplete_fields = ["person"]
    actions = ["revoke"]

    def get_readonly_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> list[str]:
        # Who owns a token and what it may do are fixed once it exists: revoke and issue another.
        fixed = ["name", "scope", "user", "person"] if obj is not None else []
        return [*fixed, *self.readonly_fields]

    def save_model(
        self, request: HttpRequest, obj: ApiToken, form: ModelForm[ApiToken], change: bool
    ) -> None:
        if not change:
            # Kept on the request only, for response_add; the database gets the hash.
            request._capdesk_token_plaintext = actions.prepare_token(obj)  # type: ignore[attr-defined]
        revoking = change and "revoked_at" in form.changed_data and obj.revoked_at is not None
        super().save_model(request, obj, form, change)
        by = request.user if isinstance(request.user, AbstractBaseUser) else None
        if not change:
            actions.audit_token(audit.Action.API_TOKEN_CREATED, obj, by=by, request=request)
        elif revoking:
            actions.audit_token(audit.Action.API_TOKEN_REVOKED, obj, by=by, request=request)

    def response_add(
        self, request: HttpRequest, obj: ApiToken, post_url_continue: str | None = None
    ) -> HttpResponse:
        plaintext = getattr(request, "_capdesk_token_plaintext", None)
        if plaintext is None:
            return super().response_add(request, obj, post_url_continue)
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "title": "API token created",
            "token": obj,
            "plaintext": plaintext,
            "opts": self.opts,
        }
        response = TemplateResponse(request, "admin/api/token_created.html", context)
        response["Cache-Control"] = "no-store"  # the only copy of the secret must not sit in a cache
        return response

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset:
            by = request.user if isinstance(request.user, AbstractBaseUser) else None
            actions.revoke_token(token, by=by, request=request)
        messages.success(request, f"{queryset.count()} token(s) revoked.")
