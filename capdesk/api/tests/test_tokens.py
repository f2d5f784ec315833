import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from capdesk.api.actions import create_token, hash_token
from capdesk.api.models import ApiToken
from capdesk.api.tests.conftest import assert_error
from capdesk.portal.actions import user_for_person


def test_it_keeps_only_the_hash_of_a_token(cast):
    issued = create_token(name="ci", scope="agent", user=cast.agent)
    row = ApiToken.objects.get()
    assert issued.plaintext.startswith("cdk_")
    assert row.token_hash == hash_token(issued.plaintext)
    stored = [str(value) for value in ApiToken.objects.values().get().values()]
    assert issued.plaintext not in stored
    assert issued.plaintext.startswith(row.prefix)


@pytest.mark.parametrize(
    "header",
    [None, "Bearer cdk_not-a-token", "Bearer ", "Basic YWdlbnQ6Y29ycmVjdA==", "Token cdk_x"],
)
def test_it_refuses_a_request_without_a_valid_token(cast, api, header):
    headers = {"Authorization": header} if header else {}
    response = api.client.get("/api/tickets", headers=headers)
    assert_error(response, 401, "unauthorized")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_stops_working_at_once(cast, api):
    issued = create_token(name="ci", scope="agent", user=cast.agent)
    assert api.get("/me", issued.plaintext).status_code == 200
    call_command("api-token", "revoke", issued.token.prefix, stdout=io.StringIO())
    assert_error(api.get("/me", issued.plaintext), 401, "unauthorized")


def test_an_expired_token_is_refused(cast, api):
    issued = create_token(
        name="ci", scope="agent", user=cast.agent, expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert_error(api.get("/me", issued.plaintext), 401, "unauthorized")


def test_an_agent_token_stops_working_when_its_owner_is_no_longer_staff(cast, api):
    issued = create_token(name="ci", scope="agent", user=cast.agent)
    cast.agent.is_staff = False
    cast.agent.save()
    assert_error(api.get("/tickets", issued.plaintext), 401, "unauthorized")


def test_a_token_of_a_deactivated_user_is_refused(cast, api):
    issued = create_token(name="sync", scope="platform", user=cast.admin)
    cast.admin.is_active = False
    cast.admin.save()
    assert_error(api.get("/me", issued.plaintext), 401, "unauthorized")


def test_a_signed_in_browser_session_is_not_an_api_credential(cast, api):
    api.client.force_login(cast.agent)
    assert_error(api.get("/tickets", None), 401, "unauthorized")
    api.client.force_login(user_for_person(cast.developer))
    assert_error(api.get("/tickets", None), 401, "unauthorized")


def test_only_a_read_only_token_may_belong_to_a_customer(cast):
    with pytest.raises(ValidationError):
        create_token(name="x", scope="agent", person=cast.developer)
    with pytest.raises(ValidationError):
        create_token(name="x", scope="read_only")
    assert create_token(name="x", scope="read_only", person=cast.developer).token.person == cast.developer


def test_the_command_prints_a_working_token_once_and_lists_it_without_the_secret(cast, api):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "api-token", "create", "--scope", "agent", "--user", "agent", "--name", "ci", stdout=out, stderr=err
    )
    plaintext = out.getvalue().strip()
    me = api.get("/me", plaintext).json()
    assert (me["scope"], me["user"], me["name"]) == ("agent", "agent", "ci")
    listing = io.StringIO()
    call_command("api-token", "list", stdout=listing)
    assert "ci" in listing.getvalue()
    assert plaintext not in listing.getvalue()


def test_the_command_makes_a_customer_token_by_registered_email(cast, api):
    out = io.StringIO()
    call_command(
        "api-token",
        "create",
        "--scope",
        "read_only",
        "--person",
        "dewi@acme.test",
        stdout=out,
        stderr=io.StringIO(),
    )
    me = api.get("/me", out.getvalue().strip()).json()
    assert me["account_id"] == str(cast.developer.capgo_id)
    with pytest.raises(CommandError, match="read-only"):
        call_command(
            "api-token", "create", "--scope", "agent", "--person", "dewi@acme.test", stderr=io.StringIO()
        )


def test_an_admin_creates_a_token_in_django_admin_and_sees_it_only_once(cast, client, api):
    client.force_login(cast.admin)
    response = client.post(
        "/admin/api/apitoken/add/",
        {"name": "platform sync", "scope": "platform", "user": cast.admin.pk, "person": ""},
    )
    assert response.status_code == 200, response.content
    page = response.content.decode()
    token = ApiToken.objects.get()
    plaintext = page.split('<pre id="api-token">')[1].split("</pre>")[0]
    assert token.token_hash == hash_token(plaintext)
    assert "no-store" in response["Cache-Control"]
    assert api.get("/me", plaintext).json()["scope"] == "platform"
    detail = client.get(f"/admin/api/apitoken/{token.pk}/change/").content.decode()
    assert plaintext not in detail


def test_an_agent_without_admin_rights_cannot_make_tokens_in_admin(cast, client):
    client.force_login(cast.agent)
    response = client.post("/admin/api/apitoken/add/", {"name": "x", "scope": "agent", "user": cast.agent.pk})
    assert response.status_code == 403
    assert ApiToken.objects.count() == 0
