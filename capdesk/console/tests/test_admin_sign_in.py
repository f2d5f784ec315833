"""The Django admin's sign-in is the console's: the same failure limits, the same audit entry."""

from datetime import UTC, datetime

import time_machine

from capdesk.console.views import LOGIN_FAILURES_PER_NAME
from capdesk.core.models import AuditEntry

NINE = datetime(2026, 3, 2, 9, 0, 30, tzinfo=UTC)


def _sign_in(client, password, username="admin", address="203.0.113.7"):
    return client.post(
        "/admin/login/?next=/admin/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_it_shows_the_admins_own_sign_in_form(client, cast):
    page = client.get("/admin/login/?next=/admin/")
    assert page.status_code == 200
    assert 'name="username"' in page.content.decode() and 'value="/admin/"' in page.content.decode()


def test_a_staff_sign_in_through_the_admin_is_in_the_audit_log(client, cast):
    response = _sign_in(client, "correct horse battery")
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    entry = AuditEntry.objects.get(action="console.sign_in")
    assert (entry.actor_label, entry.details, entry.ip) == ("admin", {"via": "admin"}, "203.0.113.7")
    assert client.get("/admin/").status_code == 200


def test_a_failed_admin_sign_in_is_in_the_audit_log_and_counts_against_the_limit(client, cast):
    with time_machine.travel(NINE, tick=False):
        for _ in range(LOGIN_FAILURES_PER_NAME):
            assert _sign_in(client, "guess").status_code == 200
        assert AuditEntry.objects.filter(action="console.sign_in_failed").count() == LOGIN_FAILURES_PER_NAME
        refused = _sign_in(client, "correct horse battery")
        assert refused.status_code == 429
        assert "_auth_user_id" not in client.session
        # One limit for both doors: the console refuses the name too.
        console = client.post(
            "/console/login/",
            {"username": "admin", "password": "correct horse battery"},
            REMOTE_ADDR="203.0.113.7",
        )
        assert console.status_code == 429


def test_a_customer_cannot_sign_in_to_the_admin(client, cast):
    from capdesk.portal.actions import user_for_person

    customer = user_for_person(cast.developer)
    customer.set_password("a customer password")
    customer.save()
    response = _sign_in(client, "a customer password", username=customer.get_username())
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
