"""SLA warnings and breaches posted to the team's chat (Discord or Slack incoming webhook).

The sweep only writes a ``ChatAlert`` row in its transaction; the worker posts it after
commit (and the outbound queue's sweep retries what failed), so a slow or unreachable chat service
never holds up the sweep nor its row locks. Bodies follow each service's documented
incoming-webhook shape: Discord ``{"content": ...}``, Slack ``{"text": ...}``.

The message carries the ticket reference, the target and a console link, but not the
ticket's subject or the customer's words: they stay in the desk, not in a third-party chat.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from capdesk.core import circuits, deliveries
from capdesk.sla.models import ChatAlert

if TYPE_CHECKING:
    from capdesk.sla.models import Clock

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
TIMEOUT_SECONDS = 10
# The one receiver of every alert (core.circuits).
CIRCUIT = "chat"
USER_AGENT = "Capdesk-SLA-Alerts/1"
DISCORD_LIMIT = 2000  # characters in "content"


def message_text(clock: Clock, kind: str, console_url: str) -> str:
    metric = clock.metric.replace("_", " ")
    due = clock.due_at.strftime("%Y-%m-%d %H:%M UTC") if clock.due_at else "no deadline"
    target = f"{clock.target_text} ({clock.severity}, {clock.policy} policy, {clock.tier})"
    if kind == "breach":
        head = f"SLA missed: {clock.ticket.reference} {metric} was due {due}"
    else:
        head = f"SLA warning: {clock.ticket.reference} {metric} due {due}"
    assignee = clock.ticket.assignee.get_username() if clock.ticket.assignee else "nobody"
    return f"{head}\nTarget: {target}\nQueue: {clock.ticket.queue.name} · assignee: {assignee}\n{console_url}"


def payload(text: str, chat_kind: str) -> dict[str, Any]:
    """The documented body for the service. Pure."""
    if chat_kind == "slack":
        # Slack reads &, < and > as markup (links, mentions): escaped as its docs say.
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return {"text": escaped}
    # Discord: no @everyone or role pings from whatever text ends up in the message.
    return {"content": text[:DISCORD_LIMIT], "allowed_mentions": {"parse": []}}


def queue_chat_alert(clock: Clock, kind: str) -> ChatAlert | None:
    """Write the chat alert in the caller's transaction; None when no webhook is configured."""
    from capdesk.sla.tasks import deliver_chat_alert

    if not settings.CAPDESK_SLA_CHAT_WEBHOOK_URL:
        return None
    url = settings.BASE_URL + reverse("console:ticket", args=[clock.ticket.reference])
    alert = ChatAlert.objects.create(
        ticket_id=clock.ticket_id,
        kind=kind,
        payload=payload(message_text(clock, kind, url), settings.CAPDESK_SLA_CHAT_KIND),
    )
    transaction.on_commit(lambda: deliver_chat_alert.enqueue(alert.pk))
    return alert


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 30 * 2 ** (attempts - 1)))


def _post(url: str, body: bytes) -> tuple[int, str]:
    """POST the body; returns the HTTP status and its Retry-After header (Discord and Slack send one on 429)."""
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310 (admin's URL)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            response.read(65536)
            return int(response.status), ""
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.headers.get("Retry-After", "") if exc.headers else ""


def deliver(alert_id: int) -> bool:
    """One attempt at posting one alert, outside any transaction; on failure a retry with backoff.

    Not while the chat webhook is failing (``core.circuits``): the alert then waits, no
    attempt counted, for the webhook's next try.
    """
    # Its next attempt pushed past the timeout, so no other worker posts it meanwhile.
    lease = timedelta(seconds=TIMEOUT_SECONDS + 60)
    with circuits.passage(CIRCUIT, lease=lease) as passage:
        return passage is not None and _deliver(alert_id, passage, lease)


def _deliver(alert_id: int, passage: circuits.Passage, lease: timedelta) -> bool:
    alert = deliveries.claim(ChatAlert.objects.all(), alert_id, lease=lease)
    if alert is None:
        return False
    url = settings.CAPDESK_SLA_CHAT_WEBHOOK_URL
    status, retry_after, error = 0, "", ""
    if not url:
        error = "no chat webhook configured any more"
    else:
        try:
            status, retry_after = _post(url, json.dumps(alert.payload).encode())
        except (OSError, ValueError) as exc:  # refused, reset, timed out, TLS, bad URL
            error = f"{type(exc).__name__}: {exc}"
    ok = 200 <= status < 300
    if url:  # a 429's Retry-After holds for every alert, not only this one
        passage.settle(status=status, error=error or f"HTTP {status}", wait=_retry_after(retry_after))
    now = timezone.now()
    if ok:
        alert.state, alert.sent_at, alert.last_error = ChatAlert.State.SENT, now, ""
    else:
        alert.last_error = (error or f"HTTP {status}")[:500]
        if not url or alert.attempts >= MAX_ATTEMPTS:
            alert.state = ChatAlert.State.FAILED
        alert.next_attempt_at = now + max(_backoff(alert.attempts), _retry_after(retry_after))
        logger.warning(
            "sla.chat_failed", extra={"alert": alert.pk, "attempts": alert.attempts, "status_code": status}
        )
    deliveries.save_claimed(alert, ("state", "sent_at", "last_error", "next_attempt_at"), succeeded=ok)
    return ok


def _retry_after(value: str) -> timedelta:
    """Seconds from a 429's Retry-After (Discord may send fractions); capped at an hour."""
    try:
        return timedelta(seconds=min(3600.0, max(0.0, float(value))))
    except ValueError:
        return timedelta(0)


def deliver_due(limit: int = 50, *, due_for: timedelta = timedelta(0)) -> int:
    """Alerts whose (re)try time came ``due_for`` ago, or whose task was lost; how many were tried."""
    return deliveries.sweep_due(
        ChatAlert.objects.all(),
        deliver,
        target=None,
        limit=limit,
        due_for=due_for,
        held_until=lambda _: circuits.retry_at(CIRCUIT),
    )


def hand_over_due() -> int:
    """The scheduler's chat sweep: one ``deliver_due_chat_alerts`` task for the outbound worker; 1 if queued."""
    from capdesk.sla.tasks import deliver_due_chat_alerts

    return deliveries.hand_over_due(ChatAlert.objects.all(), deliver_due_chat_alerts)
