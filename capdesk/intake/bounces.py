"""Bounces read as delivery status notifications (RFC 3464) and recorded on the address.

A DSN is never a request: it opens no ticket and is never answered (RFC 3834). What
it says is kept: a recipient whose delivery *failed permanently* (Action: failed,
Status 5.x.x, RFC 3463) gets ``EmailAddress.bounced_at``. A delay or a temporary
failure (4.x.x) records nothing, since the next attempt may well succeed.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser, HeaderParser

from django.utils import timezone

from capdesk.directory.models import EmailAddress

logger = logging.getLogger(__name__)

_STATUS = re.compile(r"^\s*([245])\.\d{1,3}\.\d{1,3}")


@dataclass(frozen=True)
class Failure:
    """One recipient line of a DSN."""

    recipient: str
    action: str
    status: str

    @property
    def permanent(self) -> bool:
        match = _STATUS.match(self.status)
        return self.action == "failed" and match is not None and match.group(1) == "5"


def _address(field: str) -> str:
    # "rfc822; gone@acme.test" (RFC 3464 2.3.2): the address type, then the address.
    _, _, address = field.partition(";")
    return (address or field).strip().strip("<>").lower()


def _recipient_blocks(part: Message) -> list[Message]:
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    # Some parsers (and some MTAs' odd encodings) leave the report as text: split it into
    # its blank-line separated blocks and read each as a header block.
    raw = part.get_payload(decode=True)
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(payload)
    return [
        HeaderParser().parsestr(block.strip() + "\n") for block in re.split(r"\n\s*\n", text) if block.strip()
    ]


def parse_dsn(raw: bytes) -> list[Failure]:
    """The recipient lines of a delivery status notification; [] when the message is not one."""
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception:  # an unreadable bounce is still only a bounce: nothing to record
        return []
    assert isinstance(msg, EmailMessage)
    if msg.get_content_type() != "multipart/report":
        return []
    failures: list[Failure] = []
    for part in msg.walk():
        if part.get_content_type() not in ("message/delivery-status", "message/global-delivery-status"):
            continue
        for block in _recipient_blocks(part):
            recipient = str(block.get("Final-Recipient") or block.get("Original-Recipient") or "")
            if not recipient:
                continue  # the per-message block (Reporting-MTA ...)
            failures.append(
                Failure(
                    recipient=_address(recipient),
                    action=str(block.get("Action", "")).strip().lower(),
                    status=str(block.get("Status", "")).strip(),
                )
            )
    return failures


def record_bounces(raw: bytes, *, when: datetime | None = None) -> int:
    """Mark each registered address that failed permanently; returns how many were marked."""
    marked = 0
    for failure in parse_dsn(raw):
        if not failure.permanent:
            continue
        marked += EmailAddress.objects.filter(email__iexact=failure.recipient).update(
            bounced_at=when or timezone.now()
        )
        logger.info(
            "intake.bounce_recorded",
            extra={"domain": failure.recipient.rpartition("@")[2], "status": failure.status},
        )
    return marked
