"""M2 end to end: an incident on the status page refers matching requests to it, not others."""

from __future__ import annotations

from capdesk.status import actions
from capdesk.status.policy_source import areas_of
from capdesk.testing.requests import file_portal_request
from capdesk.tickets.models import Ticket

UPDATE_FAILS = (
    "Live update not applied",
    "We call notifyAppReady() in main.ts but the new bundle 1.4.2 is never downloaded on the production "
    "channel. Device log: [CapacitorUpdater] No new version available. How do we debug the updater?",
)
# The same kind of report as Indonesian customers write it (not in the classifier's training set).
UPDATE_FAILS_ID = (
    "Bundle baru gagal diunduh perangkat",
    "Sudah dua jam perangkat di kanal production gagal mengunduh bundle 1.4.2 yang kami unggah. Log "
    "perangkat menunjukkan unduhan berhenti di tengah jalan, lalu aplikasi kembali ke versi bawaan. "
    "Mohon bantuannya.",
)


def _file(person) -> Ticket:
    return file_portal_request(person, *UPDATE_FAILS, project="com.acme.shop")


def test_components_map_to_the_policys_product_areas():
    assert areas_of("Live update API") == {"live_updates"}
    assert areas_of("CLI and bundle upload") == {"live_updates"}
    assert areas_of("Console") == {"app_management"}
    assert areas_of("Analytics") == {"analytics"}
    assert areas_of("Website") == frozenset()


def test_an_open_incident_on_the_live_update_api_refers_a_live_update_request(cast):
    api = actions.create_component(name="Live update API")
    incident = actions.open_incident(
        name="Bundle downloads failing", body="Investigating.", notify=False, components={api: "major_outage"}
    )
    ticket = _file(cast.developer)
    assert ticket.outcome == "refer_status"
    reply = ticket.messages.get(author_kind="system").body_text
    assert incident.public_id in reply


def test_an_open_incident_on_the_live_update_api_refers_an_indonesian_live_update_request(cast):
    api = actions.create_component(name="Live update API")
    incident = actions.open_incident(
        name="Bundle downloads failing", body="Investigating.", notify=False, components={api: "major_outage"}
    )
    ticket = file_portal_request(cast.developer, *UPDATE_FAILS_ID, project="com.acme.shop")
    assert ticket.outcome == "refer_status"
    assert ticket.incident == incident.public_id
    reply = ticket.messages.get(author_kind="system").body_text
    assert incident.public_id in reply


def test_an_incident_on_the_website_does_not_refer_a_live_update_request(cast):
    site = actions.create_component(name="Website")
    actions.open_incident(
        name="Docs slow", body="Investigating.", notify=False, components={site: "degraded_performance"}
    )
    assert _file(cast.developer).outcome == "accept"


def test_a_resolved_incident_refers_nothing(cast):
    api = actions.create_component(name="Live update API")
    incident = actions.open_incident(
        name="Bundle downloads failing", body="x", notify=False, components={api: "major_outage"}
    )
    actions.resolve_incident(incident, body="Fixed.", notify=False)
    assert _file(cast.developer).outcome == "accept"


def test_resolving_the_incident_tells_the_linked_requester_and_solves_the_ticket(cast, run_worker):
    from django.core import mail

    api = actions.create_component(name="Live update API")
    incident = actions.open_incident(
        name="Bundle downloads failing", body="x", notify=False, components={api: "major_outage"}
    )
    ticket = _file(cast.developer)
    assert ticket.incident == incident.public_id
    assert ticket.status == "on_hold"
    run_worker()
    mail.outbox.clear()
    actions.resolve_incident(incident, body="Fixed.", notify=False)
    ticket.refresh_from_db()
    assert ticket.status == "solved"
    run_worker()
    (told,) = mail.outbox
    assert told.to == ["dewi@acme.test"]
    assert "Bundle downloads failing" in told.subject and ticket.reference in told.subject
    # The notice on the ticket records the Message-ID it went out with: an answer citing it threads.
    notice = ticket.messages.filter(author_kind="system").latest("created_at")
    assert notice.message_id and notice.message_id == told.extra_headers["Message-ID"]


def test_a_linked_ticket_where_the_customer_wrote_again_stays_open_for_a_person(cast):
    from capdesk.tickets import actions as ticket_actions

    api = actions.create_component(name="Live update API")
    incident = actions.open_incident(
        name="Bundle downloads failing", body="x", notify=False, components={api: "major_outage"}
    )
    ticket = _file(cast.developer)
    ticket_actions.record_customer_reply(
        ticket, body="Also, our analytics are empty.", person=cast.developer, author_email="dewi@acme.test"
    )
    actions.resolve_incident(incident, body="Fixed.", notify=False)
    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert ticket.messages.filter(public=False, author_kind="system").exists()
