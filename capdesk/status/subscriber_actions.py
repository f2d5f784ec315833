"""Subscribing, confirming and unsubscribing: each a named function, mail queued in the same transaction.

Double opt-in: nothing is sent to an address (or to a webhook endpoint) until a person
who reads that mailbox confirms, so the form cannot be used to mail or hit strangers.
Links carry signed tokens, not stored secrets: the confirmation link expires, the
unsubscribe link never does (RFC 8058 asks that it keep working).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from capdesk.core.outbound import UnsafeTarget, check_target
from capdesk.core.webhook_signatures import generate_secret
from capdesk.notify import suppressions
from capdesk.notify.actions import queue_email, render_email
from capdesk.status import config
from capdesk.status.models import Component, Subscriber

CONFIRM_SALT = "capdesk.status.confirm"
UNSUBSCRIBE_SALT = "capdesk.status.unsubscribe"
CONFIRM_MAX_AGE = 7 * 24 * 3600
RESEND_AFTER = timedelta(minutes=15)


class SubscriptionRefused(ValueError):
    """An endpoint or address the desk will not deliver to."""


def confirm_token(subscriber: Subscriber) -> str:
    return signing.dumps(subscriber.public_id, salt=CONFIRM_SALT)


def unsubscribe_token(subscriber: Subscriber) -> str:
    return signing.dumps(subscriber.public_id, salt=UNSUBSCRIBE_SALT)


def unsubscribe_url(subscriber: Subscriber) -> str:
    return settings.BASE_URL + reverse("status:unsubscribe", args=[unsubscribe_token(subscriber)])


def confirm_url(subscriber: Subscriber) -> str:
    return settings.BASE_URL + reverse("status:confirm", args=[confirm_token(subscriber)])


def subscriber_from_token(token: str, *, purpose: str) -> Subscriber | None:
    """The subscriber a link was made for, or None for a forged, mangled or expired link."""
    try:
        if purpose == "confirm":
            public_id = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
        else:
            public_id = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return Subscriber.objects.filter(public_id=str(public_id)).first()


def check_endpoint(url: str) -> None:
    """Refuse endpoints that would make the desk call into its own network (SSRF).

    Checked when subscribing and again before every delivery, since DNS can change.
    """
    try:
        check_target(url, allow_local=settings.CAPDESK_STATUS_WEBHOOK_ALLOW_LOCAL)
    except UnsafeTarget as exc:
        raise SubscriptionRefused(str(exc)) from None


def _send_confirmation(subscriber: Subscriber) -> None:
    """Mail the confirmation link, at most once per RESEND_AFTER per subscription."""
    now = timezone.now()
    if subscriber.confirmation_sent_at and now - subscriber.confirmation_sent_at < RESEND_AFTER:
        return
    Subscriber.objects.filter(pk=subscriber.pk).update(confirmation_sent_at=now)
    subscriber.confirmation_sent_at = now
    with translation.override(subscriber.language):
        context = {
            "subscriber": subscriber,
            "confirm_url": confirm_url(subscriber),
            "page_name": config.page_name(),
            "page_url": config.page_url(),
        }
        subject, body = render_email("status/email/confirm", context)
    queue_email(to=subscriber.email, subject=subject, body_text=body, kind="status_confirm")


@transaction.atomic
def subscribe_email(email: str, *, components: Iterable[Component] = (), language: str = "en") -> Subscriber:
    """Ask to be told by email; a pending or existing subscription is updated, never duplicated."""
    address = email.strip()
    subscriber = (
        Subscriber.objects.select_for_update()
        .filter(kind=Subscriber.Kind.EMAIL, email__iexact=address, unsubscribed_at__isnull=True)
        .first()
    )
    if subscriber is None:
        subscriber = Subscriber.objects.create(kind=Subscriber.Kind.EMAIL, email=address, language=language)
    subscriber.components.set(list(components))
    if subscriber.confirmed_at is None:
        _send_confirmation(subscriber)
    return subscriber


@transaction.atomic
def subscribe_webhook(
    endpoint: str, *, contact_email: str, components: Iterable[Component] = (), language: str = "en"
) -> Subscriber:
    """Ask for signed webhooks; the contact confirms by email and then receives the secret."""
    check_endpoint(endpoint)
    pending = Subscriber.objects.select_for_update().filter(
        kind=Subscriber.Kind.WEBHOOK,
        email__iexact=contact_email.strip(),
        endpoint=endpoint.strip(),
        confirmed_at__isnull=True,
        unsubscribed_at__isnull=True,
    )
    subscriber = pending.first() or Subscriber.objects.create(
        kind=Subscriber.Kind.WEBHOOK,
        email=contact_email.strip(),
        endpoint=endpoint.strip(),
        secret=generate_secret(),
        language=language,
    )
    subscriber.components.set(list(components))
    _send_confirmation(subscriber)
    return subscriber


@transaction.atomic
def confirm_subscriber(subscriber: Subscriber) -> Subscriber:
    """The address's owner said yes; from now on it is told. Confirming twice changes nothing."""
    Subscriber.objects.filter(pk=subscriber.pk, confirmed_at__isnull=True).update(confirmed_at=timezone.now())
    subscriber.refresh_from_db()
    if subscriber.email:  # the confirmation link reached its reader: the mailbox takes mail
        suppressions.lift(subscriber.email, why="status subscription confirmed")
    return subscriber


@transaction.atomic
def unsubscribe(subscriber: Subscriber) -> Subscriber:
    """Stop telling this subscriber anything; repeating it is harmless (mail clients retry)."""
    Subscriber.objects.filter(pk=subscriber.pk, unsubscribed_at__isnull=True).update(
        unsubscribed_at=timezone.now()
    )
    subscriber.refresh_from_db()
    return subscriber


def unsubscribe_bounced(
    sender: object, *, address: str, kinds: set[str], at: datetime, **kwargs: object
) -> int:
    """An update to an email subscriber bounced for good: stop mailing that address, as
    Statuspage does, rather than keep sending into a dead mailbox (which hurts the
    delivery of all the desk's mail). Subscribing again starts afresh. (notify.signals)"""
    if "status_update" not in kinds:
        return 0
    return Subscriber.objects.filter(
        kind=Subscriber.Kind.EMAIL, email__iexact=address, unsubscribed_at__isnull=True
    ).update(unsubscribed_at=at, bounced_at=at)
