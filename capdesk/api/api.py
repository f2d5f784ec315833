"""The REST API: one NinjaAPI, its routers, bearer tokens, and one error shape."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import NinjaAPI

from capdesk.api import customer, directory, errors, macros, schemas, status, tickets
from capdesk.api.auth import TokenAuth, caller

api = NinjaAPI(
    title="Capdesk API",
    version="1",
    description=(
        "Capgo's support desk. Authenticate with `Authorization: Bearer <token>`; tokens have a scope "
        "(agent, platform, status_admin, read_only, customer) and see what their owner sees. "
        "Customers read and answer their own requests under /api/customer/: with their own customer "
        "token, or through Capgo's dashboard (its platform token plus the customer's signed identity "
        "token in X-Capgo-Identity). Agents' macros are under /api/macros (staff tokens read them and "
        "fill one in for a ticket without sending it; agent tokens write their own). Every error is "
        '`{"error": {"code", "message", "details"}}`. Lists are paged by an opaque `next_cursor`. '
        "Creates accept an `Idempotency-Key` header. Over the token's rate limit: 429 with Retry-After."
    ),
    auth=TokenAuth(),
    urls_namespace="api",
    # The OpenAPI document is the contract; no Swagger page (it would load scripts our CSP refuses).
    docs_url=None,
)
errors.install(api)
api.add_router("/", tickets.router)
api.add_router("/", macros.router)
api.add_router("/directory", directory.router)
api.add_router("/status", status.router)
api.add_router("/customer", customer.router)


@api.get("/me", response={200: schemas.Me, **tickets.ERRORS}, tags=["tokens"], summary="The calling token")
def me(request: HttpRequest) -> dict[str, Any]:
    token = caller(request)
    return {
        "name": token.name,
        "scope": token.scope,
        "user": token.user.get_username() if token.user else None,
        "account_id": token.person.capgo_id if token.person else None,
        "limit_per_minute": token.limit_per_minute,
    }
