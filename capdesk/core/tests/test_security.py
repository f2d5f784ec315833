"""Protections SECURITY.md names that no app's own tests cover: CSRF, cookies, hashing, attachments, headers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.hashers import check_password, make_password
from django.test import Client

from capdesk import settings as desk_settings
from capdesk.api.actions import create_token
from capdesk.portal.actions import user_for_person
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets.models import Attachment


@pytest.fixture
def ticket(cast):
    return ticket_actions.open_ticket(
        subject="Rollback",
        body="How?",
        channel="portal",
        requester=cast.developer,
        requester_email="dewi@acme.test",
        project=cast.project,
    )


def test_portal_and_console_posts_without_a_csrf_token_are_refused(cast, ticket):
    customer = Client(enforce_csrf_checks=True)
    customer.force_login(user_for_person(cast.developer))
    assert customer.post("/portal/requests/new/", {"subject": "x", "body": "y"}).status_code == 403
    assert customer.post(f"/portal/requests/{ticket.reference}/reply/", {"body": "y"}).status_code == 403
    assert customer.post("/portal/sign-out/").status_code == 403
    agent = Client(enforce_csrf_checks=True)
    agent.force_login(cast.agent)
    assert agent.post(f"/console/tickets/{ticket.reference}/reply/", {"body": "forged"}).status_code == 403
    assert agent.post(f"/console/tickets/{ticket.reference}/status/", {"status": "closed"}).status_code == 403
    anonymous = Client(enforce_csrf_checks=True)
    assert anonymous.post("/console/login/", {"username": "agent", "password": "x"}).status_code == 403
    assert anonymous.post("/portal/sign-in/", {"email": "dewi@acme.test"}).status_code == 403
    ticket.refresh_from_db()
    assert ticket.status != "closed"
    assert ticket.messages.count() == 1


def test_a_post_with_the_pages_csrf_token_goes_through(cast, ticket):
    agent = Client(enforce_csrf_checks=True)
    agent.force_login(cast.agent)
    page = agent.get(f"/console/tickets/{ticket.reference}/")
    token = page.cookies["csrftoken"].value
    response = agent.post(
        f"/console/tickets/{ticket.reference}/reply/", {"body": "Real", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert ticket.messages.filter(author_kind="agent").count() == 1


def _settings_with(**env: str) -> dict[str, object]:
    """The settings a fresh process computes from this environment."""
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps({k: getattr(settings, k) for k in ('SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', "
        "'SESSION_COOKIE_HTTPONLY', 'SESSION_COOKIE_SAMESITE', 'PASSWORD_HASHERS', 'X_FRAME_OPTIONS', "
        "'SECURE_CONTENT_TYPE_NOSNIFF', 'SECURE_REFERRER_POLICY')}))"
    )
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "capdesk.settings", **env}
    out = subprocess.run(  # noqa: S603 (our own interpreter, fixed code)
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, timeout=60, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_cookies_are_http_only_same_site_and_secure_when_served_over_https(tmp_path: Path):
    plain = _settings_with(CAPDESK_DATA_DIR=str(tmp_path))
    assert plain["SESSION_COOKIE_HTTPONLY"] is True
    assert plain["SESSION_COOKIE_SAMESITE"] == "Lax"
    secure = _settings_with(CAPDESK_DATA_DIR=str(tmp_path), CAPDESK_SECURE_COOKIES="1")
    assert secure["SESSION_COOKIE_SECURE"] is True
    assert secure["CSRF_COOKIE_SECURE"] is True
    assert secure["PASSWORD_HASHERS"][0] == "django.contrib.auth.hashers.Argon2PasswordHasher"  # type: ignore[index]


def test_passwords_are_hashed_with_argon2():
    assert desk_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    hashed = make_password("correct horse battery", hasher="argon2")
    assert hashed.startswith("argon2$argon2id$")
    assert check_password("correct horse battery", hashed)


def test_a_hostile_attachment_is_stored_under_its_hash_and_its_name_stays_text(cast, client, settings):
    token = create_token(name="p", scope="platform", user=cast.agent).plaintext
    evil_name = "../../../etc/<img src=x onerror=alert(1)>.html"
    response = client.post(
        "/api/tickets",
        json.dumps(
            {
                "account_id": str(cast.developer.capgo_id),
                "subject": "See file",
                "body": "Log attached for com.acme.shop",
                "project": "com.acme.shop",
                "files": [
                    {
                        "filename": evil_name,
                        "content_type": "text/html",
                        "content_b64": "PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
                    }
                ],
            }
        ),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.content
    attachment = Attachment.objects.get()
    assert attachment.file.name == f"attachments/{attachment.sha256[:2]}/{attachment.sha256}"
    stored = Path(attachment.file.path).resolve()
    assert stored.is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    assert attachment.filename == evil_name
    customer = Client()
    customer.force_login(user_for_person(cast.developer))
    page = customer.get(f"/portal/requests/{response.json()['reference']}/").content.decode()
    assert "<img src=x onerror" not in page


def test_an_oversized_attachment_is_refused_before_it_is_stored(cast, client, settings):
    settings.CAPDESK_MAX_ATTACHMENT_BYTES = 1024
    token = create_token(name="p", scope="platform", user=cast.agent).plaintext
    response = client.post(
        "/api/tickets",
        json.dumps(
            {
                "account_id": str(cast.developer.capgo_id),
                "subject": "Big",
                "body": "Big file",
                "files": [{"filename": "dump.bin", "content_b64": "QUFB" * 1000}],
            }
        ),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 202
    assert response.json()["state"] == "quarantined"
    assert "larger than" in response.json()["reason"]
    assert not Attachment.objects.exists()


def test_even_an_unknown_page_carries_the_security_headers(client, db):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]
