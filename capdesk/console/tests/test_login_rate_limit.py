"""The console's password sign-in: failed attempts are limited per name and per address."""

from datetime import UTC, datetime

import time_machine

from capdesk.console.views import LOGIN_FAILURES_PER_ADDRESS, LOGIN_FAILURES_PER_NAME

NINE = datetime(2026, 3, 2, 9, 0, 30, tzinfo=UTC)


def _sign_in(client, password, username="agent", address="203.0.113.7"):
    return client.post("/console/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_it_refuses_even_the_right_password_after_too_many_failures_for_that_name(client, cast):
    with time_machine.travel(NINE, tick=False):
        for _ in range(LOGIN_FAILURES_PER_NAME):
            assert _sign_in(client, "guess").status_code == 200
        refused = _sign_in(client, "correct horse battery")
        assert refused.status_code == 429
        assert refused["Retry-After"] == str(15 * 60 - 30)
        assert "Too many failed sign-ins" in refused.content.decode()
        assert "_auth_user_id" not in client.session


def test_the_right_password_works_again_once_the_window_has_passed(client, cast):
    with time_machine.travel(NINE, tick=False):
        for _ in range(LOGIN_FAILURES_PER_NAME):
            _sign_in(client, "guess")
    with time_machine.travel(datetime(2026, 3, 2, 9, 15, 0, tzinfo=UTC), tick=False):
        response = _sign_in(client, "correct horse battery")
        assert response.status_code == 302
        assert response["Location"] == "/console/"


def test_failures_for_one_name_do_not_lock_out_another(client, cast):
    with time_machine.travel(NINE, tick=False):
        for _ in range(LOGIN_FAILURES_PER_NAME):
            _sign_in(client, "guess", username="admin")
        assert _sign_in(client, "correct horse battery", username="agent").status_code == 302


def test_spraying_many_names_from_one_address_is_limited(client, cast):
    with time_machine.travel(NINE, tick=False):
        for n in range(LOGIN_FAILURES_PER_ADDRESS):
            _sign_in(client, "guess", username=f"name{n}")
        assert _sign_in(client, "correct horse battery", address="203.0.113.7").status_code == 429
        assert _sign_in(client, "correct horse battery", address="198.51.100.2").status_code == 302


def test_a_signed_in_customer_gets_the_form_and_an_agent_goes_to_the_queue(client, cast):
    from capdesk.portal.actions import user_for_person

    client.force_login(user_for_person(cast.developer))
    assert client.get("/console/login/").status_code == 200
    client.force_login(cast.agent)
    response = client.get("/console/login/")
    assert (response.status_code, response["Location"]) == (302, "/console/")
