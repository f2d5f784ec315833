"""The registry of channels: each one names itself and the handler that processes its requests.

Adding a channel means registering it in its own module; nothing else is edited.

Processing runs in two phases so that SQLite's single write lock is held only for the
writes: a channel may register a ``prepare`` step that does the slow, read-only work
(parse MIME, authenticate the sender, classify, read the directory) outside the write
transaction, for several requests at once, and returns for each the short write step
that ``intake.actions`` runs inside it. A channel that registers a plain handler gets
all of its work done in the write phase, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from capdesk.intake.models import InboundRequest
    from capdesk.tickets.models import Ticket

Handler = Callable[["InboundRequest"], "Ticket | None"]
# Per request, in order: its write step, or the exception that preparing it raised.
Prepared = Handler | Exception
PrepareMany = Callable[[Sequence["InboundRequest"]], list[Prepared]]
_HANDLERS: dict[str, PrepareMany] = {}


class Unprocessable(Exception):
    """The request can never be processed as it is: quarantine it with this reason.

    ``tell`` is the sender's address when they can fix the cause (a file too large) and
    should hear why nothing happened, in ``language``; empty when nobody is told.
    ``answering`` is the Message-ID of their email, which the notice answers.
    ``explain`` says the reason to them, called with ``language`` active; without it
    they read ``reason``, which is written for the admins who read the quarantine.
    ``cause`` is the kind of reason (``InboundRequest.Cause``): which admin action can help.
    """

    def __init__(
        self,
        reason: str,
        *,
        tell: str = "",
        answering: str = "",
        language: str = "en",
        explain: Callable[[], str] | None = None,
        cause: str = "refused",
    ) -> None:
        super().__init__(reason)
        self.cause = cause
        self.tell = tell
        self.answering = answering
        self.language = language
        self.explain = explain


def register(name: str) -> Callable[[Handler], Handler]:
    """A one-phase channel: its handler does everything inside the write transaction."""

    def decorator(handler: Handler) -> Handler:
        _HANDLERS[name] = lambda requests: [handler for _ in requests]
        return handler

    return decorator


def register_prepared(name: str) -> Callable[[PrepareMany], PrepareMany]:
    """A two-phase channel: ``prepare`` reads (never writes) and returns each request's write step.

    The write step receives the request row as locked and re-checked by ``intake.actions``;
    it must not rely on anything ``prepare`` saw being unchanged except the stored request.
    """

    def decorator(prepare: PrepareMany) -> PrepareMany:
        _HANDLERS[name] = prepare
        return prepare

    return decorator


def registered() -> frozenset[str]:
    return frozenset(_HANDLERS)


def prepare(requests: Sequence[InboundRequest]) -> list[Prepared]:
    """Each request's write step, in order; channels are prepared a group at a time.

    A failure to prepare is returned in the request's place, never raised, so one bad
    request cannot stop the others.
    """
    by_channel: dict[str, list[int]] = {}
    for index, request in enumerate(requests):
        by_channel.setdefault(request.channel, []).append(index)
    out: list[Prepared] = [Unprocessable("not prepared")] * len(requests)
    for name, indexes in by_channel.items():
        preparer = _HANDLERS.get(name)
        if preparer is None:
            for i in indexes:
                out[i] = Unprocessable(f"no handler for channel {name!r}")
            continue
        group = [requests[i] for i in indexes]
        steps = _prepare_group(preparer, group)
        for i, step in zip(indexes, steps, strict=True):
            out[i] = step
    return out


def _prepare_group(preparer: PrepareMany, group: list[InboundRequest]) -> list[Prepared]:
    try:
        return preparer(group)
    except Exception as exc:
        if len(group) == 1:
            return [exc]
    # One request broke the batch step: prepare each alone so the others are not charged for it.
    return [step for request in group for step in _prepare_group(preparer, [request])]
