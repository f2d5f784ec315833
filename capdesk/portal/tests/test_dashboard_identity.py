import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from capdesk.tickets.models import Ticket


@pytest.fixture(scope="module")
def platform_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(autouse=True)
def _dashboard_key(settings, platform_key):
    settings.CAPDESK_DASHBOARD_JWT_KEY = (
        platform_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def _token(key, person, **overrides):
    now = int(time.time())
    claims = {
        "sub": str(person.capgo_id),
        "email": "dewi@acme.test",
        "aud": "capdesk",
        "iss": "https://console.capgo.app",
        "iat": now,
        "exp": now + 120,
        "jti": uuid.uuid4().hex,
        **overrides,
    }
    return jwt.encode(claims, key, algorithm="RS256")


def test_it_signs_in_a_dashboard_user_and_files_their_request_as_dashboard(client, cast, platform_key):
    response = client.get("/portal/sso/dashboard/", {"token": _token(platform_key, cast.developer)})
    assert response.status_code == 302
    client.post(
        "/portal/requests/new/",
        {
            "subject": "Help",
            "body": "Update fails",
            "severity": "normal",
            "project": "com.acme.shop",
            "idempotency_key": "k1",
        },
    )
    assert Ticket.objects.get().channel == "dashboard"


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"exp": int(time.time()) - 100, "iat": int(time.time()) - 200}, "expired"),
        ({"aud": "another-app"}, "not valid"),
        ({"iss": "https://evil.example"}, "not valid"),
        ({"email": "omar@other.test"}, "not registered on your Capgo account"),
        ({"sub": str(uuid.uuid4())}, "does not know your Capgo account yet"),
        ({"exp": int(time.time()) + 86400}, "not valid"),
    ],
)
def test_it_refuses_a_token_that_does_not_prove_the_identity(client, cast, platform_key, change, reason):
    response = client.get("/portal/sso/dashboard/", {"token": _token(platform_key, cast.developer, **change)})
    assert response.status_code == 403
    assert reason in response.content.decode()
    assert client.get("/portal/requests/").status_code == 302


def test_it_refuses_a_token_signed_by_another_key(client, cast):
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    response = client.get("/portal/sso/dashboard/", {"token": _token(forger, cast.developer)})
    assert response.status_code == 403


def test_it_refuses_an_unsigned_token(client, cast):
    now = int(time.time())
    token = jwt.encode(
        {"sub": str(cast.developer.capgo_id), "aud": "capdesk", "iat": now, "exp": now + 60, "jti": "x"},
        key="",
        algorithm="none",
    )
    assert client.get("/portal/sso/dashboard/", {"token": token}).status_code == 403


def test_a_token_signs_in_only_once(client, cast, platform_key):
    token = _token(platform_key, cast.developer)
    assert client.get("/portal/sso/dashboard/", {"token": token}).status_code == 302
    client.post("/portal/sign-out/")
    response = client.get("/portal/sso/dashboard/", {"token": token})
    assert response.status_code == 403
    assert "already used" in response.content.decode()


def test_the_refusal_is_said_in_the_pages_language_without_the_tokens_internals(client, cast, platform_key):
    """The reason in English goes to the log and the audit; the person reads it in their language."""
    client.cookies["django_language"] = "id"
    token = _token(platform_key, cast.developer, aud="another-app")
    page = client.get("/portal/sso/dashboard/", {"token": token}).content.decode()
    assert "Tautan dari dasbor tidak valid." in page
    assert "InvalidAudienceError" not in page
