"""Receivers found failing, so that deliveries stop trying them for a while (circuit breakers).

A mail relay that is down (or hangs, or refuses the desk's sender) fails every email the
same way; a webhook endpoint that hangs fails every event posted to it. Without this,
every delivery task tried anyway, each costing a connection attempt or a whole timeout:
behind a hung receiver and a steady flow of events, the outbound worker did little but
wait, and the email, webhooks and chat alerts queued behind those tasks waited with it.

So a delivery that finds its receiver failing (``Passage.failed``) opens its circuit
until ``retry_at``: 30 s, doubling up to ``BACKOFF_CAP``. Until then a delivery to that
receiver (``passage`` yields None) claims nothing, counts no attempt and connects to
nothing; it stays queued for the sweeps. The first delivery after ``retry_at`` takes the
try for itself (one conditional UPDATE: one worker at a time), and what it finds closes
the circuit or keeps it open for longer. A try that found nothing to send hands it on.
Kept in the database: the outbound workers are separate processes, maybe on other machines.

Circuits, by name: ``mail`` (the email transport, ``notify.actions``), ``webhook:<endpoint
id>`` (``notify.webhooks``), ``status-webhook:<subscriber id>`` (``status.delivery``) and
``chat`` (``sla.chat``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from capdesk.core.deliveries import backoff
from capdesk.core.models import Circuit

logger = logging.getLogger(__name__)

BACKOFF_CAP = timedelta(minutes=5)
MAIL = "mail"


@dataclass
class Passage:
    """A delivery's way to its receiver; ``trying_until`` is set when it is the try of an open circuit."""

    name: str
    trying_until: datetime | None = None
    settled: bool = field(default=False, init=False)

    def failed(self, error: str, *, wait: timedelta = timedelta(0)) -> None:
        """The receiver failed: open its circuit, or keep it open for longer (at least ``wait``:
        a receiver's Retry-After)."""
        self.settled = True
        _record_failure(self.name, error, wait, holding=self.trying_until)

    def worked(self) -> None:
        """The receiver answered: an open circuit closes."""
        if self.trying_until is not None and not self.settled:
            self.settled = True
            if Circuit.objects.filter(name=self.name).delete()[0]:
                logger.info("circuits.closed", extra={"circuit": self.name})

    def settle(self, *, status: int | None, error: str, wait: timedelta = timedelta(0)) -> None:
        """An HTTP delivery's outcome (``status``: None or 0 when nothing answered).

        The receiver fails when it does not answer, or answers that it cannot take
        anything now (5xx, 408, 429). Any other answer (2xx, a redirect, a 4xx about this
        one delivery, such as a payload it refuses) says it is up: its other deliveries
        should not wait for this one.
        """
        if not status or status >= 500 or status in (408, 429):
            self.failed(error, wait=wait)
        else:
            self.worked()

    def close(self) -> None:
        """A try that reached nothing (nothing was left to send) hands the next try to the next delivery."""
        if self.trying_until is not None and not self.settled:
            Circuit.objects.filter(name=self.name, retry_at=self.trying_until).update(retry_at=timezone.now())


def enter(name: str, *, lease: timedelta) -> Passage | None:
    """A passage to the receiver ``name``, or None while its circuit is open and its try is not due.

    ``lease``: how long a try may take before another delivery may try in its place.
    """
    if not Circuit.objects.filter(name=name).exists():
        return Passage(name)
    now = timezone.now()
    until = now + lease
    if Circuit.objects.filter(name=name, retry_at__lte=now).update(retry_at=until):
        return Passage(name, trying_until=until)
    return None


@contextmanager
def passage(name: str, *, lease: timedelta) -> Iterator[Passage | None]:
    """``enter``, and the passage closed when the delivery is done (``Passage.close``)."""
    way = enter(name, lease=lease)
    try:
        yield way
    finally:
        if way is not None:
            way.close()


def _record_failure(name: str, error: str, wait: timedelta, *, holding: datetime | None) -> None:
    """Count a failure and set the next try: ``wait`` or the backoff, whichever is longer.

    Only the try itself (``holding`` its lease) moves the next try sooner; any other
    failure (a delivery that started before the circuit opened, a try that outlived its
    lease) never shortens it, so a try in flight keeps its lease and a Retry-After holds.
    """
    now, error = timezone.now(), error[:2000]
    for _ in range(3):  # again when another worker opened (or closed) it meanwhile
        try:
            with transaction.atomic():
                # The increment takes the row's write lock first: two failing workers count two.
                if Circuit.objects.filter(name=name).update(failures=F("failures") + 1, last_error=error):
                    circuit = Circuit.objects.get(name=name)
                    retry_at = now + max(wait, backoff(circuit.failures, cap=BACKOFF_CAP))
                    circuit.retry_at = (
                        retry_at if circuit.retry_at == holding else max(circuit.retry_at, retry_at)
                    )
                    circuit.save(update_fields=["retry_at"])
                else:
                    circuit = Circuit.objects.create(
                        name=name,
                        failures=1,
                        failing_since=now,
                        retry_at=now + max(wait, backoff(1, cap=BACKOFF_CAP)),
                        last_error=error,
                    )
            break
        except (IntegrityError, Circuit.DoesNotExist):
            continue
    else:  # never seen: three interleavings in a row with other workers
        logger.warning("circuits.failure_not_recorded", extra={"circuit": name, "error": error[:200]})
        return
    logger.warning(
        "circuits.open",
        extra={
            "circuit": name,
            "failures": circuit.failures,
            "retry_at": circuit.retry_at.isoformat(),
            "error": error[:200],
        },
    )


def retry_at(name: str) -> datetime | None:
    """When the receiver's open circuit lets a delivery try it again; None when it is closed."""
    return Circuit.objects.filter(name=name).values_list("retry_at", flat=True).first()


def open_circuit(name: str) -> Circuit | None:
    """The receiver's circuit while it is open (the receiver failing); None while it works."""
    return Circuit.objects.filter(name=name).first()


def forget(name: str) -> None:
    """The receiver is gone (its endpoint deleted): its circuit with it."""
    Circuit.objects.filter(name=name).delete()
