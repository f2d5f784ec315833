"""Sign-in by magic link (E3: a portal session proves the person controls a registered address)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from capdesk.directory.models import EmailAddress, Language, Person, normalise_email
from capdesk.notify import suppressions
from capdesk.notify.actions import queue_email, render_email
from capdesk.portal.models import MagicLink

# Per address and hour: enough for a person who lost an email, too few to mail-bomb anyone.
MAX_LINKS_PER_HOUR = 5


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def request_magic_link(address: str, *, next_url: str = "", chosen_language: str = "") -> bool:
    """Email a sign-in link if the address is registered. Returns whether one was sent.

    The caller must answer the same way whatever this returns: the portal never says
    whether an address is registered (no enumeration of Capgo's customers).
    ``chosen_language`` is one the person picked in this browser (the language switch,
    remembered in its cookie), if any: it wins over their saved one, which wins over
    whatever language the browser merely advertises.
    """
    email = normalise_email(address)
    registered = EmailAddress.objects.select_related("person").filter(email=email).first()
    if registered is None:
        return False
    recent = MagicLink.objects.filter(email=email, created_at__gte=timezone.now() - timedelta(hours=1))
    if recent.count() >= MAX_LINKS_PER_HOUR:
        return False
    token = secrets.token_urlsafe(32)
    MagicLink.objects.create(
        person=registered.person,
        email=email,
        token_hash=_hash(token),
        next_url=next_url if next_url.startswith("/portal/") else "",
        expires_at=timezone.now() + timedelta(minutes=settings.CAPDESK_MAGIC_LINK_MINUTES),
    )
    context = {
        "person": registered.person,
        "url": f"{settings.BASE_URL}/portal/magic/{token}/",
        "minutes": settings.CAPDESK_MAGIC_LINK_MINUTES,
    }
    # A choice made in this browser is the latest word (Dewi switched to English, her profile
    # still said Indonesian); without one the person's saved language wins over the page's,
    # which then only follows the browser's Accept-Language (Sari, Indonesian, signing in
    # from an English browser, was mailed in English).
    person_language = registered.person.language
    mail_language = chosen_language if chosen_language in Language.values else person_language
    subject, body = render_email("portal/email/magic_link", context, language=mail_language)
    queue_email(
        to=email,
        subject=subject,
        body_text=body,
        kind="magic_link",
        headers={"Auto-Submitted": "auto-generated"},
    )
    return True


def find_valid_link(token: str) -> MagicLink | None:
    link = MagicLink.objects.select_related("person").filter(token_hash=_hash(token)).first()
    if link is None or link.used_at is not None or link.expires_at <= timezone.now():
        return None
    return link


@transaction.atomic
def redeem_magic_link(token: str) -> MagicLink | None:
    """Use a link once: returns it (with its person) or None if unknown, used or expired."""
    link = MagicLink.objects.select_for_update().filter(token_hash=_hash(token)).first()
    if link is None or link.used_at is not None or link.expires_at <= timezone.now():
        return None
    link.used_at = timezone.now()
    link.save(update_fields=["used_at"])
    # The link reached its reader: the mailbox takes mail, whatever bounced before.
    suppressions.lift(link.email, why="sign-in link used")
    return link


def user_for_person(person: Person) -> User:
    """Customers sign in as a Django user tied to their Capgo account; never staff, no password."""
    if person.user_id is not None:
        assert person.user is not None
        return person.user
    user = User.objects.create_user(username=f"capgo-{person.capgo_id}")
    user.set_unusable_password()
    user.save()
    person.user = user
    person.save(update_fields=["user"])
    return user
