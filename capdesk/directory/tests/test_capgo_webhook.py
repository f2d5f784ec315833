"""POST /hooks/capgo/: Capgo's signed table events keep the directory in step."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import time_machine
from django.conf import LazySettings
from django.test import Client

from capdesk.core import webhook_signatures
from capdesk.directory import queries
from capdesk.directory.models import (
    Organization,
    Person,
    Plan,
    Project,
    RoleBinding,
    SubscriptionStatus,
    WebhookDelivery,
)
from capdesk.directory.tests import capgo_payloads as capgo
from capdesk.directory.tests.conftest import WEBHOOK_SECRET, WEBHOOK_URL, Deliver
from capdesk.tickets import actions as ticket_actions

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _snapshot() -> list[object]:
    """Every directory row, to prove that a refused request changed nothing."""
    return [
        sorted(Organization.objects.values_list("capgo_id", "name", "plan", "subscription_status")),
        sorted(Person.objects.values_list("capgo_id", flat=True)),
        sorted(Project.objects.values_list("app_id", "organization_id")),
        sorted(RoleBinding.objects.values_list("person_id", "organization_id", "project_id", "role")),
    ]


def test_it_creates_an_organization_with_its_plan_from_an_orgs_insert(deliver: Deliver) -> None:
    row = capgo.org_row(plan="Team", status="succeeded", trial_at="2026-03-16T00:00:00+00:00", credits=12.5)
    response = deliver(capgo.event("orgs", "INSERT", new=row))
    assert response.status_code == 200
    assert response.json()["changes"]["organizations"]["created"] == 1
    org = Organization.objects.get(capgo_id=capgo.ACME)
    assert org.name == "Acme Apps"
    assert org.plan == Plan.TEAM
    assert org.subscription_status == SubscriptionStatus.ACTIVE
    assert org.trial_ends_at == datetime(2026, 3, 16, tzinfo=UTC)
    assert org.credits_balance == Decimal("12.50")


def test_it_changes_only_the_fields_capgo_sent(deliver: Deliver) -> None:
    deliver(capgo.event("orgs", "INSERT", new=capgo.org_row(plan="enterprise", credits="40")))
    response = deliver(capgo.event("orgs", "UPDATE", new=capgo.org_row(name="Acme Inc"), old=capgo.org_row()))
    assert response.json()["changes"]["organizations"]["updated"] == 1
    org = Organization.objects.get(capgo_id=capgo.ACME)
    assert (org.name, org.plan, org.credits_balance) == ("Acme Inc", Plan.ENTERPRISE, Decimal("40.00"))


def test_it_skips_a_value_it_cannot_read_and_says_so(deliver: Deliver) -> None:
    response = deliver(capgo.event("orgs", "INSERT", new=capgo.org_row(plan="gold", status="active")))
    assert response.status_code == 200
    assert response.json()["warnings"] == [
        f"organization {capgo.ACME}: plan skipped: plan 'gold' is not one of solo, maker, team, enterprise"
    ]
    org = Organization.objects.get(capgo_id=capgo.ACME)
    assert (org.plan, org.subscription_status) == (Plan.SOLO, SubscriptionStatus.ACTIVE)


def test_it_binds_a_member_from_an_org_users_insert(deliver: Deliver) -> None:
    deliver(capgo.event("orgs", "INSERT", new=capgo.org_row()))
    deliver(capgo.event("apps", "INSERT", new=capgo.app_row()))
    response = deliver(capgo.event("org_users", "INSERT", new=capgo.org_user_row(app_id="com.acme.shop")))
    assert response.json()["changes"]["people"]["created"] == 1
    assert response.json()["changes"]["bindings"]["created"] == 1
    dewi = Person.objects.get(capgo_id=capgo.DEWI)
    project = Project.objects.get(app_id="com.acme.shop")
    assert RoleBinding.objects.get(person=dewi).role == "write"
    assert queries.is_developer_or_higher(dewi, project)


def test_it_prefers_the_new_role_name_over_the_legacy_right(deliver: Deliver) -> None:
    row = capgo.org_user_row(user_right="admin", role="org_billing_admin")
    deliver(capgo.event("org_users", "INSERT", new=row))
    assert RoleBinding.objects.get().role == "org_billing_admin"


def test_it_accepts_events_in_any_order_with_placeholders(deliver: Deliver) -> None:
    # The binding arrives before its organization and app: both are created as
    # placeholders (a trial: no paid support), then filled in by their own events.
    deliver(capgo.event("org_users", "INSERT", new=capgo.org_user_row(app_id="com.acme.shop")))
    org = Organization.objects.get(capgo_id=capgo.ACME)
    assert org.subscription_status == SubscriptionStatus.TRIALING
    assert not org.uses_paid_resources
    deliver(capgo.event("orgs", "INSERT", new=capgo.org_row(plan="team", status="active")))
    deliver(capgo.event("apps", "INSERT", new=capgo.app_row()))
    org.refresh_from_db()
    assert (org.name, org.plan) == ("Acme Apps", Plan.TEAM)
    assert Project.objects.get().name == "Acme Shop"


def test_it_never_stores_a_channel_scoped_binding(deliver: Deliver) -> None:
    row = capgo.org_user_row(app_id="com.acme.shop", channel_id=capgo.CHANNEL_ID, role="channel_admin")
    response = deliver(capgo.event("org_users", "INSERT", new=row))
    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert "channel-scoped" in response.json()["ignored"]
    assert RoleBinding.objects.count() == 0


def test_it_keeps_the_app_binding_when_a_channel_binding_is_deleted(deliver: Deliver) -> None:
    deliver(capgo.event("org_users", "INSERT", new=capgo.org_user_row(app_id="com.acme.shop")))
    channel_row = capgo.org_user_row(app_id="com.acme.shop", channel_id=capgo.CHANNEL_ID)
    response = deliver(capgo.event("org_users", "DELETE", old=channel_row))
    assert response.json()["status"] == "ignored"
    assert RoleBinding.objects.get().role == "write"


def test_it_drops_an_app_binding_narrowed_to_one_channel(deliver: Deliver) -> None:
    on_app = capgo.org_user_row(app_id="com.acme.shop")
    deliver(capgo.event("org_users", "INSERT", new=on_app))
    on_channel = capgo.org_user_row(app_id="com.acme.shop", channel_id=capgo.CHANNEL_ID)
    response = deliver(capgo.event("org_users", "UPDATE", old=on_app, new=on_channel))
    assert response.json()["status"] == "ok"
    assert response.json()["changes"]["bindings"]["deleted"] == 1
    assert not RoleBinding.objects.exists()


def test_it_moves_a_binding_when_an_update_changes_its_scope(deliver: Deliver) -> None:
    org_wide = capgo.org_user_row(user_right="admin")
    deliver(capgo.event("org_users", "INSERT", new=org_wide))
    one_app = capgo.org_user_row(user_right="admin", app_id="com.acme.shop")
    response = deliver(capgo.event("org_users", "UPDATE", old=org_wide, new=one_app))
    assert response.json()["changes"]["bindings"] == {
        "created": 1,
        "updated": 0,
        "deleted": 1,
        "unchanged": 0,
    }
    binding = RoleBinding.objects.get()
    assert binding.project is not None and binding.project.app_id == "com.acme.shop"


def test_it_updates_the_role_in_place(deliver: Deliver) -> None:
    deliver(capgo.event("org_users", "INSERT", new=capgo.org_user_row(user_right="read")))
    row = capgo.org_user_row(user_right="write")
    deliver(capgo.event("org_users", "UPDATE", old=capgo.org_user_row(user_right="read"), new=row))
    assert list(RoleBinding.objects.values_list("role", flat=True)) == ["write"]


def test_it_removes_a_binding_on_org_users_delete(deliver: Deliver) -> None:
    deliver(capgo.event("org_users", "INSERT", new=capgo.org_user_row()))
    deliver(capgo.event("org_users", "INSERT", new=capgo.org_user_row(capgo.RUDI, user_right="read")))
    response = deliver(capgo.event("org_users", "DELETE", old=capgo.org_user_row()))
    assert response.json()["changes"]["bindings"]["deleted"] == 1
    assert list(RoleBinding.objects.values_list("person__capgo_id", flat=True)) == [uuid.UUID(capgo.RUDI)]
    assert Person.objects.filter(capgo_id=capgo.DEWI).exists(), "people stay: tickets may name them"


def test_it_removes_an_app_and_its_bindings_on_apps_delete(deliver: Deliver) -> None:
    deliver(capgo.event("org_users", "INSERT", new=capgo.org_user_row(app_id="com.acme.shop")))
    response = deliver(capgo.event("apps", "DELETE", old=capgo.app_row()))
    assert response.json()["changes"]["projects"]["deleted"] == 1
    assert response.json()["changes"]["bindings"]["deleted"] == 1
    assert not Project.objects.exists()
    assert not RoleBinding.objects.exists()


def test_it_removes_an_organization_with_everything_in_it(deliver: Deliver) -> None:
    deliver(capgo.event("orgs", "INSERT", new=capgo.org_row()))
    deliver(capgo.event("org_users", "INSERT", new=capgo.org_user_row(app_id="com.acme.shop")))
    deliver(capgo.event("org_users", "INSERT", new=capgo.org_user_row(capgo.RUDI, user_right="admin")))
    response = deliver(capgo.event("orgs", "DELETE", old=capgo.org_row()))
    assert response.json()["changes"]["organizations"]["deleted"] == 1
    assert response.json()["changes"]["bindings"]["deleted"] == 2
    assert not Organization.objects.exists()
    assert not Project.objects.exists()


def test_it_keeps_an_app_that_tickets_refer_to_but_strips_its_bindings(deliver: Deliver) -> None:
    deliver(capgo.event("org_users", "INSERT", new=capgo.org_user_row(app_id="com.acme.shop")))
    project = Project.objects.get()
    ticket_actions.open_ticket(
        subject="Updates fail",
        body="since today",
        channel="portal",
        requester=Person.objects.get(),
        requester_email="dewi@acme.test",
        project=project,
        organization=project.organization,
    )
    response = deliver(capgo.event("orgs", "DELETE", old=capgo.org_row()))
    assert response.status_code == 200
    assert any("kept" in w for w in response.json()["warnings"])
    assert Project.objects.filter(pk=project.pk).exists()
    assert not RoleBinding.objects.exists()


def test_it_ignores_tables_it_does_not_sync(deliver: Deliver) -> None:
    response = deliver(capgo.event("app_versions", "INSERT", new={"id": 1, "name": "1.0.0"}))
    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert response.json()["ignored"] == "table 'app_versions' is not synced"


def test_it_refuses_a_bad_signature_and_changes_nothing(deliver: Deliver) -> None:
    before = _snapshot()
    response = deliver(
        capgo.event("orgs", "INSERT", new=capgo.org_row()), secret="whsec_d3Jvbmcta2V5LXdyb25nLWtleQ=="
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_signature"
    assert _snapshot() == before


def test_it_refuses_a_body_changed_after_signing(deliver: Deliver) -> None:
    signed = capgo.body(capgo.event("orgs", "INSERT", new=capgo.org_row()))
    headers = webhook_signatures.sign(WEBHOOK_SECRET, "msg_tampered", signed)
    tampered = capgo.body(capgo.event("orgs", "INSERT", new=capgo.org_row(name="Evil")))
    response = deliver(raw=tampered, headers=headers)
    assert response.status_code == 401
    assert not Organization.objects.exists()


def test_it_refuses_a_request_without_signature_headers(deliver: Deliver) -> None:
    response = deliver(capgo.event("orgs", "INSERT", new=capgo.org_row()), headers={"X-Other": "1"})
    assert response.status_code == 400
    assert response.json()["error"] == "missing_headers"
    assert not Organization.objects.exists()


@time_machine.travel(NOON, tick=False)
def test_it_refuses_a_stale_timestamp(deliver: Deliver) -> None:
    five_minutes_and_one_second_ago = int(NOON.timestamp()) - 301
    response = deliver(
        capgo.event("orgs", "INSERT", new=capgo.org_row()), timestamp=five_minutes_and_one_second_ago
    )
    assert response.status_code == 401
    assert response.json()["error"] == "stale_timestamp"
    assert not Organization.objects.exists()


@time_machine.travel(NOON, tick=False)
def test_it_refuses_a_replayed_webhook_id_and_changes_nothing(deliver: Deliver) -> None:
    first = deliver(capgo.event("orgs", "INSERT", new=capgo.org_row()), webhook_id="msg_once")
    assert first.status_code == 200
    before = _snapshot()
    replay = deliver(capgo.event("orgs", "INSERT", new=capgo.org_row(name="Replayed")), webhook_id="msg_once")
    assert replay.status_code == 409
    assert replay.json()["error"] == "replayed"
    assert _snapshot() == before


def test_it_forgets_webhook_ids_once_their_timestamps_could_no_longer_pass(deliver: Deliver) -> None:
    with time_machine.travel(NOON, tick=False):
        deliver(capgo.event("orgs", "INSERT", new=capgo.org_row()), webhook_id="msg_old")
    with time_machine.travel(datetime(2026, 3, 2, 13, 0, tzinfo=UTC), tick=False):
        deliver(capgo.event("orgs", "UPDATE", new=capgo.org_row()), webhook_id="msg_new")
    assert list(WebhookDelivery.objects.values_list("webhook_id", flat=True)) == ["msg_new"]


def test_it_answers_400_to_malformed_json_and_records_nothing(deliver: Deliver) -> None:
    response = deliver(raw=b'{"type": "table_change", "data": ')
    assert response.status_code == 400
    assert response.json()["error"] == "malformed_json"
    assert not WebhookDelivery.objects.exists()


def test_it_answers_400_to_an_event_without_data(deliver: Deliver) -> None:
    response = deliver({"type": "table_change", "event": "orgs.INSERT"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_event"


def test_it_refuses_a_record_without_a_usable_id_and_lets_a_corrected_retry_through(deliver: Deliver) -> None:
    bad = capgo.event("org_users", "INSERT", new=capgo.org_user_row(user_id="not-a-uuid"))
    response = deliver(bad, webhook_id="msg_retry")
    assert response.status_code == 400
    assert "org_users user_id 'not-a-uuid' is not a UUID" in response.json()["message"]
    assert _snapshot() == [[], [], [], []]
    retry = deliver(capgo.event("org_users", "INSERT", new=capgo.org_user_row()), webhook_id="msg_retry")
    assert retry.status_code == 200


def test_it_needs_the_old_record_to_delete_a_binding(deliver: Deliver) -> None:
    deliver(capgo.event("org_users", "INSERT", new=capgo.org_user_row()))
    response = deliver(capgo.event("org_users", "DELETE", old=None))
    assert response.status_code == 400
    assert RoleBinding.objects.count() == 1


def test_it_is_unavailable_until_a_secret_is_configured(deliver: Deliver, settings: LazySettings) -> None:
    settings.CAPGO_WEBHOOK_SECRET = ""
    response = deliver(capgo.event("orgs", "INSERT", new=capgo.org_row()))
    assert response.status_code == 503
    assert not Organization.objects.exists()


def test_it_only_accepts_post(client: Client, webhook_secret: str) -> None:
    assert client.get(WEBHOOK_URL).status_code == 405
