"""`capdesk directory pull` against a real HTTP server that answers as Capgo's API does."""

import io
import json
import uuid
from typing import Any

import pytest
from django.conf import LazySettings
from django.core.management import CommandError, call_command

from capdesk.directory import queries
from capdesk.directory.models import EmailAddress, Organization, Person, Plan, Project, RoleBinding
from capdesk.directory.tests import capgo_payloads as capgo
from capdesk.directory.tests.fake_capgo_api import FakeCapgo, serving

THIRD = "6aa5b0a0-0b3c-4d6e-8f00-000000000003"
SARI = "0d1e2f30-4a5b-4c6d-8e7f-000000000013"
INVITED = "0d1e2f30-4a5b-4c6d-8e7f-000000000014"


def member(uid: str, email: str, role: str, **extra: Any) -> dict[str, Any]:
    return {"aid": 1, "uid": uid, "email": email, "image_url": "", "role": role, "is_tmp": False, **extra}


def _fill(api: FakeCapgo) -> None:
    api.organizations = [
        capgo.org_row(capgo.ACME, "Acme Apps", plan="team", status="active"),
        capgo.org_row(capgo.OTHER, "Other Corp"),
        capgo.org_row(THIRD, "Third Ltd"),
    ]
    api.members = {
        capgo.ACME: [
            member(capgo.DEWI, "Dewi@Acme.test", "write"),
            member(capgo.RUDI, "rudi@acme.test", "read"),
            member(INVITED, "new@acme.test", "invite_write", is_tmp=True),
        ],
        capgo.OTHER: [member(SARI, "sari@other.test", "super_admin")],
    }
    api.apps = {
        capgo.ACME: [
            capgo.app_row("com.acme.shop"),
            capgo.app_row("com.acme.blog", name="Acme Blog"),
            capgo.app_row("com.acme.pos", name="Acme POS"),
        ],
        capgo.OTHER: [capgo.app_row("com.other.app", capgo.OTHER, "Other App")],
    }


def pull(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("directory", "pull", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def pull_json(*args: str) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(pull("--json", *args)[0])
    return report


def test_it_fills_the_directory_from_every_page_of_the_api(capgo_api: FakeCapgo) -> None:
    _fill(capgo_api)
    report = pull_json()
    assert report["changes"]["organizations"]["created"] == 3
    assert report["changes"]["projects"]["created"] == 4
    assert report["changes"]["people"]["created"] == 3
    assert report["changes"]["bindings"]["created"] == 3
    acme = Organization.objects.get(capgo_id=capgo.ACME)
    assert (acme.name, acme.plan) == ("Acme Apps", Plan.TEAM)
    assert sorted(Project.objects.values_list("app_id", flat=True)) == [
        "com.acme.blog",
        "com.acme.pos",
        "com.acme.shop",
        "com.other.app",
    ]
    dewi = Person.objects.get(capgo_id=capgo.DEWI)
    assert dewi.primary_email == "dewi@acme.test"
    assert queries.is_developer_or_higher(dewi, Project.objects.get(app_id="com.acme.pos"))
    assert "/organization?page=1" in capgo_api.requests, "the third organization is on page 1"


def test_it_skips_invitations_to_addresses_without_an_account(capgo_api: FakeCapgo) -> None:
    _fill(capgo_api)
    pull()
    assert not Person.objects.filter(capgo_id=INVITED).exists()
    assert not EmailAddress.objects.filter(email="new@acme.test").exists()


def test_it_reports_nothing_changed_on_a_second_pull(capgo_api: FakeCapgo) -> None:
    _fill(capgo_api)
    pull()
    report = pull_json()
    assert all(
        counts["created"] == counts["updated"] == counts["deleted"] == 0
        for counts in report["changes"].values()
    )
    assert report["changes"]["bindings"]["unchanged"] == 3


def test_it_removes_the_members_and_apps_capgo_no_longer_lists(capgo_api: FakeCapgo) -> None:
    _fill(capgo_api)
    pull()
    capgo_api.members[capgo.ACME] = [member(capgo.DEWI, "dewi@acme.test", "admin")]
    capgo_api.apps[capgo.ACME] = [capgo.app_row("com.acme.shop")]
    report = pull_json()
    assert report["changes"]["bindings"] == {"created": 0, "updated": 1, "deleted": 1, "unchanged": 1}
    assert report["changes"]["projects"]["deleted"] == 2
    assert not RoleBinding.objects.filter(person__capgo_id=capgo.RUDI).exists()
    assert Person.objects.filter(capgo_id=capgo.RUDI).exists(), "people stay: tickets may name them"


def test_it_keeps_unlisted_organizations_unless_told_to_prune(capgo_api: FakeCapgo) -> None:
    _fill(capgo_api)
    pull()
    capgo_api.organizations = capgo_api.organizations[:2]
    assert pull_json()["changes"]["organizations"]["deleted"] == 0
    assert pull_json("--prune-organizations")["changes"]["organizations"]["deleted"] == 1
    assert not Organization.objects.filter(capgo_id=THIRD).exists()


def test_it_changes_nothing_on_a_dry_run_but_says_what_would_change(capgo_api: FakeCapgo) -> None:
    _fill(capgo_api)
    out, _ = pull("--dry-run")
    assert "dry run: nothing was changed" in out
    assert "organizations created 3" in out
    assert not Organization.objects.exists()
    assert not Person.objects.exists()


def test_it_shows_progress_on_stderr_and_the_report_on_stdout(capgo_api: FakeCapgo) -> None:
    _fill(capgo_api)
    out, err = pull()
    assert "[1/3] Acme Apps: 2 members, 3 apps" in err
    assert "[1/3]" not in out
    assert out.splitlines()[0].startswith("organizations")


def test_it_waits_out_a_429_and_then_carries_on(capgo_api: FakeCapgo) -> None:
    _fill(capgo_api)
    capgo_api.scripted["/app"] = [(429, {"Retry-After": "0"}, {"error": "too_many_requests", "status": "KO"})]
    _, err = pull()
    assert "rate limited on /app; retrying in 0s" in err
    assert capgo_api.requests.count(f"/app?org_id={capgo.ACME}&page=0") == 2
    assert Project.objects.count() == 4


def test_it_stops_on_a_ko_answer_and_changes_nothing(capgo_api: FakeCapgo) -> None:
    _fill(capgo_api)
    capgo_api.scripted["/app"] = [
        (200, {}, {"status": "ok", "data": [capgo.app_row()]}),
        (200, {}, {"status": "ok", "data": []}),
        (400, {}, {"error": "cannot_access_organization", "status": "KO"}),
    ]
    with pytest.raises(CommandError, match="nothing changed: GET /app: HTTP 400: cannot_access_organization"):
        pull()
    assert not Organization.objects.exists()


def test_it_stops_on_a_ko_answer_sent_with_http_200(capgo_api: FakeCapgo) -> None:
    capgo_api.scripted["/organization"] = [(200, {}, {"error": "invalid_apikey", "status": "KO"})]
    with pytest.raises(CommandError, match="Capgo says invalid_apikey"):
        pull()


def test_it_accepts_bare_lists(capgo_api: FakeCapgo) -> None:
    _fill(capgo_api)
    capgo_api.bare_lists = True
    assert pull_json()["changes"]["projects"]["created"] == 4


def test_it_keeps_the_binding_that_grants_less_when_capgo_lists_a_member_twice(capgo_api: FakeCapgo) -> None:
    # Capgo's members endpoint drops app_id, so an app-scoped `write` and an org-wide
    # `read` look alike; a wrong "yes" would give away support, a wrong "no" is overridable.
    _fill(capgo_api)
    capgo_api.members[capgo.ACME] = [
        member(capgo.DEWI, "dewi@acme.test", "write"),
        member(capgo.DEWI, "dewi@acme.test", "read"),
    ]
    report = pull_json()
    assert RoleBinding.objects.get(person__capgo_id=capgo.DEWI).role == "read"
    assert any("listed as both 'write' and 'read'" in warning for warning in report["warnings"])


def test_it_reads_app_scoped_members_when_capgo_says_which_app(capgo_api: FakeCapgo) -> None:
    _fill(capgo_api)
    capgo_api.members[capgo.ACME] = [
        member(capgo.DEWI, "dewi@acme.test", "write", app_id="com.acme.shop"),
        member(capgo.RUDI, "rudi@acme.test", "admin", app_id="com.acme.shop", channel_id=7),
    ]
    pull()
    binding = RoleBinding.objects.get(organization__capgo_id=capgo.ACME)
    assert binding.project is not None and binding.project.app_id == "com.acme.shop"
    assert binding.person.capgo_id == uuid.UUID(capgo.DEWI)


def test_it_refuses_to_run_without_an_api_key(capgo_api: FakeCapgo, settings: LazySettings) -> None:
    settings.CAPGO_API_KEY = ""
    with pytest.raises(CommandError, match="CAPGO_API_KEY"):
        pull()
    assert capgo_api.requests == []


def test_it_says_so_when_capgo_cannot_be_reached(settings: LazySettings, db: None) -> None:
    with serving(FakeCapgo()) as closed:
        url = closed.url
    settings.CAPGO_API_URL = url
    settings.CAPGO_API_KEY = "any"
    with pytest.raises(CommandError, match="cannot reach"):
        pull()
