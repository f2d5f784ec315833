"""Bounces read as delivery status notifications (RFC 3464) and recorded on the address.

A DSN is never a request: it opens no ticket and is never answered (RFC 3834). What
it says is kept: a recipient whose delivery *failed permanently* (Action: failed,
Status 5.x.x, RFC 3463) gets ``EmailAddress.bounced_at``, and the email that failed
``OutboundEmail.bounced_at`` with the report's status and diagnostic, which the agents
on its ticket see; when the status says the address itself is dead (5.1.x, 5.2.1), it goes
on the suppression list (``notify.suppressions``): the desk sends it nothing more until it
is shown to work again. A delay or a temporary
failure (4.x.x) records nothing, since the next attempt may well succeed.

A feedback report (ARF, RFC 5965) from a mailbox provider's feedback loop, saying the
recipient marked an email of ours as spam, puts that email's address on the suppression
list as a complaint.

Anyone can write a DSN, so one counts only when it cites a message the desk sent
(its Message-ID, from the returned message or headers, or In-Reply-To/References)
and names as failed the address that message went to. Any other bounce is ignored,
and why is noted on the request, so nobody can mark a customer's address as dead
by mailing us a forged report.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser, HeaderParser

from django.utils import timezone

from capdesk.notify import suppressions
from capdesk.notify.models import OutboundEmail, Suppression

logger = logging.getLogger(__name__)

_STATUS = re.compile(r"^\s*([245])\.\d{1,3}\.\d{1,3}")
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
# The returned original (RFC 3462 3): the whole message, or only its headers.
_RETURNED = ("message/rfc822", "message/global", "text/rfc822-headers", "message/global-headers")
# A report citing more than this is not a bounce of one message of ours; reading on only costs queries.
MAX_CITED = 20


@dataclass(frozen=True)
class Failure:
    """One recipient line of a DSN."""

    recipient: str
    action: str
    status: str
    diagnostic: str = ""  # the receiving server's words, "smtp; 550 5.1.1 No such user"

    @property
    def permanent(self) -> bool:
        match = _STATUS.match(self.status)
        return self.action == "failed" and match is not None and match.group(1) == "5"


@dataclass(frozen=True)
class Report:
    """What a DSN says: who failed, and which of our messages it says it is about.

    A feedback report (ARF, RFC 5965) has no failures but a ``feedback`` type instead:
    a mailbox provider telling the sender that its user marked the cited message as spam.
    """

    failures: list[Failure]
    cited: list[str]
    feedback: str = ""  # Feedback-Type: abuse, fraud, virus, other, not-spam ...; "unknown" when unreadable
    reporter: str = ""  # the report's User-Agent, for the suppression's detail
    recipient: str = ""  # Original-Rcpt-To, which loops often redact


@dataclass
class Outcome:
    """What ``record_bounces`` did: registered addresses marked, what each report that took
    effect changed, and each permanent failure it ignored and why."""

    marked: int = 0
    ignored: list[str] = field(default_factory=list)
    complained: int = 0
    # One sentence per address a report took effect on, naming it: the admin reading the
    # intake log must find it on the suppression list (the address was the desk's to mail).
    recorded: list[str] = field(default_factory=list)

    def described(self, otherwise: str) -> str:
        """The request's reason, for the admins reading it: what the report changed, or
        ``otherwise`` when it changed nothing; then each failure it ignored and why."""
        said = "; ".join(self.recorded) or otherwise
        return said + "".join(f"; unverified bounce ignored ({why})" for why in self.ignored)


def _bounce_recorded(address: str, failure: Failure, *, marked: int, dead: bool) -> str:
    """What a genuine bounce changed, as the intake log says it: the email always (it was
    checked to be ours, to that address); the suppression list only for a dead address."""
    effects = ["address suppressed"] if dead else []
    effects += ["registered address marked as bouncing"] if marked else []
    return f"bounce recorded for {address} ({failure.status}): " + ", ".join(
        [*effects, "email marked not delivered"]
    )


def _address(field_value: str) -> str:
    # "rfc822; gone@acme.test" (RFC 3464 2.3.2): the address type, then the address.
    _, _, address = field_value.partition(";")
    return (address or field_value).strip().strip("<>").lower()


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


def _returned_headers(part: Message) -> Message | None:
    payload = part.get_payload()
    if isinstance(payload, list):  # message/rfc822: the parser made the returned message a Message
        return payload[0] if payload and isinstance(payload[0], Message) else None
    raw = part.get_payload(decode=True)
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(payload)
    return HeaderParser().parsestr(text.lstrip("\r\n"), headersonly=True)


def _ids(value: object) -> list[str]:
    return _MESSAGE_ID.findall(str(value or ""))


def _cited(msg: EmailMessage) -> list[str]:
    """The Message-IDs the report names as the failed message, the returned copy's own first."""
    cited: list[str] = []
    for part in msg.walk():
        if part is not msg and part.get_content_type() in _RETURNED:
            returned = _returned_headers(part)
            if returned is not None:
                cited += _ids(returned.get("Message-ID"))
    # Some MTAs (and RFC 3464 2.2's advice for the report's own headers) thread the report
    # onto the failed message instead of, or as well as, returning it.
    cited += _ids(msg.get("In-Reply-To")) + _ids(msg.get("References"))
    return list(dict.fromkeys(cited))[:MAX_CITED]


def read_report(raw: bytes) -> Report:
    """The recipient lines and cited Message-IDs of a delivery status notification; empty when it is not one."""
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(msg, EmailMessage)
        if msg.get_content_type() != "multipart/report":
            return Report([], [])
        if str(msg.get_param("report-type", "")).lower() == "feedback-report":
            return _feedback(msg)
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
                        diagnostic=" ".join(str(block.get("Diagnostic-Code", "")).split())[:250],
                    )
                )
        return Report(failures, _cited(msg))
    except Exception:  # an unreadable bounce is still only a bounce: nothing to record
        return Report([], [])


# Feedback types that say the recipient did not want the message (RFC 5965 7.3).
COMPLAINTS = frozenset({"abuse", "fraud"})


def _feedback(msg: EmailMessage) -> Report:
    """An ARF report: its Feedback-Type, User-Agent and recipient, and the Message-ID of the message it returns.

    Only the returned message's own Message-ID counts: the report's In-Reply-To or
    References are the reporter's to write.
    """
    feedback, reporter, recipient = "", "", ""
    cited: list[str] = []
    for part in msg.walk():
        if part.get_content_type() == "message/feedback-report":
            for fields in _recipient_blocks(part)[:1]:  # one block of fields (RFC 5965 3.1)
                feedback = str(fields.get("Feedback-Type", "")).strip().lower()
                reporter = " ".join(str(fields.get("User-Agent", "")).split())[:100]
                recipient = _address(str(fields.get("Original-Rcpt-To", "")))
        elif part is not msg and part.get_content_type() in _RETURNED:
            returned = _returned_headers(part)
            if returned is not None:
                cited += _ids(returned.get("Message-ID"))
    return Report([], cited[:1], feedback=feedback or "unknown", reporter=reporter, recipient=recipient)


def parse_dsn(raw: bytes) -> list[Failure]:
    """The recipient lines of a delivery status notification; [] when the message is not one."""
    return read_report(raw).failures


def recipients_of(message_ids: list[str]) -> set[str]:
    """The addresses our outbox sent the given Message-IDs to, lower-cased.

    Every email the desk sends is an outbox row whose headers carry the Message-ID
    ``queue_email`` gave it (random, and never shown anywhere but in that email), so
    citing one is proof of having seen the email. A row still queued counts too: a
    retry may follow a send whose bookkeeping failed.
    """
    if not message_ids:
        return set()
    # The "Message-ID" key has a hyphen, so the JSON lookup goes through **kwargs.
    sent = OutboundEmail.objects.filter(**{"headers__Message-ID__in": message_ids})
    return {to.lower() for to in sent.values_list("to", flat=True)[:MAX_CITED]}


def _domain(address: str) -> str:
    # Logs, and notes on a bounce that took no effect (its address is whatever its writer
    # chose), name the domain only: an address in full is personal data (CONVENTIONS 14).
    return address.rpartition("@")[2] or "?"


def _redacted(address: str) -> bool:
    """Whether a feedback loop blanked the address's local part ("redacted@", "xxxx@", "@")."""
    local = address.partition("@")[0]
    return not local or "redacted" in local or set(local) <= set("x*.-_")


def _record_complaint(report: Report) -> Outcome:
    """Suppress the recipient of each cited email of ours that a feedback report says was reported as spam.

    The reports often redact the recipient's address; the cited Message-ID, which only
    the recipient's copy carries, names the email and so the address.
    """
    outcome = Outcome()
    if report.feedback not in COMPLAINTS:
        if report.feedback == "unknown":
            outcome.ignored.append("feedback report without a readable Feedback-Type")
        return outcome
    emails = list(OutboundEmail.objects.filter(**{"headers__Message-ID__in": report.cited})[:MAX_CITED])
    if not emails:
        outcome.ignored.append(f"{report.feedback} report: it cites no message we sent")
        return outcome
    for email in emails:
        if report.recipient and not _redacted(report.recipient) and report.recipient != email.to.lower():
            outcome.ignored.append(f"{report.feedback} report: the message it cites went to another address")
            continue
        suppressions.suppress(
            email.to,
            reason=Suppression.Reason.COMPLAINT,
            detail=f"{report.feedback} report" + (f" ({report.reporter})" if report.reporter else ""),
            email=email,
        )
        outcome.complained += 1
        outcome.recorded.append(
            f"spam complaint recorded for {email.to.lower()} ({report.feedback}): address suppressed"
        )
        logger.info("intake.complaint_recorded", extra={"domain": _domain(email.to), "type": report.feedback})
    return outcome


def record_bounces(raw: bytes, *, when: datetime | None = None, returned_to: int | None = None) -> Outcome:
    """Mark each registered address that failed permanently on a message we sent to it.

    A feedback report (ARF) instead suppresses the address that complained. ``returned_to``
    is the outbox email whose return path the report was delivered to (``notify.verp``).
    """
    report = read_report(raw)
    if report.feedback:
        return _record_complaint(report)
    outcome = Outcome()
    permanent = [failure for failure in report.failures if failure.permanent]
    if not permanent:
        return outcome
    if returned_to is not None and (verp := _returned(returned_to, permanent, when)) is not None:
        return verp
    sent_to = recipients_of(report.cited)
    for failure in permanent:
        if not report.cited:
            why = "it cites no Message-ID"
        elif not sent_to:
            why = "it cites no message we sent"
        elif failure.recipient not in sent_to:
            why = "the message it cites went to another address"
        else:
            why = ""
        if why:
            outcome.ignored.append(f"{failure.status} at {_domain(failure.recipient)}: {why}")
            logger.info(
                "intake.bounce_ignored",
                extra={"domain": _domain(failure.recipient), "status": failure.status, "why": why},
            )
            continue
        at = when or timezone.now()
        dead = suppressions.dead_address(failure.status)
        # The address (if registered) and the email, so the agents on its ticket see that it never arrived, the apps
        # that sent it can stop (the status page unsubscribes the address), and no more
        # mail goes to it until it is shown to work again.
        marked = suppressions.record_bounce(
            failure.recipient,
            OutboundEmail.objects.filter(
                **{"headers__Message-ID__in": report.cited}, to__iexact=failure.recipient
            ),
            said=f"{failure.status} {failure.diagnostic}",
            at=at,
            dead=dead,
        )
        outcome.marked += marked
        outcome.recorded.append(_bounce_recorded(failure.recipient, failure, marked=marked, dead=dead))
        logger.info(
            "intake.bounce_recorded",
            extra={"domain": _domain(failure.recipient), "status": failure.status},
        )
    return outcome


def _returned(email_pk: int, permanent: list[Failure], when: datetime | None) -> Outcome | None:
    """A report delivered to an email's own return path (VERP) is about that email, whatever
    it quotes and whichever address it names (a forwarded-to one, say): the return path,
    which only that email's recipient saw, is the proof. None when no such email exists."""
    email = OutboundEmail.objects.filter(pk=email_pk).first()
    if email is None:
        return None
    # The line about our recipient if the report names it, else its first failure.
    failure = next((f for f in permanent if f.recipient == email.to.lower()), permanent[0])
    outcome = Outcome()
    dead = suppressions.dead_address(failure.status)
    outcome.marked += suppressions.record_bounce(
        email.to,
        OutboundEmail.objects.filter(pk=email.pk),
        said=f"{failure.status} {failure.diagnostic}",
        at=when or timezone.now(),
        dead=dead,
    )
    outcome.recorded.append(_bounce_recorded(email.to.lower(), failure, marked=outcome.marked, dead=dead))
    logger.info(
        "intake.bounce_recorded", extra={"domain": _domain(email.to), "status": failure.status, "verp": True}
    )
    return outcome
