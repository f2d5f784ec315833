"""The directory in Django admin: admins look customers up; nobody edits what Capgo syncs."""

from __future__ import annotations

import pytest

from capdesk.api.models import ApiToken
from capdesk.directory.models import Organization, Person

pytestmark = pytest.mark.django_db


def test_an_admin_finds_a_person_by_address_and_follows_them_to_their_tickets(cast, client):
    client.force_login(cast.admin)
    page = client.get("/admin/directory/person/", {"q": "dewi@acme.test"}).content.decode()
    assert "Dewi Developer" in page and "Omar Outsider" not in page
    detail = client.get(f"/admin/directory/person/{cast.developer.pk}/change/").content.decode()
    assert "dewi@acme.test" in detail and "com.acme.shop" in detail and "app_developer" in detail
    assert "/console/?view=all&amp;requester=dewi%40acme.test" in detail


def test_an_admin_finds_an_organization_by_an_app_id(cast, client):
    client.force_login(cast.admin)
    page = client.get("/admin/directory/organization/", {"q": "com.other.app"}).content.decode()
    assert "Other Corp" in page and "Acme Apps" not in page


def test_nobody_edits_the_directory_in_admin(cast, client):
    client.force_login(cast.admin)  # a superuser
    assert client.get("/admin/directory/organization/add/").status_code == 403
    response = client.post(
        f"/admin/directory/organization/{cast.org.pk}/change/", {"name": "Renamed", "plan": "enterprise"}
    )
    assert response.status_code == 403
    assert Organization.objects.get(pk=cast.org.pk).name == "Acme Apps"
    assert (
        client.post(f"/admin/directory/person/{cast.developer.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert Person.objects.filter(pk=cast.developer.pk).exists()


@pytest.mark.parametrize("persona", ["agent", "anonymous"])
def test_staff_without_the_permission_and_the_public_cannot_read_it(cast, client, persona):
    if persona == "agent":
        client.force_login(cast.agent)
    response = client.get("/admin/directory/person/", {"q": "acme"})
    assert response.status_code in (302, 403)
    assert "dewi@acme.test" not in response.content.decode()


def test_a_customer_token_is_made_for_a_person_found_by_address(cast, client):
    client.force_login(cast.admin)
    found = client.get(
        "/admin/autocomplete/",
        {"app_label": "api", "model_name": "apitoken", "field_name": "person", "term": "dewi@acme"},
    ).json()
    assert [r["text"] for r in found["results"]] == ["Dewi Developer"]
    response = client.post(
        "/admin/api/apitoken/add/",
        {"name": "dewi's script", "scope": "customer", "user": "", "person": found["results"][0]["id"]},
    )
    assert response.status_code == 200, response.content.decode()[:2000]
    assert ApiToken.objects.get().person == cast.developer
