"""Issue 6's "Done when", as one story: a watched service goes down, the desk notices and says so, comes back.

Everything is real and on 127.0.0.1: the watched service is an http.server thread, the
monitor sweep is the scheduler's own job, subscribing goes through the public views,
the request comes through the portal channel's intake, mail leaves through the worker.
Time moves with time-machine (ticking), so each sweep finds the monitor due again
without the test sleeping through its interval.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client

from capdesk.core.schedule import jobs
from capdesk.intake import actions as intake
from capdesk.intake.web_channel import encode_payload
from capdesk.notify.models import OutboundEmail
from capdesk.status import actions
from capdesk.status.models import Component, Incident, Monitor, Subscriber
from capdesk.testing.loopback import LoopbackServer, QuietHandler
from capdesk.tickets.models import Ticket

START = datetime(2026, 3, 17, 12, 0, tzinfo=UTC)
INTERVAL = 10  # seconds between a monitor's runs
THRESHOLD = 3  # consecutive failed runs that open an incident
MAX_SWEEPS = 10  # the loop that waits for the incident is bounded


class _Healthy(QuietHandler):
    def do_GET(self) -> None:
        body = b"updates: ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class LocalService:
    """A service on a fixed loopback port that can be stopped and started again, like a real one."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self._server = LoopbackServer(_Healthy, self.port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/health"

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop()


@pytest.fixture
def service() -> Iterator[LocalService]:
    running = LocalService()
    running.start()
    yield running
    running.stop()


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(START, tick=True) as traveller:
        yield traveller


def _sweep(clock: time_machine.Traveller) -> int:
    """One run of the scheduler's monitor job, then the clock moves on to the next interval."""
    (job,) = [j for j in jobs() if j.name == "status.run_monitors"]
    ran = job.run()
    clock.shift(timedelta(seconds=INTERVAL + 1))
    return ran


def _subscribe_by_email(client: Client, component: Component, address: str) -> Subscriber:
    """Double opt-in through the public pages: the form, then the link in the confirmation mail."""
    response = client.post(
        "/status/subscribe/", {"kind": "email", "email": address, "components": [component.pk]}
    )
    assert response.status_code == 302
    confirmation = OutboundEmail.objects.get(kind="status_confirm", to__icontains=address)
    match = re.search(r"https?://[^/\s]+(/status/subscribe/confirm/\S+/)", confirmation.body_text)
    assert match, confirmation.body_text
    assert not Subscriber.objects.get(email=address).is_active  # nothing until the owner says yes
    assert client.post(match.group(1)).status_code == 200
    subscriber = Subscriber.objects.get(email=address)
    assert subscriber.is_active
    return subscriber


def _file_portal_request(person) -> Ticket:
    payload = {
        "kind": "new",
        "subject": "Live updates stopped",
        "body": "Since a few minutes our devices get no new bundle on the production channel. "
        "[CapacitorUpdater] download failed, the update server does not answer. Is Capgo down?",
        "project": "com.acme.shop",
    }
    receipt = intake.receive(
        channel="portal",
        raw=encode_payload(payload),
        authenticated_person=person,
        claimed_sender=person.primary_email,
    )
    intake.process(receipt.request.pk)
    receipt.request.refresh_from_db()
    assert receipt.request.ticket is not None
    return receipt.request.ticket


def _unresolved_ids(client: Client) -> list[str]:
    return [i["id"] for i in client.get("/api/v2/incidents/unresolved.json").json()["incidents"]]


def test_it_notices_a_stopped_service_says_so_everywhere_refers_the_customer_and_resolves(
    cast, run_worker, service, clock, client
):
    # An admin puts the Live update API on the page and has a monitor watch its service.
    api = actions.create_component(name="Live update API")
    Monitor.objects.create(
        name="Update server",
        component=api,
        kind="http",
        target=service.url,
        keyword="ok",
        interval_seconds=INTERVAL,
        timeout_seconds=5,  # a refused connection fails at once; a loaded machine may answer slowly
        retries=0,
        failure_threshold=THRESHOLD,
    )
    # A customer subscribes to the Live update API by email and confirms.
    _subscribe_by_email(client, api, "sari@kopinusantara.id")
    run_worker()
    mail.outbox.clear()

    # While the service answers, the monitor passes and the page says all is well.
    assert _sweep(clock) == 1
    assert Component.objects.get(pk=api.pk).status == "operational"
    assert client.get("/api/v2/summary.json").json()["status"]["indicator"] == "none"

    # The service stops; after THRESHOLD failed runs in a row, an incident opens by itself.
    service.stop()
    sweeps = 0
    while not Incident.objects.exists() and sweeps < MAX_SWEEPS:
        assert _sweep(clock) == 1
        sweeps += 1
    assert sweeps == THRESHOLD
    incident = Incident.objects.get()
    assert incident.automatic and incident.status == "investigating"
    assert Component.objects.get(pk=api.pk).status == "major_outage"

    # It is on the public page and in the Statuspage JSON.
    assert incident.name in client.get("/status/").content.decode()
    assert _unresolved_ids(client) == [incident.public_id]
    summary = client.get("/api/v2/summary.json").json()
    assert [i["id"] for i in summary["incidents"]] == [incident.public_id]
    assert summary["status"]["indicator"] == "critical"  # a component in major_outage
    assert ("Live update API", "major_outage") in [(c["name"], c["status"]) for c in summary["components"]]

    # The subscriber hears about it by email, with a one-click unsubscribe.
    run_worker()
    (told,) = [m for m in mail.outbox if m.to == ["sari@kopinusantara.id"]]
    assert incident.name in f"{told.subject} {told.body}"
    assert told.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # A developer files a request about it in the portal: referred to the incident, linked.
    ticket = _file_portal_request(cast.developer)
    assert ticket.outcome == "refer_status"
    assert ticket.incident == incident.public_id
    assert incident.public_id in ticket.messages.get(author_kind="system").body_text

    # The service comes back: the next sweep moves the incident to monitoring, not resolved.
    service.start()
    assert _sweep(clock) == 1
    incident.refresh_from_db()
    assert incident.status == "monitoring"
    assert Component.objects.get(pk=api.pk).status == "operational"
    assert _sweep(clock) == 1
    incident.refresh_from_db()
    assert incident.status == "monitoring"  # a person confirms the end, not the monitor

    # An admin resolves it: the requester is told, the ticket solved, the page clear again.
    run_worker()
    mail.outbox.clear()
    actions.resolve_incident(incident, body="Confirmed fixed.", user=cast.admin)
    run_worker()
    ticket.refresh_from_db()
    assert ticket.status == "solved"
    (requester_told,) = [m for m in mail.outbox if m.to == ["dewi@acme.test"]]
    assert ticket.reference in requester_told.subject
    assert [m for m in mail.outbox if m.to == ["sari@kopinusantara.id"]]  # the subscriber too
    assert _unresolved_ids(client) == []
    assert client.get("/api/v2/summary.json").json()["status"]["indicator"] == "none"
