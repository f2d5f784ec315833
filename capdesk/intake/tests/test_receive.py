import json

from capdesk.intake import actions
from capdesk.intake.models import InboundRequest
from capdesk.tickets.models import Ticket


def _portal_raw(**fields: object) -> bytes:
    payload = {
        "kind": "new",
        "subject": "Updates never download",
        "body": "notifyAppReady is called",
        **fields,
    }
    return json.dumps(payload).encode()


def test_it_stores_the_request_before_processing_it(cast, run_worker):
    receipt = actions.receive(
        channel="portal",
        raw=_portal_raw(project="com.acme.shop"),
        idempotency_key="form-1",
        claimed_sender="dewi@acme.test",
        authenticated_person=cast.developer,
    )
    assert receipt.request.state == InboundRequest.State.PENDING
    assert Ticket.objects.count() == 0
    run_worker()
    receipt.request.refresh_from_db()
    assert receipt.request.state == InboundRequest.State.PROCESSED
    ticket = Ticket.objects.get()
    assert ticket.project == cast.project
    assert ticket.requester == cast.developer


def test_it_counts_a_repeat_delivery_instead_of_storing_it_twice(cast, run_worker):
    for _ in range(3):
        actions.receive(
            channel="portal",
            raw=_portal_raw(),
            idempotency_key="form-1",
            claimed_sender="dewi@acme.test",
            authenticated_person=cast.developer,
        )
    run_worker()
    assert InboundRequest.objects.get().duplicates == 2
    assert Ticket.objects.count() == 1


def test_it_quarantines_a_request_naming_someone_elses_project(cast, run_worker):
    receipt = actions.receive(
        channel="portal",
        raw=_portal_raw(project="com.other.app"),
        claimed_sender="dewi@acme.test",
        authenticated_person=cast.developer,
    )
    run_worker()
    receipt.request.refresh_from_db()
    assert receipt.request.state == InboundRequest.State.QUARANTINED
    assert "does not belong to" in receipt.request.reason
    assert Ticket.objects.count() == 0


def test_it_quarantines_a_request_whose_channel_has_no_handler_any_more(cast, monkeypatch):
    from capdesk.intake import channels

    receipt = actions.receive(
        channel="portal",
        raw=_portal_raw(),
        authenticated_person=cast.developer,
        claimed_sender="dewi@acme.test",
    )
    monkeypatch.setattr(channels, "_HANDLERS", {})  # e.g. a channel removed by a later release
    assert actions.process(receipt.request.pk)
    receipt.request.refresh_from_db()
    assert receipt.request.state == InboundRequest.State.QUARANTINED
    assert "no handler for channel 'portal'" in receipt.request.reason
