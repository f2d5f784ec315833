"""The registry of channels: each one names itself and the handler that processes its requests.

Adding a channel means registering it in its own module; nothing else is edited.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from capdesk.intake.models import InboundRequest
    from capdesk.tickets.models import Ticket

Handler = Callable[["InboundRequest"], "Ticket | None"]
_HANDLERS: dict[str, Handler] = {}


class Unprocessable(Exception):
    """The request can never be processed as it is: quarantine it with this reason."""


def register(name: str) -> Callable[[Handler], Handler]:
    def decorator(handler: Handler) -> Handler:
        _HANDLERS[name] = handler
        return handler

    return decorator


def registered() -> frozenset[str]:
    return frozenset(_HANDLERS)


def handler_for(name: str) -> Handler:
    try:
        return _HANDLERS[name]
    except KeyError:
        raise Unprocessable(f"no handler for channel {name!r}") from None
