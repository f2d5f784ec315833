"""Capgo's outgoing webhook payload, read into one typed event (CAPGO.md, "The platform's interfaces").

``{type, event, event_id, timestamp, org_id, data: {table, operation, record_id,
old_record, new_record, changed_fields, actor_*}}``, with ``event`` like
``org_users.INSERT``. ``data.table``/``data.operation`` win; ``event`` fills in for
either when missing. Only the shape is checked here; the rows are read by the
mapping in ``records.py`` when the event is applied.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from capdesk.directory.sync.records import RecordError


@dataclass(frozen=True)
class CapgoEvent:
    """One row change in one of Capgo's tables."""

    table: str
    operation: str  # INSERT, UPDATE or DELETE (anything else is ignored when applied)
    event_id: str = ""
    record_id: str = ""
    old_record: Mapping[str, Any] | None = None
    new_record: Mapping[str, Any] | None = None


def _record(data: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise RecordError(f"data.{name} is not a JSON object")
    return value


def parse_event(payload: object) -> CapgoEvent:
    if not isinstance(payload, Mapping):
        raise RecordError("the payload is not a JSON object")
    data = payload.get("data")
    if not isinstance(data, Mapping):
        raise RecordError("the payload has no data object")
    event_table, _, event_operation = str(payload.get("event") or "").partition(".")
    table = str(data.get("table") or event_table).strip()
    operation = str(data.get("operation") or event_operation).strip().upper()
    if not table or not operation:
        raise RecordError("the payload names no table and operation (data.table, data.operation or event)")
    event = CapgoEvent(
        table=table,
        operation=operation,
        event_id=str(payload.get("event_id") or ""),
        record_id=str(data.get("record_id") or ""),
        old_record=_record(data, "old_record"),
        new_record=_record(data, "new_record"),
    )
    if operation in ("INSERT", "UPDATE") and event.new_record is None:
        raise RecordError(f"a {operation} needs data.new_record")
    return event
