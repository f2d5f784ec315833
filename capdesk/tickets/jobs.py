"""Periodic ticket work: solved tickets close once nobody answered them for a while."""

from __future__ import annotations

from capdesk.core.schedule import every
from capdesk.tickets.actions import close_solved


@every(3600, name="tickets.close_solved")
def _close_solved() -> int:
    return close_solved()
