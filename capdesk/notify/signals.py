"""What the outbox tells other apps."""

from __future__ import annotations

from django.dispatch import Signal

# Emails of the desk that a genuine delivery status notification says failed for good
# (intake.bounces). Sent with ``address`` (lower-cased), ``kinds`` (the emails' kinds)
# and ``at``, in the transaction that records it.
email_bounced = Signal()
