"""What arrived, exactly as it arrived: the durable first step of every channel."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone

from capdesk.directory.models import Person


class SenderDomain(models.Func):
    """The claimed sender's domain, lower-cased: indexed, so the console's intake log finds
    "everything from acme.test" by equality instead of scanning for a suffix.

    The "@" is written into the SQL, not passed as a parameter: SQLite uses an index on an
    expression only when the query spells the expression exactly as the index does.
    """

    template = "SUBSTR(LOWER(%(expressions)s), INSTR(%(expressions)s, '@') + 1)"
    output_field = models.CharField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "SUBSTRING(LOWER(%(expressions)s) FROM STRPOS(%(expressions)s, '@') + 1)"
        return self.as_sql(compiler, connection, template=template, **extra)


class InboundRequest(models.Model):
    """One request as received by a channel, stored before it is acknowledged."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSED = "processed", "Processed"
        QUARANTINED = "quarantined", "Quarantined"
        # An admin decided it needs no processing (spam, a test): kept whole, no longer listed.
        DISCARDED = "discarded", "Discarded"

    class Cause(models.TextChoices):
        """Why a request was quarantined, as a kind: which admin action can help (console quarantine)."""

        # Over the attachment limits: processing again cannot shrink a file; accepting
        # without the files over the limit can.
        ATTACHMENTS = "attachments", "Attachments over the limits"
        # The bytes are not a request the desk can read (no From, no text, broken MIME):
        # processing again helps only once the desk's code reads such mail.
        UNREADABLE = "unreadable", "Unreadable"
        # Processing failed with an error every time (a bug, an outage): worth another try
        # once the cause is fixed.
        FAILED = "failed", "Failed"
        # Anything else the channel refused (a forged form, a project the person left).
        REFUSED = "refused", "Refused"

    channel = models.CharField(max_length=20)
    idempotency_key = models.CharField(max_length=255, help_text="Message-ID, or the client's key")
    raw = models.BinaryField(help_text="The bytes as received: an RFC 5322 message or a JSON document")
    claimed_sender = models.CharField(max_length=320, blank=True)
    # Set only when the channel itself proved who sent it (a portal session, a signed token).
    authenticated_person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL)
    received_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True, help_text="Why it was quarantined")
    cause = models.CharField(max_length=20, choices=Cause.choices, blank=True)
    # What the request says it is about (an email's Subject), read when it was received,
    # so admins can tell quarantined and logged requests apart without opening the bytes.
    subject = models.CharField(max_length=255, blank=True)
    # When the sender was told that the request was not accepted: processing it again must
    # not tell them twice (each notice counts toward their daily automatic replies).
    sender_told_at = models.DateTimeField(null=True, blank=True)
    # An admin accepted it without the attachments over the limits: processing leaves them out.
    without_files_over_limit = models.BooleanField(default=False)
    duplicates = models.PositiveIntegerField(default=0, help_text="Repeat deliveries recognised")
    # E3 for email: who the sender is to the desk (verified/unverified/unknown) and how we know,
    # shown to agents. Empty until the request is processed, and for channels that prove identity.
    sender_verdict = models.CharField(max_length=20, blank=True)
    sender_auth_reason = models.TextField(blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_requests"
    )
    # A worker that took it into a batch is preparing it (parse, classify, decide) until
    # then: other workers leave it alone instead of preparing it twice. Cleared when the
    # attempt ends; a worker that died lets it lapse.
    preparing_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "idempotency_key"], name="one_request_per_key"),
        ]
        indexes = [
            models.Index(fields=["state", "received_at"]),
            # The console's intake log pages newest first by (received_at, id), unfiltered or
            # filtered by channel, by automatic mail ignored, by sender address or domain.
            models.Index(fields=["received_at", "id"], name="inbound_received_idx"),
            models.Index(fields=["channel", "received_at", "id"], name="inbound_channel_received_idx"),
            models.Index(
                fields=["received_at", "id"],
                # Only "no ticket", not also "processed": SQLite matches a partial index only on
                # terms without parameters, and rows without a ticket are mostly ignored mail.
                condition=models.Q(ticket__isnull=True),
                name="inbound_no_ticket_idx",
            ),
            models.Index(Lower("claimed_sender"), F("received_at"), F("id"), name="inbound_sender_idx"),
            models.Index(
                SenderDomain("claimed_sender"), F("received_at"), F("id"), name="inbound_sender_domain_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} request {self.pk} ({self.state})"


# Processed into no ticket: automatic mail ignored by design (out-of-office, bounces, lists).
IGNORED = models.Q(state=InboundRequest.State.PROCESSED, ticket__isnull=True)


class SenderConfirmation(models.Model):
    """E3: a held request waits for its registered sender to confirm by a link sent to that address."""

    request = models.ForeignKey(InboundRequest, on_delete=models.CASCADE, related_name="confirmations")
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="sender_confirmations"
    )
    person = models.ForeignKey(Person, on_delete=models.CASCADE)
    email = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # When its link was last emailed; empty while the daily limit of automatic replies to the
    # address withholds it: the next list of what waits for the address takes it (intake.waiting).
    emailed_at = models.DateTimeField(null=True, blank=True)
    # The language its link was last emailed in: the page that opens the link speaks it.
    language = models.CharField(max_length=10, blank=True)
    # Its registered owner said, signed in to the portal, that they did not send it.
    rejected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The scheduler's question every few minutes: which links wait to be emailed?
            models.Index(
                fields=["created_at"],
                condition=models.Q(emailed_at__isnull=True, confirmed_at__isnull=True),
                name="confirmation_withheld_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"confirmation for ticket {self.ticket_id}"
