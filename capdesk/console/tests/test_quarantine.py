"""Quarantine in the console: staff download a held request exactly as received, or discard it, audited."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.test import Client

from capdesk.intake import actions as intake
from capdesk.intake.models import InboundRequest
from capdesk.testing.factories import Personas

NO_FROM = (Path(__file__).parents[2] / "intake" / "tests" / "samples" / "no_from.eml").read_bytes()


def staff(cast: Personas) -> User:
    assert isinstance(cast.agent, User)
    return cast.agent


@pytest.fixture
def held_email(cast: Personas, run_worker: Callable[[], None]) -> InboundRequest:
    request = intake.receive(channel="email", raw=NO_FROM).request
    run_worker()
    request.refresh_from_db()
    assert request.state == InboundRequest.State.QUARANTINED
    return request


def test_it_lets_staff_download_a_quarantined_email_as_the_bytes_received(
    client: Client, cast: Personas, held_email: InboundRequest
) -> None:
    client.force_login(staff(cast))
    response = client.get(f"/console/quarantine/{held_email.pk}/raw/")
    assert response.status_code == 200
    assert response["Content-Type"] == "message/rfc822"
    assert response["Content-Disposition"] == f'attachment; filename="request-{held_email.pk}.eml"'
    assert response.content == NO_FROM


def test_it_offers_a_quarantined_web_request_as_json(
    client: Client, cast: Personas, run_worker: Callable[[], None]
) -> None:
    held = intake.receive(channel="portal", raw=b"{not json", authenticated_person=cast.developer).request
    run_worker()
    client.force_login(staff(cast))
    response = client.get(f"/console/quarantine/{held.pk}/raw/")
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == f'attachment; filename="request-{held.pk}.json"'
    assert response.content == b"{not json"


def test_it_does_not_offer_requests_that_were_processed(
    client: Client, cast: Personas, run_worker: Callable[[], None]
) -> None:
    plain = (Path(__file__).parents[2] / "intake" / "tests" / "samples" / "plain.eml").read_bytes()
    done = intake.receive(channel="email", raw=plain).request
    run_worker()
    client.force_login(staff(cast))
    assert client.get(f"/console/quarantine/{done.pk}/raw/").status_code == 404
    assert client.post(f"/console/quarantine/{done.pk}/discard/").status_code == 404


def test_it_discards_a_request_with_an_audit_row_and_a_log_line(
    client: Client, cast: Personas, held_email: InboundRequest, caplog: pytest.LogCaptureFixture
) -> None:
    client.force_login(staff(cast))
    assert (
        f"/console/quarantine/{held_email.pk}/discard/" in client.get("/console/quarantine/").content.decode()
    )
    with caplog.at_level(logging.INFO, logger="capdesk.intake.actions"):
        response = client.post(f"/console/quarantine/{held_email.pk}/discard/")
    assert response.status_code == 302
    held_email.refresh_from_db()
    assert held_email.state == InboundRequest.State.DISCARDED
    entry = LogEntry.objects.get(object_id=str(held_email.pk))
    assert entry.user_id == cast.agent.pk
    assert entry.change_message == "Discarded from quarantine"
    [record] = [r for r in caplog.records if r.msg == "intake.discarded"]
    assert record.__dict__["request_id"] == held_email.pk
    assert record.__dict__["user_id"] == cast.agent.pk
    # Gone from the list, and neither processed again nor discarded twice; the bytes stay.
    assert f"/console/quarantine/{held_email.pk}/" not in client.get("/console/quarantine/").content.decode()
    assert client.post(f"/console/quarantine/{held_email.pk}/release/").status_code == 404
    assert client.post(f"/console/quarantine/{held_email.pk}/discard/").status_code == 404
    assert LogEntry.objects.count() == 1
    assert client.get(f"/console/quarantine/{held_email.pk}/raw/").content == NO_FROM
