import uuid

from capdesk.api.tests.conftest import assert_error
from capdesk.directory.models import Organization, Person, Project, RoleBinding
from capdesk.directory.queries import is_developer_or_higher

ORG = "3f1c1f0e-8f7a-4d0e-9a55-3b7e5a3b9c01"
USER = "5a0e2c1d-7b3f-4a8e-8c6d-1e2f3a4b5c6d"


def _sync_everything(api, token):
    assert (
        api.put(
            f"/directory/organizations/{ORG}",
            token,
            {"name": "Nusa Apps", "plan": "Enterprise", "subscription_status": "active"},
        ).status_code
        == 200
    )
    assert (
        api.put(
            f"/directory/people/{USER}", token, {"name": "Sari", "emails": ["Sari@Nusa.test"]}
        ).status_code
        == 200
    )
    assert (
        api.put("/directory/projects/id.nusa.app", token, {"organization": ORG, "name": "Nusa"}).status_code
        == 200
    )
    bound = api.put(
        "/directory/bindings",
        token,
        {"person": USER, "organization": ORG, "project": "id.nusa.app", "role": "app_developer"},
    )
    assert bound.status_code == 200
    return bound.json()


def test_the_platform_upserts_the_directory_and_it_grants_what_capgo_says(cast, tokens, api):
    binding = _sync_everything(api, tokens.platform)
    assert binding == {"person": USER, "organization": ORG, "project": "id.nusa.app", "role": "app_developer"}
    org = Organization.objects.get(capgo_id=ORG)
    assert (org.plan, org.subscription_status) == ("enterprise", "active")
    person = Person.objects.get(capgo_id=USER)
    assert person.primary_email == "sari@nusa.test"
    assert is_developer_or_higher(person, Project.objects.get(app_id="id.nusa.app"))


def test_upserting_the_same_rows_again_changes_nothing(cast, tokens, api):
    _sync_everything(api, tokens.platform)
    before = Organization.objects.get(capgo_id=ORG).updated_at
    _sync_everything(api, tokens.platform)
    assert Organization.objects.get(capgo_id=ORG).updated_at == before
    assert RoleBinding.objects.filter(person__capgo_id=USER).count() == 1


def test_a_value_the_desk_cannot_store_is_refused_with_every_reason(cast, tokens, api):
    refused = api.put(
        f"/directory/organizations/{ORG}", tokens.platform, {"plan": "gold", "timezone": "Mars/Olympus"}
    )
    error = assert_error(refused, 422, "validation_error")
    assert {d["loc"][-1] for d in error["details"]} == {"plan", "timezone"}
    assert not Organization.objects.filter(capgo_id=ORG).exists()
    assert_error(
        api.put(f"/directory/people/{USER}", tokens.platform, {"emails": ["not-an-address"]}),
        422,
        "validation_error",
    )
    assert_error(
        api.put(
            "/directory/bindings", tokens.platform, {"person": USER, "organization": ORG, "role": "owner"}
        ),
        422,
        "validation_error",
    )


def test_a_binding_on_an_app_of_another_organization_is_refused(cast, tokens, api):
    response = api.put(
        "/directory/bindings",
        tokens.platform,
        {
            "person": str(cast.developer.capgo_id),
            "organization": str(cast.org.capgo_id),
            "project": "com.other.app",
            "role": "app_admin",
        },
    )
    assert_error(response, 422, "validation_error")
    assert not RoleBinding.objects.filter(project=cast.other_project, person=cast.developer).exists()


def test_the_platform_removes_a_binding(cast, tokens, api):
    _sync_everything(api, tokens.platform)
    response = api.call(
        "DELETE", f"/directory/bindings?person={USER}&organization={ORG}&project=id.nusa.app", tokens.platform
    )
    assert response.status_code == 200
    assert response.json()["changes"]["bindings"]["deleted"] == 1
    assert not RoleBinding.objects.filter(person__capgo_id=USER).exists()


def test_only_the_platform_writes_the_directory(cast, tokens, api):
    for token in (tokens.agent, tokens.staff_reader, tokens.developer, tokens.status_admin):
        assert_error(api.put(f"/directory/organizations/{ORG}", token, {"name": "Hijack"}), 403, "forbidden")
        assert_error(
            api.put(f"/directory/people/{cast.developer.capgo_id}", token, {"emails": ["evil@x.test"]}),
            403,
            "forbidden",
        )
    assert not Organization.objects.filter(capgo_id=ORG).exists()
    assert cast.developer.primary_email == "dewi@acme.test"


def test_staff_and_the_platform_read_the_whole_directory(cast, tokens, api):
    for token in (tokens.agent, tokens.platform, tokens.staff_reader):
        names = {o["name"] for o in api.get("/directory/organizations", token).json()["items"]}
        assert names == {"Acme Apps", "Other Corp"}
    people = api.get("/directory/people?limit=3", tokens.agent).json()
    assert len(people["items"]) == 3 and people["next_cursor"]


def test_a_customer_token_reads_only_its_own_directory_rows(cast, tokens, api):
    orgs = api.get("/directory/organizations", tokens.developer).json()["items"]
    assert [o["name"] for o in orgs] == ["Acme Apps"]
    people = api.get("/directory/people", tokens.developer).json()["items"]
    assert [p["capgo_id"] for p in people] == [str(cast.developer.capgo_id)]
    projects = api.get("/directory/projects", tokens.developer).json()["items"]
    assert [p["app_id"] for p in projects] == ["com.acme.shop"]
    bindings = api.get("/directory/bindings", tokens.developer).json()["items"]
    assert {b["person"] for b in bindings} == {str(cast.developer.capgo_id)}
    assert_error(
        api.get(f"/directory/organizations/{cast.other_project.organization.capgo_id}", tokens.developer),
        404,
        "not_found",
    )
    assert_error(api.get(f"/directory/people/{cast.outsider.capgo_id}", tokens.developer), 404, "not_found")
    assert_error(api.get("/directory/projects/com.other.app", tokens.developer), 404, "not_found")
    assert "omar@other.test" not in api.get("/directory/people", tokens.developer).content.decode()


def test_a_status_admin_token_reads_no_directory(cast, tokens, api):
    assert_error(api.get("/directory/people", tokens.status_admin), 403, "forbidden")
    assert_error(api.get(f"/directory/people/{uuid.uuid4()}", tokens.status_admin), 403, "forbidden")
