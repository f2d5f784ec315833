"""Capgo's rows and webhook payloads as CAPGO.md records them, for the sync tests."""

from __future__ import annotations

import json
from typing import Any

ACME = "6aa5b0a0-0b3c-4d6e-8f00-000000000001"
OTHER = "6aa5b0a0-0b3c-4d6e-8f00-000000000002"
DEWI = "0d1e2f30-4a5b-4c6d-8e7f-000000000011"
RUDI = "0d1e2f30-4a5b-4c6d-8e7f-000000000012"
CHANNEL_ID = 4711


def org_row(org_id: str = ACME, name: str = "Acme Apps", **extra: Any) -> dict[str, Any]:
    return {
        "id": org_id,
        "created_by": DEWI,
        "name": name,
        "management_email": "billing@acme.test",
        "customer_id": "cus_123",
        **extra,
    }


def app_row(app_id: str = "com.acme.shop", owner_org: str = ACME, name: str = "Acme Shop") -> dict[str, Any]:
    return {
        "id": "a0000000-0000-4000-8000-000000000001",
        "app_id": app_id,
        "name": name,
        "owner_org": owner_org,
    }


def org_user_row(
    user_id: str = DEWI,
    org_id: str = ACME,
    *,
    app_id: str | None = None,
    channel_id: int | None = None,
    user_right: str | None = "write",
    role: str | None = None,
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": 91,
        "user_id": user_id,
        "org_id": org_id,
        "app_id": app_id,
        "channel_id": channel_id,
        "user_right": user_right,
    }
    if role is not None:
        row["role"] = role
    return row


def event(
    table: str,
    operation: str,
    *,
    new: dict[str, Any] | None = None,
    old: dict[str, Any] | None = None,
    org_id: str = ACME,
) -> dict[str, Any]:
    record = new or old or {}
    return {
        "type": "table_change",
        "event": f"{table}.{operation}",
        "event_id": f"evt_{table}_{operation}",
        "timestamp": "2026-03-02T03:04:05Z",
        "org_id": org_id,
        "data": {
            "table": table,
            "operation": operation,
            "record_id": str(record.get("id", "")),
            "old_record": old,
            "new_record": new,
            "changed_fields": sorted(new) if new and old else [],
            "actor_id": DEWI,
            "actor_type": "user",
        },
    }


def body(payload: object) -> bytes:
    return json.dumps(payload).encode()
