"""Privileged changes leave an audit entry: staff accounts and their access, and webhook endpoints."""

import pytest
from django.contrib.auth.models import Group, Permission, User

from capdesk import cli
from capdesk.core.models import AuditEntry
from capdesk.notify.models import WebhookEndpoint


def _actions():
    return list(AuditEntry.objects.order_by("id").values_list("action", "actor_label", "details"))


def _user_form(user, **changes):
    data = {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "10:00:00",
        "initial-date_joined_0": "2026-01-01",
        "initial-date_joined_1": "10:00:00",
        # The queues the agent is restricted to (tickets.admin): none.
        "queue_memberships-TOTAL_FORMS": "0",
        "queue_memberships-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_it_audits_a_user_made_promoted_grouped_and_given_a_password_in_the_admin(client, cast):
    group = Group.objects.create(name="Leads")
    client.force_login(cast.admin)
    response = client.post(
        "/admin/auth/user/add/",
        {"username": "newbie", "password1": "a-long-pass-phrase-1", "password2": "a-long-pass-phrase-1"},
    )
    assert response.status_code == 302, response.content
    newbie = User.objects.get(username="newbie")
    response = client.post(
        f"/admin/auth/user/{newbie.pk}/change/",
        _user_form(newbie, is_staff="on", is_superuser="on", groups=[group.pk]),
    )
    assert response.status_code == 302, response.content
    client.post(
        f"/admin/auth/user/{newbie.pk}/password/",
        {"password1": "another-long-phrase-2", "password2": "another-long-phrase-2"},
    )
    rows = _actions()
    assert [(a, label) for a, label, _d in rows] == [
        ("access.user_created", "admin"),
        ("access.user_changed", "admin"),
        ("access.user_changed", "admin"),
        ("access.password_changed", "admin"),
    ]
    assert rows[1][2] == {"username": "newbie", "is_staff": [False, True], "is_superuser": [False, True]}
    assert rows[2][2] == {"username": "newbie", "groups": {"added": ["Leads"]}}
    assert (
        AuditEntry.objects.filter(actor_user=cast.admin, target_type="user", target_id=str(newbie.pk)).count()
        == 4
    )
    assert not any("pass-phrase" in str(d) or "pbkdf2" in str(d) for _a, _l, d in rows)


def test_it_audits_permissions_given_to_a_user_or_a_group(client, cast):
    from capdesk.core.audit_actor import acting

    perm = Permission.objects.get(codename="change_user")
    group = Group.objects.create(name="Helpers")
    with acting("shell"):
        cast.agent.user_permissions.add(perm)
        group.permissions.add(perm)
        cast.agent.user_permissions.remove(perm)
    assert [(a, label, d) for a, label, d in _actions()] == [
        (
            "access.user_changed",
            "command: shell",
            {"username": "agent", "user_permissions": {"added": ["auth.change_user"]}},
        ),
        (
            "access.group_permissions_changed",
            "command: shell",
            {"group": "Helpers", "permissions": {"added": ["auth.change_user"]}},
        ),
        (
            "access.user_changed",
            "command: shell",
            {"username": "agent", "user_permissions": {"removed": ["auth.change_user"]}},
        ),
    ]


def test_it_audits_a_superuser_made_on_the_command_line(db, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-pass-phrase-3")
    # A command run from the command line closes every connection when it ends (Django's
    # run_from_argv): on PostgreSQL that would close the test's own transaction under it.
    monkeypatch.setattr("django.db.connections.close_all", lambda: None)
    cli.main(["createsuperuser", "--noinput", "--username", "root2", "--email", "root2@example.test"])
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor_kind, entry.actor_label, entry.details["is_superuser"]) == (
        "access.user_created",
        "system",
        "command: createsuperuser",
        True,
    )


def test_it_leaves_a_sign_in_and_a_customers_own_account_out(client, cast):
    client.post("/console/login/", {"username": "agent", "password": "correct horse battery"})
    assert [a for a, _l, _d in _actions()] == ["console.sign_in"]


def test_it_audits_a_webhook_endpoint_made_changed_and_deleted_in_the_admin(client, cast, settings):
    client.force_login(cast.admin)
    form = {"url": "https://93.184.216.34/hooks", "description": "CRM", "is_active": "on"}
    assert client.post("/admin/notify/webhookendpoint/add/", form).status_code == 302
    endpoint = WebhookEndpoint.objects.get()
    client.post(
        f"/admin/notify/webhookendpoint/{endpoint.pk}/change/", {**form, "url": "https://93.184.216.35/x"}
    )
    client.post(f"/admin/notify/webhookendpoint/{endpoint.pk}/delete/", {"post": "yes"})
    assert not WebhookEndpoint.objects.exists()
    rows = _actions()
    assert [(a, label) for a, label, _d in rows] == [
        ("webhooks.endpoint_created", "admin"),
        ("webhooks.endpoint_changed", "admin"),
        ("webhooks.endpoint_deleted", "admin"),
    ]
    assert rows[1][2] == {"url": ["https://93.184.216.34/hooks", "https://93.184.216.35/x"]}
    assert endpoint.secret not in str(rows)


@pytest.mark.parametrize("who", ["admin", "agent"])
def test_the_entries_are_on_the_audit_page_for_admins_only(client, cast, who):
    client.force_login(cast.admin)
    client.post(
        "/admin/notify/webhookendpoint/add/", {"url": "https://93.184.216.34/hooks", "is_active": "on"}
    )
    client.post(
        "/admin/auth/user/add/",
        {"username": "newbie", "password1": "a-long-pass-phrase-1", "password2": "a-long-pass-phrase-1"},
    )
    client.force_login(getattr(cast, who))
    response = client.get("/console/audit/")
    if who == "agent":
        assert response.status_code == 403
        return
    page = response.content.decode()
    assert "webhooks.endpoint_created" in page and "access.user_created" in page
