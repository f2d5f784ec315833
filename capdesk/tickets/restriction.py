"""Restricting an agent to queues, or letting them see every queue: an admin's explicit choice.

Which queues a restricted agent works are their ``QueueMembership`` rows; whether they are
restricted at all is ``QueueRestriction`` alone, so adding or removing a queue never changes
it. The change is audited from the model signals (``core.access_audit``), as every other
change to a staff account's access.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from capdesk.tickets.models import QueueRestriction


def is_restricted(user: AbstractBaseUser) -> bool:
    return QueueRestriction.objects.filter(user_id=user.pk).exists()


@transaction.atomic
def set_restricted(user: AbstractBaseUser, restricted: bool) -> bool:
    """Restrict ``user`` to their queues (none: no ticket), or let them see every queue; whether it changed."""
    if restricted:
        _row, created = QueueRestriction.objects.get_or_create(user_id=user.pk)
        return created
    # One by one (not a queryset delete) so post_delete, and with it the audit entry, runs.
    rows = list(QueueRestriction.objects.filter(user_id=user.pk))
    for row in rows:
        row.delete()
    return bool(rows)
