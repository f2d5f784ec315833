"""Merging a ticket into another: what moves, what closes, and where later replies go."""

from __future__ import annotations

import pytest
from django.core import mail as django_mail
from django.test import Client

from capdesk.intake import actions as intake_actions
from capdesk.notify.models import OutboundEmail
from capdesk.portal.actions import user_for_person
from capdesk.sla.models import Clock
from capdesk.testing.factories import Personas
from capdesk.tickets import actions, merging
from capdesk.tickets.models import Attachment, Event, Message, MessageReference, Status, Ticket
from capdesk.tickets.reply_address import reply_address


def _ticket(cast: Personas, subject: str, *, message_id: str = "", email: str = "dewi@acme.test") -> Ticket:
    return actions.open_ticket(
        subject=subject,
        body=f"{subject}: details",
        channel="email",
        requester=cast.developer if email == "dewi@acme.test" else None,
        requester_email=email,
        project=cast.project,
        message_id=message_id,
        cites=["<older@mail.acme.test>"] if message_id else (),
        files=[actions.IncomingFile("log.txt", "text/plain", b"E/Capacitor: rollback")],
    )


def _email(*, to: str, sender: str, in_reply_to: str = "", message_id: str) -> bytes:
    cited = f"In-Reply-To: {in_reply_to}\r\n" if in_reply_to else ""
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: still broken\r\nMessage-ID: {message_id}\r\n{cited}"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nStill rolling back.\r\n"
    ).encode()


def _deliver(raw: bytes) -> Ticket | None:
    request = intake_actions.receive(channel="email", raw=raw).request
    intake_actions.process(request.pk)
    request.refresh_from_db()
    return request.ticket


def test_it_moves_messages_files_and_citations_and_closes_the_merged_ticket_with_events(
    cast,
) -> None:
    kept = _ticket(cast, "Rollback loop")
    merged = _ticket(cast, "App rolls back again", message_id="<b-1@mail.acme.test>")

    moved = merging.merge_tickets(merged, kept, agent=cast.agent)

    merged.refresh_from_db()
    assert moved == 1
    assert merged.status == Status.CLOSED and merged.merged_into == kept
    assert not merged.messages.exists()
    assert kept.messages.filter(author_kind=Message.Author.CUSTOMER).count() == 2
    assert Attachment.objects.filter(message__ticket=kept).count() == 2
    assert MessageReference.objects.get(reference="<older@mail.acme.test>").message.ticket == kept
    assert Event.objects.get(ticket=merged, kind="ticket.merged_into").data["target"] == kept.reference
    assert Event.objects.get(ticket=kept, kind="ticket.merged").data["source"] == merged.reference


def test_it_stops_the_merged_tickets_clocks_and_leaves_the_survivors_running(cast) -> None:
    kept = _ticket(cast, "Rollback loop")
    merged = _ticket(cast, "App rolls back again")
    assert Clock.objects.filter(ticket=merged, state=Clock.State.RUNNING).exists()

    merging.merge_tickets(merged, kept, agent=cast.agent)

    assert not Clock.objects.filter(
        ticket=merged, state__in=[Clock.State.RUNNING, Clock.State.PAUSED]
    ).exists()
    assert Clock.objects.filter(ticket=kept, state=Clock.State.RUNNING).exists()


def test_it_carries_the_linked_incident_over_to_the_survivor(cast) -> None:
    kept = _ticket(cast, "Rollback loop")
    merged = _ticket(cast, "Down?")
    merged.incident = "inc-42"
    merged.save(update_fields=["incident"])

    merging.merge_tickets(merged, kept, agent=cast.agent)

    kept.refresh_from_db()
    assert kept.incident == "inc-42"


def test_it_refuses_to_merge_across_organizations_and_changes_nothing(cast) -> None:
    kept = _ticket(cast, "Rollback loop")
    theirs = actions.open_ticket(
        subject="Other org's question",
        body="details",
        channel="portal",
        requester=cast.outsider,
        requester_email="omar@other.test",
        project=cast.other_project,
    )

    with pytest.raises(merging.MergeRefused, match="different organizations"):
        merging.merge_tickets(theirs, kept, agent=cast.agent)

    theirs.refresh_from_db()
    assert theirs.merged_into is None and theirs.is_open
    assert theirs.messages.count() == 1


def test_it_refuses_a_ticket_into_itself_and_a_ticket_merged_twice(cast) -> None:
    kept = _ticket(cast, "Rollback loop")
    merged = _ticket(cast, "Again")
    with pytest.raises(merging.MergeRefused, match="itself"):
        merging.merge_tickets(kept, kept, agent=cast.agent)
    merging.merge_tickets(merged, kept, agent=cast.agent)
    with pytest.raises(merging.MergeRefused, match="already merged"):
        merging.merge_tickets(merged, kept, agent=cast.agent)
    with pytest.raises(merging.MergeRefused, match="merge into that one"):
        merging.merge_tickets(_ticket(cast, "Third"), merged, agent=cast.agent)


def test_a_later_email_to_the_merged_tickets_reply_address_lands_on_the_survivor(cast) -> None:
    kept = _ticket(cast, "Rollback loop")
    merged = _ticket(cast, "Again")
    merging.merge_tickets(merged, kept, agent=cast.agent)

    landed = _deliver(
        _email(to=reply_address(merged.pk), sender="dewi@acme.test", message_id="<late-1@mail.acme.test>")
    )

    assert landed == kept
    assert kept.messages.filter(message_id="<late-1@mail.acme.test>").exists()


def test_an_email_citing_the_merged_tickets_message_threads_into_the_survivor_even_from_its_own_requester(
    cast,
) -> None:
    kept = _ticket(cast, "Rollback loop")
    # A colleague without a registered address filed the duplicate; same organization by project.
    merged = _ticket(cast, "Again", message_id="<b-1@mail.acme.test>", email="colleague@acme.test")

    merging.merge_tickets(merged, kept, agent=cast.agent)
    landed = _deliver(
        _email(
            to="support@capgo.app",
            sender="colleague@acme.test",
            in_reply_to="<b-1@mail.acme.test>",
            message_id="<late-2@mail.acme.test>",
        )
    )

    assert landed == kept
    assert Ticket.objects.count() == 2


def test_the_requester_gets_a_notice_threaded_on_the_survivor_when_asked(cast) -> None:
    kept = _ticket(cast, "Rollback loop")
    merged = _ticket(cast, "Again")
    before = OutboundEmail.objects.count()

    merging.merge_tickets(merged, kept, agent=cast.agent, notify_requester=True)

    notice = OutboundEmail.objects.order_by("-id").first()
    assert OutboundEmail.objects.count() == before + 1 and notice is not None
    assert notice.kind == "merged"
    assert kept.reference in notice.subject and merged.reference in notice.body_text
    assert notice.headers["Reply-To"] == reply_address(kept.pk)
    assert django_mail.outbox == []  # delivered by the worker, not inline


def test_the_customer_opening_the_merged_request_in_the_portal_is_sent_to_the_survivor(
    cast, client: Client
) -> None:
    kept = _ticket(cast, "Rollback loop")
    merged = _ticket(cast, "Again")
    merging.merge_tickets(merged, kept, agent=cast.agent)
    client.force_login(user_for_person(cast.developer))

    response = client.get(f"/portal/requests/{merged.reference}/")

    assert response.status_code == 302
    assert response["Location"] == f"/portal/requests/{kept.reference}/"
