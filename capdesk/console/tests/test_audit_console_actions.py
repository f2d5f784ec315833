"""The audit log hears what staff do outside tickets: quarantine, shared macros, automatic assignment."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client

from capdesk.console.models import Macro
from capdesk.core.audit import Action
from capdesk.core.models import AuditEntry
from capdesk.intake import actions as intake
from capdesk.intake.models import InboundRequest
from capdesk.testing.factories import Personas
from capdesk.tickets.decisions import queue_for

NO_FROM = (Path(__file__).parents[2] / "intake" / "tests" / "samples" / "no_from.eml").read_bytes()


@pytest.fixture
def held(cast: Personas, run_worker: Callable[[], None]) -> InboundRequest:
    request = intake.receive(channel="email", raw=NO_FROM).request
    run_worker()
    request.refresh_from_db()
    assert request.state == InboundRequest.State.QUARANTINED
    return request


def _staff(cast: Personas) -> User:
    assert isinstance(cast.agent, User)
    return cast.agent


def _only(action: str) -> AuditEntry:
    [entry] = AuditEntry.objects.filter(action=action)
    return entry


def test_it_audits_who_downloaded_released_and_discarded_quarantined_requests(
    client: Client, cast: Personas, held: InboundRequest
) -> None:
    client.force_login(_staff(cast))
    client.get(f"/console/quarantine/{held.pk}/raw/")
    client.post(f"/console/quarantine/{held.pk}/release/")

    downloaded, released = _only(Action.QUARANTINE_DOWNLOADED), _only(Action.QUARANTINE_RELEASED)
    assert (downloaded.actor_user_id, downloaded.target_type, downloaded.target_id) == (
        cast.agent.pk,
        "inbound_request",
        str(held.pk),
    )
    assert released.actor_user_id == cast.agent.pk and released.details["channel"] == "email"
    assert released.ip == "127.0.0.1"

    held.refresh_from_db()
    InboundRequest.objects.filter(pk=held.pk).update(state=InboundRequest.State.QUARANTINED)
    client.post(f"/console/quarantine/{held.pk}/discard/")
    assert _only(Action.QUARANTINE_DISCARDED).target_id == str(held.pk)


def test_a_refused_release_writes_no_entry(client: Client, cast: Personas) -> None:
    client.force_login(_staff(cast))
    assert client.post("/console/quarantine/999999/release/").status_code == 404
    assert not AuditEntry.objects.filter(action__startswith="quarantine.").exists()


def test_it_audits_a_macro_written_changed_and_deleted(client: Client, cast: Personas) -> None:
    client.force_login(_staff(cast))
    client.post("/console/macros/", {"title": "Thanks", "body": "Thanks {name}!", "shared": "on"})
    macro = Macro.objects.get()
    client.post(f"/console/macros/?edit={macro.pk}", {"title": "Thanks", "body": "Thank you {name}!"})
    client.post(f"/console/macros/{macro.pk}/delete/")

    saved = list(AuditEntry.objects.filter(action=Action.MACRO_SAVED).order_by("pk"))
    assert [(e.details["shared"], e.details["edited"]) for e in saved] == [(True, False), (False, True)]
    assert _only(Action.MACRO_DELETED).target_id == str(macro.pk)
    assert not Macro.objects.exists()


def test_it_audits_automatic_assignment_turned_on_and_off(client: Client, cast: Personas) -> None:
    queue_for("support")
    assert isinstance(cast.admin, User)
    client.force_login(cast.admin)
    client.post("/console/rotations/support/", {"auto_assign": "1"})
    client.post("/console/rotations/support/", {"auto_assign": "0"})

    entries = AuditEntry.objects.filter(action=Action.QUEUE_AUTO_ASSIGN).order_by("pk")
    assert [(e.target_id, e.details["enabled"]) for e in entries] == [("support", True), ("support", False)]
