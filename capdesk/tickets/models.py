"""Tickets: the work a request becomes, its conversation, its files, and every change to it."""

from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy

from capdesk.directory.models import Organization, Person, Project


class Channel(models.TextChoices):
    PORTAL = "portal", gettext_lazy("Portal")
    DASHBOARD = "dashboard", gettext_lazy("Dashboard")
    EMAIL = "email", gettext_lazy("Email")
    API = "api", gettext_lazy("API")
    CONSOLE = "console", gettext_lazy("Console")


class Status(models.TextChoices):
    NEW = "new", gettext_lazy("New")
    OPEN = "open", gettext_lazy("Open")
    PENDING = "pending", gettext_lazy("Pending customer")
    ON_HOLD = "on_hold", gettext_lazy("On hold")
    SOLVED = "solved", gettext_lazy("Solved")
    CLOSED = "closed", gettext_lazy("Closed")


OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)


class Severity(models.TextChoices):
    """Capgo's severities (capgo.app/sla), most urgent first."""

    URGENT = "urgent", gettext_lazy("Urgent")
    HIGH = "high", gettext_lazy("High")
    NORMAL = "normal", gettext_lazy("Normal")
    LOW = "low", gettext_lazy("Low")


class Queue(models.Model):
    """A line of work agents pull from (support, billing, sales, product)."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class QueueRestriction(models.Model):
    """An agent restricted to queues: they see the tickets of their ``QueueMembership`` rows' queues, and none when they have none.

    Restriction is this row, not "has memberships": were it inferred, taking an agent's
    last queue away would let them see every queue. An agent without the row sees every
    queue, as superusers always do (``tickets.scoping``): an admin's choice, made by
    removing it, never a side effect of removing a queue.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="queue_restriction"
    )

    def __str__(self) -> str:
        return f"{self.user_id} restricted to queues"


class QueueMembership(models.Model):
    """A queue a restricted agent (``QueueRestriction``) works; for an agent who is not restricted it changes nothing.

    Deleting a queue agents are restricted to is refused (PROTECT): its agents would lose
    it without anyone deciding which queue they work instead.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="queue_memberships"
    )
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="memberships")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "queue"], name="tickets_queuemembership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} works {self.queue}"


class Ticket(models.Model):
    """One customer request and everything done about it; referred to as ``CAP-1042``."""

    REFERENCE_OFFSET = 1000

    subject = models.CharField(max_length=300)
    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.PROTECT)
    project = models.ForeignKey(Project, null=True, blank=True, on_delete=models.PROTECT)
    requester = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT)
    requester_email = models.EmailField(blank=True)
    # The name an unregistered requester gave (an email's From display name): agents and the
    # replies address them by it. A registered requester's name is their Person's.
    requester_name = models.CharField(max_length=200, blank=True)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.NORMAL)
    scope = models.CharField(max_length=40, blank=True)
    outcome = models.CharField(max_length=40, blank=True)
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    language = models.CharField(max_length=5, default="en")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # The status-page incident this request is about (its public id), set by refer_status
    # or by an agent; when the incident resolves, the requester is told (M2).
    incident = models.CharField(max_length=40, blank=True, db_index=True)
    # The next SLA deadline, kept here so workers and queues ask "what is due?" by index.
    next_deadline = models.DateTimeField(null=True, blank=True, db_index=True)
    # Set when an agent merged this ticket into another: it is closed, and mail, portal
    # visits and replies that still name it are sent on to the surviving ticket.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_tickets"
    )
    # Set on a ticket an agent split out of another one's conversation.
    split_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="split_tickets"
    )
    # Set on a ticket a customer opened by answering a closed one (Zendesk's follow-up): a
    # closed ticket stays as it was closed, and the answer is decided afresh here.
    follow_up_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "queue"]),
            # The hourly sweep closing solved tickets (actions.close_solved), oldest first.
            models.Index(fields=["status", "updated_at"]),
            models.Index(fields=["requester", "-created_at"]),
            models.Index(fields=["organization", "-created_at"]),
            # The console's queues: ordered by SLA deadline, then age (console.filters.page_by_deadline),
            # overall and per organization, assignee or queue, so a page reads its 51 index entries.
            models.Index(fields=["next_deadline", "created_at"], name="ticket_deadline_idx"),
            models.Index(
                fields=["organization", "next_deadline", "created_at"], name="ticket_org_deadline_idx"
            ),
            models.Index(
                fields=["assignee", "next_deadline", "created_at"], name="ticket_assignee_deadline_idx"
            ),
            models.Index(fields=["queue", "next_deadline", "created_at"], name="ticket_queue_deadline_idx"),
            # The list's side counts (console.side_counts): open tickets grouped by outcome and by
            # organization, read from these indexes alone instead of 700,000 table rows.
            models.Index(fields=["status", "outcome"], name="ticket_status_outcome_idx"),
            models.Index(fields=["status", "organization"], name="ticket_status_org_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def reference(self) -> str:
        return self.reference_of(self.pk)

    @classmethod
    def reference_of(cls, pk: int) -> str:
        """``CAP-1042`` for 42, without reading the ticket."""
        return f"{settings.CAPDESK_TICKET_PREFIX}-{pk + cls.REFERENCE_OFFSET}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def mail_language(self) -> str:
        """The language the desk writes to its customer in: the ticket's, if the desk has it."""
        return self.language if self.language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE

    def surviving(self) -> Ticket:
        """The ticket this one was merged into (following chains of merges), else itself."""
        ticket = self
        # Bounded: merges never form a cycle (merge_tickets refuses one), but a row edited
        # by hand must not hang a mail worker.
        for _ in range(20):
            if ticket.merged_into_id is None:
                break
            next_ticket = ticket.merged_into
            assert next_ticket is not None
            ticket = next_ticket
        return ticket

    @classmethod
    def pk_from_reference(cls, reference: str) -> int | None:
        """``CAP-1042`` -> 42; None for anything that is not one of our references."""
        prefix = re.escape(settings.CAPDESK_TICKET_PREFIX)
        match = re.fullmatch(rf"{prefix}-(\d{{1,12}})", reference.strip(), flags=re.IGNORECASE)
        if not match:
            return None
        pk = int(match.group(1)) - cls.REFERENCE_OFFSET
        return pk if pk > 0 else None


class Message(models.Model):
    """One message on a ticket: from the customer, an agent (public reply or internal note), or the desk."""

    class Author(models.TextChoices):
        CUSTOMER = "customer", gettext_lazy("Customer")
        AGENT = "agent", gettext_lazy("Agent")
        SYSTEM = "system", "Capdesk"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author_kind = models.CharField(max_length=10, choices=Author.choices)
    author_person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    author_email = models.EmailField(blank=True)
    public = models.BooleanField(default=True)
    # E3: a reply from a registered address that did not prove it came from there waits on the
    # ticket, not public, until that address confirms it (intake.confirmation); agents see it marked.
    held = models.BooleanField(default=False)
    # The desk's own messages speak to the requester (a standard reply names their plan,
    # projects and access), so people copied on the ticket do not read them; a notice that
    # was emailed to them too (the end of a linked incident) is theirs to read as well.
    to_copied = models.BooleanField(default=False)
    body_text = models.TextField(help_text="The body as received (plain text or Markdown)")
    body_html = models.TextField(help_text="The body as rendered for display, sanitised")
    source = models.ForeignKey(
        "intake.InboundRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    message_id = models.CharField(max_length=998, blank=True, db_index=True, help_text="RFC 5322 Message-ID")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            # The console counts and lists held replies on every ticket list: a handful of rows
            # among millions of messages, found without reading the others.
            models.Index(fields=["created_at"], condition=models.Q(held=True), name="message_held_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_author_kind_display()} message on {self.ticket.reference}"


class MessageReference(models.Model):
    """A Message-ID that a stored message cited (In-Reply-To, References), so a parent arriving later finds its reply."""

    # A row per cited id rather than a text column on Message: the later parent looks itself
    # up by an indexed equality, not a substring scan over every message (intake throughput).
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="cited")
    reference = models.CharField(max_length=998, db_index=True, help_text="The RFC 5322 Message-ID cited")

    def __str__(self) -> str:
        return f"{self.reference} cited by message {self.message_id}"


class Copied(models.Model):
    """Someone copied on a ticket (a CC): emailed the agents' replies, may answer them, sees it in the portal.

    Added from the To and Cc of an authenticated customer's email, by the requester in the
    portal, or by an agent (``tickets.copies``); a row only while the address is copied.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="copied")
    email = models.EmailField(help_text="Lower-case")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["ticket", "email"], name="copied_once_per_ticket")]
        indexes = [models.Index(fields=["email"])]
        verbose_name_plural = "copied"

    def __str__(self) -> str:
        return f"{self.email} copied on {self.ticket_id}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # Named by content hash, never by the sender's filename: no path tricks, no clashes.
    return f"attachments/{instance.sha256[:2]}/{instance.sha256}"


class Attachment(models.Model):
    """A file on a message, stored on disk (not in the row) and named by its hash."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    # The email part's Content-ID, without <>: the message's HTML shows it inline as cid:<id>.
    content_id = models.CharField(max_length=255, blank=True, default="")
    # What the bytes are (tickets.sniffing), "" when no signature matched; and why people are
    # warned before they open it ("" for no warning): a program, a script, a name that lies.
    sniffed_type = models.CharField(max_length=100, blank=True, default="")
    risk = models.CharField(max_length=30, blank=True, default="")

    def __str__(self) -> str:
        return self.filename

    @property
    def warning(self) -> str:
        """ "Windows program, named invoice.pdf", in the active language; "" for a file with no warning."""
        from capdesk.tickets.sniffing import warning

        return warning(self.risk, self.sniffed_type, self.filename)


class Event(models.Model):
    """The audit trail: every change to a ticket, who made it, when, and why."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40)
    actor_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL)
    data = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} on {self.ticket_id}"


class Decision(models.Model):
    """A policy decision on a ticket: automatic (by ``policy.decide``) or an agent's override of one."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="decisions")
    outcome = models.CharField(max_length=40)
    scope = models.CharField(max_length=40)
    group = models.CharField(max_length=40)
    confidence = models.FloatField()
    severity = models.CharField(max_length=10, choices=Severity.choices)
    queue = models.CharField(max_length=50)
    reply = models.CharField(max_length=50, help_text="The standard reply's key in the policy file")
    clauses = models.JSONField(default=list)
    explanation = models.JSONField(default=list)
    identity = models.CharField(max_length=20, blank=True, help_text="verified / unverified / unknown")
    book_retainer = models.BooleanField(
        default=False, help_text="Covered by a Premium Support retainer: time spent is booked (R1)"
    )
    overrides = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="overridden_by"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text="Empty for the automatic decision; the agent for an override",
    )
    reason = models.TextField(blank=True, help_text="Why an agent overrode the decision")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.outcome} on ticket {self.ticket_id}"


class RetainerBooking(models.Model):
    """Agent time booked against an organization's Premium Support hours for one UTC calendar month (R1)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="retainer_bookings")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="retainer_bookings")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    minutes = models.PositiveIntegerField()
    covered_minutes = models.PositiveIntegerField(help_text="Taken from the month's included hours")
    overage_minutes = models.PositiveIntegerField(
        help_text="Beyond the included hours, billed per extra hour"
    )
    overage_eur = models.DecimalField(max_digits=10, decimal_places=2)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["organization", "year", "month"])]

    def __str__(self) -> str:
        return f"{self.minutes} min on {self.ticket_id}"
