"""The audit log: sign-ins, API tokens and directory changes through the API each leave one entry; none can be edited."""

import hashlib
import io
import time
import uuid
from datetime import timedelta

import jwt
import pytest
from django.core.management import call_command
from django.utils import timezone

from capdesk.api.actions import create_token, revoke_token
from capdesk.core.models import AppendOnly, AuditEntry
from capdesk.portal.models import MagicLink

DASHBOARD_KEY = "a-shared-secret-for-the-audit-tests-of-32-bytes"


def _sign_in(client, password, username="agent"):
    return client.post(
        "/console/login/", {"username": username, "password": password}, REMOTE_ADDR="203.0.113.7"
    )


def test_it_audits_a_console_sign_in_with_the_agent_and_address(client, cast):
    assert _sign_in(client, "correct horse battery").status_code == 302
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor_kind, entry.actor_user, entry.actor_label, entry.ip) == (
        "console.sign_in",
        "staff",
        cast.agent,
        "agent",
        "203.0.113.7",
    )


def test_it_audits_a_failed_console_sign_in_by_the_name_typed_never_the_password(client, cast):
    assert _sign_in(client, "hunter2-guess").status_code == 200
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor_kind, entry.actor_user, entry.actor_label) == (
        "console.sign_in_failed",
        "anonymous",
        None,
        "agent",
    )
    assert "hunter2" not in str(entry.details)


def test_it_audits_a_magic_link_sign_in_as_the_customer(client, cast):
    MagicLink.objects.create(
        person=cast.developer,
        email="dewi@acme.test",
        token_hash=hashlib.sha256(b"magic-audit").hexdigest(),
        expires_at=timezone.now() + timedelta(minutes=15),
    )
    assert client.post("/portal/magic/magic-audit/").status_code == 302
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor_kind, entry.target_type, entry.target_id) == (
        "portal.magic_link_sign_in",
        "customer",
        "person",
        str(cast.developer.capgo_id),
    )
    cast.developer.refresh_from_db()
    assert entry.actor_user == cast.developer.user
    assert "dewi@acme.test" not in entry.actor_label


def _dashboard_token(person, **claims):
    now = int(time.time())
    return jwt.encode(
        {
            "sub": str(person.capgo_id),
            "aud": "capdesk",
            "iss": "https://console.capgo.app",
            "iat": now,
            "exp": now + 120,
            "jti": uuid.uuid4().hex,
            **claims,
        },
        DASHBOARD_KEY,
        algorithm="HS256",
    )


@pytest.fixture
def dashboard_key(settings):
    settings.CAPDESK_DASHBOARD_JWT_KEY = DASHBOARD_KEY
    settings.CAPDESK_DASHBOARD_JWT_ALGORITHMS = ["HS256"]


def test_it_audits_a_dashboard_sign_in_and_a_refused_one(client, cast, dashboard_key):
    assert (
        client.get("/portal/sso/dashboard/", {"token": _dashboard_token(cast.developer)}).status_code == 302
    )
    refused = client.get("/portal/sso/dashboard/", {"token": _dashboard_token(cast.developer, aud="other")})
    assert refused.status_code == 403
    signed_in, refusal = AuditEntry.objects.order_by("id")
    assert (signed_in.action, signed_in.target_id) == (
        "portal.dashboard_sign_in",
        str(cast.developer.capgo_id),
    )
    assert (refusal.action, refusal.actor_kind) == ("portal.dashboard_sign_in_refused", "anonymous")
    assert "not valid" in refusal.details["reason"]


def test_it_audits_a_token_made_and_revoked_by_the_command(cast):
    out = io.StringIO()
    call_command("api-token", "create", "--name", "ci", "--scope", "agent", "--user", "agent", stdout=out)
    created = AuditEntry.objects.get()
    assert (created.action, created.actor_kind, created.actor_label) == (
        "api.token_created",
        "system",
        "api-token command",
    )
    assert created.details["scope"] == "agent"
    assert out.getvalue().strip() not in str(created.details), "the secret is never audited"


def test_it_audits_a_token_revoked_by_an_admin_once(cast):
    issued = create_token(name="old", scope="agent", user=cast.agent, by=cast.admin)
    revoke_token(issued.token, by=cast.admin)
    revoke_token(issued.token, by=cast.admin)  # already revoked: nothing happens, nothing is logged
    assert list(AuditEntry.objects.order_by("id").values_list("action", "actor_user")) == [
        ("api.token_created", cast.admin.pk),
        ("api.token_revoked", cast.admin.pk),
    ]


def test_it_audits_tokens_made_and_revoked_in_the_django_admin(client, cast):
    client.force_login(cast.admin)
    response = client.post(
        "/admin/api/apitoken/add/", {"name": "sync", "scope": "agent", "user": cast.agent.pk}
    )
    assert response.status_code == 200, "the page that shows the secret once"
    token = cast.agent.api_tokens.get()
    client.post(
        "/admin/api/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert list(AuditEntry.objects.order_by("id").values_list("action", "actor_user", "target_id")) == [
        ("api.token_created", cast.admin.pk, str(token.pk)),
        ("api.token_revoked", cast.admin.pk, str(token.pk)),
    ]


def test_it_audits_a_directory_change_through_the_api_but_not_a_repeat(client, cast):
    platform = create_token(name="platform", scope="platform", user=cast.admin)
    before = AuditEntry.objects.count()
    headers = {"Authorization": f"Bearer {platform.plaintext}"}
    url = f"/api/directory/organizations/{cast.org.capgo_id}"
    for _ in range(2):
        response = client.put(url, {"name": "Acme Renamed"}, content_type="application/json", headers=headers)
        assert response.status_code == 200
    entry = AuditEntry.objects.order_by("id").reverse()[0]
    assert AuditEntry.objects.count() == before + 1
    assert (entry.action, entry.actor_kind) == ("directory.api", "token")
    assert entry.actor_label.startswith("platform (cdk_")
    assert entry.details["changes"] == {"organizations": {"updated": 1}}
    assert entry.details["target"] == f"organization:{cast.org.capgo_id}"


def test_an_entry_can_be_neither_changed_nor_deleted(cast):
    create_token(name="x", scope="agent", user=cast.agent)
    entry = AuditEntry.objects.get()
    entry.action = "rewritten"
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()
    with pytest.raises(AppendOnly):
        AuditEntry.objects.all().update(action="rewritten")
    with pytest.raises(AppendOnly):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get().action == "api.token_created"


def test_the_django_admin_shows_entries_but_cannot_add_change_or_delete_them(client, cast):
    create_token(name="x", scope="agent", user=cast.agent, by=cast.admin)
    entry = AuditEntry.objects.get()
    client.force_login(cast.admin)
    assert client.get("/admin/core/auditentry/").status_code == 200
    page = client.get(f"/admin/core/auditentry/{entry.pk}/change/")
    assert page.status_code == 200
    assert b'name="action"' not in page.content, "every field is read-only"
    assert client.get("/admin/core/auditentry/add/").status_code == 403
    assert client.post(f"/admin/core/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.get().action == "api.token_created"
