"""Cursor pagination: opaque, signed cursors over a unique, immutable ordering key (the row id).

Offsets skip or repeat rows when rows are added between two pages; a cursor that
says "after id 1042" does not. The cursor is signed so a client cannot hand-craft
one (it would gain nothing, every query is scoped, but a clear 422 beats a guess).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.core import signing
from django.db.models import Model, QuerySet

from capdesk.api.errors import ApiError

M = TypeVar("M", bound=Model)
T = TypeVar("T")

_SALT = "capdesk.api.cursor"
MAX_LIMIT = 200


def encode_cursor(last_id: int, *, descending: bool) -> str:
    return signing.dumps({"after": last_id, "desc": descending}, salt=_SALT, compress=True)


def decode_cursor(cursor: str, *, descending: bool) -> int:
    try:
        data = signing.loads(cursor, salt=_SALT)
    except signing.BadSignature:
        raise ApiError(422, "invalid_cursor", "The cursor is not one this API gave out.") from None
    if not isinstance(data, dict) or data.get("desc") != descending or not isinstance(data.get("after"), int):
        raise ApiError(422, "invalid_cursor", "The cursor belongs to another listing.")
    after: int = data["after"]
    return after


def paginate(
    rows: QuerySet[M],
    *,
    cursor: str | None,
    limit: int,
    serialize: Callable[[M], T],
    descending: bool = False,
) -> dict[str, object]:
    """One page of ``rows`` ordered by id, and the cursor of the next page (None on the last)."""
    if cursor:
        after = decode_cursor(cursor, descending=descending)
        rows = rows.filter(pk__lt=after) if descending else rows.filter(pk__gt=after)
    rows = rows.order_by("-pk" if descending else "pk")
    page = list(rows[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    next_cursor = encode_cursor(int(page[-1].pk), descending=descending) if more else None
    return {"items": [serialize(row) for row in page], "next_cursor": next_cursor}
