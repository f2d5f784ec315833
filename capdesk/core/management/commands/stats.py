"""`capdesk stats --json`: the intake counters DESIGN.md promises to other tools."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Count, Sum
from django.utils import timezone

from capdesk.core import circuits
from capdesk.intake.models import IGNORED, InboundRequest, SenderConfirmation
from capdesk.notify.models import OutboundEmail, Suppression
from capdesk.tickets.models import Message, Ticket


def collect() -> dict[str, Any]:
    requests = InboundRequest.objects.all()
    by_state = dict(requests.values_list("state").annotate(n=Count("id")).order_by())
    by_channel = dict(requests.values_list("channel").annotate(n=Count("id")).order_by())
    return {
        "inbound": requests.count(),
        "pending": by_state.get(InboundRequest.State.PENDING, 0),
        "tickets": Ticket.objects.count(),
        "messages": Message.objects.count(),
        "quarantined": by_state.get(InboundRequest.State.QUARANTINED, 0),
        "duplicates": requests.aggregate(n=Sum("duplicates"))["n"] or 0,
        "ignored": requests.filter(IGNORED).count(),
        # Held mail whose registered sender has a confirmation link that still works (E3).
        "awaiting_confirmation": SenderConfirmation.objects.filter(
            confirmed_at__isnull=True, expires_at__gt=timezone.now()
        ).count(),
        "by_channel": by_channel,
        "outgoing_mail": _outgoing_mail(),
    }


def _outgoing_mail() -> dict[str, Any]:
    """The outbox: waiting and failed emails, and whether the mail relay is failing (``core.circuits``)."""
    by_state = dict(OutboundEmail.objects.values_list("state").annotate(n=Count("id")).order_by())
    failing = circuits.open_circuit(circuits.MAIL)
    return {
        "queued": by_state.get(OutboundEmail.State.QUEUED, 0),
        "failed": by_state.get(OutboundEmail.State.FAILED, 0),
        # Not sent because the address is on the suppression list (notify.suppressions).
        "suppressed": by_state.get(OutboundEmail.State.SUPPRESSED, 0),
        "suppressed_addresses": Suppression.objects.count(),
        "relay": "failing" if failing else "ok",
        "relay_failing_since": failing.failing_since.isoformat() if failing else None,
        "relay_retry_at": failing.retry_at.isoformat() if failing else None,
        "relay_last_error": failing.last_error if failing else "",
    }


class Command(BaseCommand):
    help = (
        "Counts of accepted requests (inbound), those not processed yet (pending), quarantined, "
        "repeats (duplicates), processed into no ticket (ignored: automatic mail), held for the "
        "sender's confirmation (awaiting_confirmation), tickets and messages; and the outbox "
        "(outgoing_mail: queued, failed and suppressed emails, the addresses not mailed, whether the mail relay is failing)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Machine-readable output (one JSON object).")

    def handle(self, *args: Any, **options: Any) -> None:
        stats = collect()
        if options["json"]:
            self.stdout.write(json.dumps(stats, sort_keys=True))
            return
        for key, value in stats.items():
            if key not in ("by_channel", "outgoing_mail"):
                self.stdout.write(f"{key:22} {value}")
        for channel, n in sorted(stats["by_channel"].items()):
            self.stdout.write(f"  {channel:10} {n}")
        self.stdout.write("outgoing mail")
        for key, value in stats["outgoing_mail"].items():
            self.stdout.write(f"  {key:20} {value}")
