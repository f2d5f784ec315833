"""Audit who made or changed a staff account: created, given or losing staff, superuser or
active status, groups and permissions, whether they are restricted to queues and which, or a
new password set for them.

Accounts change through Django's own code (the admin's user forms, ``createsuperuser``,
``changepassword``, a shell), not through a Capdesk action, so the entries are written from
the model signals, inside the same transaction as the change. Who acted comes from
``audit_actor.acting``: the request a middleware is serving, or the command ``capdesk`` runs. Outside
both (test fixtures calling the ORM) nothing is recorded, so a test starts with an empty log.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import Group, Permission, User
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from capdesk.core import audit
from capdesk.core.audit_actor import Command, current_actor
from capdesk.core.models import ActorKind

_FLAGS = ("is_staff", "is_superuser", "is_active")


def _by_staff_request() -> bool:
    """Whether a signed-in staff user's request is being served (the admin's user forms)."""
    user = getattr(current_actor.get(), "user", None)
    return bool(user is not None and user.is_authenticated and user.is_staff)


def _record(action: str, target: User, details: dict[str, Any]) -> None:
    who = current_actor.get()
    target_fields: dict[str, Any] = {"target_type": "user", "target_id": target.pk, "details": details}
    if isinstance(who, Command):
        audit.record(action, actor_kind=ActorKind.SYSTEM, label=f"command: {who.name}", **target_fields)
        return
    assert who is not None
    user = getattr(who, "user", None)
    kind = ActorKind.STAFF if user is not None and user.is_authenticated else ActorKind.ANONYMOUS
    audit.record(action, actor_kind=kind, user=user, request=who, **target_fields)


def _remember(sender: Any, instance: User, raw: bool = False, **kwargs: Any) -> None:
    if raw or instance.pk is None or current_actor.get() is None:
        return
    before = User.objects.filter(pk=instance.pk).values(*_FLAGS, "password").first()
    instance._audit_before = before  # type: ignore[attr-defined]


def _saved(sender: Any, instance: User, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if raw or current_actor.get() is None:
        return
    flags = {flag: getattr(instance, flag) for flag in _FLAGS}
    if created:
        # A customer's own account, made as they sign in to the portal, is not news: that
        # sign-in is recorded. A staff account is, and any account a staff user made.
        if _by_staff_request() or instance.is_staff or instance.is_superuser:
            _record(audit.Action.USER_CREATED, instance, {"username": instance.get_username(), **flags})
        return
    before = getattr(instance, "_audit_before", None)
    if not before:
        return
    changed = {flag: [before[flag], flags[flag]] for flag in _FLAGS if before[flag] != flags[flag]}
    if changed:
        _record(audit.Action.USER_ACCESS_CHANGED, instance, {"username": instance.get_username(), **changed})
    update_fields = kwargs.get("update_fields")
    # Django re-hashes a password on sign-in when the hasher changed (update_fields=password):
    # the same password, so not a change anyone made.
    rehash = update_fields is not None and set(update_fields) == {"password"}
    # As for a new account: a customer's own account getting its unusable password as they
    # first sign in is not news; a staff account's password, or one a staff user set, is.
    privileged = _by_staff_request() or instance.is_staff or instance.is_superuser
    if before["password"] != instance.password and not rehash and privileged:
        _record(audit.Action.USER_PASSWORD_CHANGED, instance, {"username": instance.get_username()})
    instance._audit_before = None  # type: ignore[attr-defined]


def _names(model: Any, pks: set[int] | None) -> list[str]:
    if not pks:
        return []
    if model is Permission:
        rows = Permission.objects.filter(pk__in=pks).select_related("content_type")
        return sorted(f"{p.content_type.app_label}.{p.codename}" for p in rows)
    return sorted(str(g) for g in model.objects.filter(pk__in=pks))


def _m2m(field: str) -> Callable[..., None]:
    def changed(
        sender: Any, instance: Any, action: str, reverse: bool, model: Any, pk_set: set[int] | None, **kw: Any
    ) -> None:
        if current_actor.get() is None or action not in ("post_add", "post_remove", "pre_clear"):
            return
        verb = "added" if action == "post_add" else "removed"
        if reverse:
            if field == "permissions":
                return  # permission.group_set: rare, and the group's own side says the same
            # group.user_set.add(user), or permission.user_set: the instance is the group or permission.
            for user in User.objects.filter(pk__in=pk_set or ()):
                _record(audit.Action.USER_ACCESS_CHANGED, user, {field: {verb: [str(instance)]}})
            return
        if action == "pre_clear":
            pk_set = set(getattr(instance, field).values_list("pk", flat=True))
        names = _names(model, pk_set)
        if not names:
            return
        if isinstance(instance, Group):
            audit.record(
                audit.Action.GROUP_PERMISSIONS_CHANGED,
                **_group_actor(),
                target_type="group",
                target_id=instance.pk,
                details={"group": instance.name, field: {verb: names}},
            )
            return
        _record(
            audit.Action.USER_ACCESS_CHANGED,
            instance,
            {"username": instance.get_username(), field: {verb: names}},
        )

    return changed


def _group_actor() -> dict[str, Any]:
    who = current_actor.get()
    if isinstance(who, Command):
        return {"actor_kind": ActorKind.SYSTEM, "label": f"command: {who.name}"}
    user = getattr(who, "user", None)
    return {"actor_kind": ActorKind.STAFF, "user": user, "request": who}


def _queue_before(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    """A restriction row about to be saved: its queue as stored, if it is moved in place."""
    if raw or instance.pk is None or current_actor.get() is None:
        return
    instance._audit_queue_before = (
        sender.objects.filter(pk=instance.pk).values_list("queue__slug", flat=True).first()
    )


def _queue_membership(verb: str) -> Callable[..., None]:
    """An agent restricted to one queue more (``added``) or one fewer (``removed``), or a row
    moved from one queue to another (both): which tickets they see."""

    def changed(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
        if raw or current_actor.get() is None:
            return
        queues = {verb: [instance.queue.slug]}
        if verb == "added" and not kwargs.get("created"):
            before = getattr(instance, "_audit_queue_before", None)
            if before is None or before == instance.queue.slug:
                return
            queues = {"removed": [before], "added": [instance.queue.slug]}
        user = User.objects.filter(pk=instance.user_id).first()
        if user is None:  # the account itself is being deleted: that is recorded, not each of its rows
            return
        _record(audit.Action.USER_ACCESS_CHANGED, user, {"username": user.get_username(), "queues": queues})

    return changed


def _queue_restriction(restricted: bool) -> Callable[..., None]:
    """An agent restricted to their queues, or let see every queue (``tickets.models.QueueRestriction``)."""

    def changed(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
        if raw or current_actor.get() is None or (restricted and not kwargs.get("created")):
            return
        user = User.objects.filter(pk=instance.user_id).first()
        if user is None:  # the account itself is being deleted: that is recorded, not its rows
            return
        details = {"username": user.get_username(), "restricted_to_queues": [not restricted, restricted]}
        _record(audit.Action.USER_ACCESS_CHANGED, user, details)

    return changed


def connect() -> None:
    # tickets builds on core, not the reverse
    from capdesk.tickets.models import QueueMembership, QueueRestriction

    post_save.connect(
        _queue_restriction(True),
        sender=QueueRestriction,
        weak=False,
        dispatch_uid="core.access_audit.restricted",
    )
    post_delete.connect(
        _queue_restriction(False),
        sender=QueueRestriction,
        weak=False,
        dispatch_uid="core.access_audit.unrestricted",
    )

    pre_save.connect(_queue_before, sender=QueueMembership, dispatch_uid="core.access_audit.queue_before")
    post_save.connect(
        _queue_membership("added"),
        sender=QueueMembership,
        weak=False,
        dispatch_uid="core.access_audit.queue_added",
    )
    post_delete.connect(
        _queue_membership("removed"),
        sender=QueueMembership,
        weak=False,
        dispatch_uid="core.access_audit.queue_removed",
    )
    pre_save.connect(_remember, sender=User, dispatch_uid="core.access_audit.remember")
    post_save.connect(_saved, sender=User, dispatch_uid="core.access_audit.saved")
    # weak=False: the receivers are closures nothing else holds.
    for field, through in (
        ("groups", User.groups.through),
        ("user_permissions", User.user_permissions.through),
        ("permissions", Group.permissions.through),
    ):
        m2m_changed.connect(
            _m2m(field), sender=through, weak=False, dispatch_uid=f"core.access_audit.{field}"
        )
