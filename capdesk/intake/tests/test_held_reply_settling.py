"""An agent settles a held reply without its link: publish it (the customer confirmed another
way) or discard it (forged). Either way the link stops working, and the History says who and why."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.core.files.storage import default_storage
from django.utils import timezone

from capdesk.api.actions import create_token
from capdesk.core.schedule import jobs
from capdesk.intake import confirmation
from capdesk.intake.models import InboundRequest, SenderConfirmation
from capdesk.intake.tests.test_held_replies import FORGED, confirmation_link, deliver, reply
from capdesk.notify.models import WebhookDelivery
from capdesk.portal.actions import user_for_person
from capdesk.sla.models import Clock
from capdesk.testing.requests import file_portal_request
from capdesk.tickets import merging
from capdesk.tickets.models import Attachment, Message, Ticket

PUBLISH = "/console/tickets/{ref}/held/{pk}/publish/"
DISCARD = "/console/tickets/{ref}/held/{pk}/discard/"


def held(ticket: Ticket) -> Message:
    return ticket.messages.get(held=True)


def with_file(raw: bytes) -> bytes:
    from email import message_from_bytes
    from email.policy import default

    msg = message_from_bytes(raw, policy=default)
    msg.add_attachment(b"%PDF-1.4 forged invoice", maintype="application", subtype="pdf", filename="i.pdf")
    return msg.as_bytes()


def test_an_agent_publishes_a_held_reply_and_its_link_then_says_it_was_used(
    cast, stub, ticket, hook, client
) -> None:
    deliver(reply(ticket))
    message = held(ticket)
    link = confirmation_link(ticket)
    client.force_login(cast.agent)
    response = client.post(
        PUBLISH.format(ref=ticket.reference, pk=message.pk), {"reason": "Dewi confirmed by phone"}
    )
    assert response.status_code == 302 and response["Location"] == f"/console/tickets/{ticket.reference}/"
    message.refresh_from_db()
    assert message.public and not message.held
    ticket.refresh_from_db()
    assert ticket.status == "open"  # the customer wrote: as if they had confirmed it themselves
    assert Clock.objects.filter(ticket=ticket, metric="next_response", state="running").exists()
    assert hook.deliveries.filter(event_type="ticket.updated").count() == 1
    event = ticket.events.get(kind="held_reply.released")
    assert event.actor_user == cast.agent and event.reason == "Dewi confirmed by phone"
    page = client.get(f"/console/tickets/{ticket.reference}/").content.decode()
    assert "published as the customer&#x27;s" in page and "Dewi confirmed by phone" in page
    # The link must not decide the ticket again as if it were a new request.
    decisions = ticket.decisions.count()
    client.logout()
    again = client.post(link)
    assert again.status_code == 410 and "Already confirmed" in again.content.decode()
    assert ticket.decisions.count() == decisions
    assert ticket.events.filter(kind="message.customer").count() == 1
    # The customer sees it as theirs.
    client.force_login(user_for_person(cast.developer))
    assert FORGED in client.get(f"/portal/requests/{ticket.reference}/").content.decode()


def test_an_agent_discards_a_forged_reply_and_the_email_stays_in_the_intake_log(
    cast, stub, ticket, hook, client, django_capture_on_commit_callbacks
) -> None:
    raw = with_file(reply(ticket))
    request = deliver(raw)
    message = held(ticket)
    stored = message.attachments.get().file.name
    assert default_storage.exists(stored)
    link = confirmation_link(ticket)
    client.force_login(cast.agent)
    with django_capture_on_commit_callbacks(execute=True):  # the file goes once the row is gone for good
        response = client.post(
            DISCARD.format(ref=ticket.reference, pk=message.pk), {"reason": "forged: Dewi never wrote this"}
        )
    assert response.status_code == 302
    assert not Message.objects.filter(pk=message.pk).exists()
    assert not Attachment.objects.exists() and not default_storage.exists(stored)
    ticket.refresh_from_db()
    assert ticket.status == "pending"
    assert not WebhookDelivery.objects.exists()
    event = ticket.events.get(kind="held_reply.discarded")
    assert event.actor_user == cast.agent and event.reason == "forged: Dewi never wrote this"
    assert event.data["author"] == "dewi@acme.test" and event.data["request"] == request.pk
    # The bytes are kept, and the intake log says what became of them.
    request.refresh_from_db()
    assert bytes(request.raw) == raw
    assert request.reason.endswith(f"held reply discarded by {cast.agent.username}")
    client.force_login(cast.admin)  # the intake log is for admins
    log = client.get("/console/intake/").content.decode()
    assert "held reply discarded by" in log
    # The link now does nothing.
    client.logout()
    assert client.post(link).status_code == 410
    assert not ticket.messages.filter(body_text__contains="delete the production channel").exists()


def test_a_file_another_message_holds_is_kept_when_a_held_reply_is_discarded(
    cast, stub, ticket, client, django_capture_on_commit_callbacks
) -> None:
    deliver(with_file(reply(ticket)))
    message = held(ticket)
    kept = message.attachments.get()
    other = ticket.messages.exclude(pk=message.pk).first()
    assert other is not None
    Attachment.objects.create(
        message=other,
        file=kept.file.name,
        filename="i.pdf",
        content_type="application/pdf",
        size=1,
        sha256=kept.sha256,
    )
    client.force_login(cast.agent)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(DISCARD.format(ref=ticket.reference, pk=message.pk))
    assert not Message.objects.filter(pk=message.pk).exists()
    assert default_storage.exists(kept.file.name)


def test_a_file_stored_again_between_the_discard_and_its_commit_is_kept(
    cast, stub, ticket, client, django_capture_on_commit_callbacks
) -> None:
    deliver(with_file(reply(ticket)))
    message = held(ticket)
    kept = message.attachments.get()
    client.force_login(cast.agent)
    with django_capture_on_commit_callbacks() as after_commit:
        client.post(DISCARD.format(ref=ticket.reference, pk=message.pk))
    assert not Attachment.objects.exists()  # the discard saw no other holder of the file
    # Another worker stores a message with the same bytes before the deletion runs.
    other = ticket.messages.first()
    assert other is not None
    Attachment.objects.create(
        message=other, file=kept.file.name, filename="i.pdf", content_type="application/pdf", size=1
    )
    for callback in after_commit:
        callback()
    assert default_storage.exists(kept.file.name)


def test_settling_a_reply_that_is_no_longer_held_changes_nothing(cast, stub, ticket, client) -> None:
    deliver(reply(ticket))
    message = held(ticket)
    other = file_portal_request(
        cast.developer, "Another request", "The rollback channel shows no bundle at all."
    )
    client.force_login(cast.agent)
    # A held message is only reachable through its own ticket.
    wrong = client.post(PUBLISH.format(ref=other.reference, pk=message.pk), follow=True)
    assert "no longer held" in wrong.content.decode()
    assert Message.objects.get(pk=message.pk).held
    client.post(PUBLISH.format(ref=ticket.reference, pk=message.pk))
    response = client.post(DISCARD.format(ref=ticket.reference, pk=message.pk), follow=True)
    assert "no longer held" in response.content.decode()
    assert Message.objects.filter(pk=message.pk, public=True).exists()
    assert not ticket.events.filter(kind="held_reply.discarded").exists()


def test_a_reply_held_on_a_ticket_merged_since_is_settled_from_the_old_ticket_page(
    cast, stub, ticket, client
) -> None:
    deliver(reply(ticket))
    message = held(ticket)
    survivor = file_portal_request(
        cast.developer, "Same problem", "The rollback channel shows no bundle.", project="com.acme.shop"
    )
    merging.merge_tickets(ticket, survivor, agent=cast.agent)
    assert Message.objects.get(pk=message.pk).ticket == survivor
    client.force_login(cast.agent)
    # The agent's page was loaded before the merge: its form still names the merged ticket.
    response = client.post(PUBLISH.format(ref=ticket.reference, pk=message.pk), follow=True)
    assert "no longer held" not in response.content.decode()
    assert response.redirect_chain[-1][0] == f"/console/tickets/{survivor.reference}/"
    message.refresh_from_db()
    assert message.public and not message.held and message.ticket == survivor
    assert survivor.events.filter(kind="held_reply.released").exists()


def test_the_held_list_shows_each_reply_with_its_links_state(cast, stub, ticket, client, settings) -> None:
    deliver(reply(ticket))
    deliver(reply(ticket, body="A second forged reply.", subject="Re: again"))
    client.force_login(cast.agent)
    tickets = client.get("/console/").content.decode()
    assert "2 held replies" in tickets
    page = client.get("/console/held/").content.decode()
    assert ticket.reference in page and "dewi@acme.test" in page
    assert page.count("link works until") == 2
    later = timezone.now() + timedelta(minutes=settings.CAPDESK_CONFIRM_MINUTES + 1)
    with time_machine.travel(later):
        page = client.get("/console/held/").content.decode()
        assert page.count("link expired") == 2
        # An expired link leaves the reply to an agent: publishing still works.
        first = ticket.messages.filter(held=True).order_by("pk").first()
        assert first is not None
        response = client.post(PUBLISH.format(ref=ticket.reference, pk=first.pk), {"back": "held"})
        assert response["Location"] == "/console/held/"
    assert ticket.messages.filter(held=True).count() == 1
    assert SenderConfirmation.objects.filter(confirmed_at__isnull=False).count() == 1
    assert "1 held reply" in client.get("/console/").content.decode()


def test_the_scheduler_discards_a_held_reply_nobody_settled_after_its_days(
    cast, stub, ticket, client, settings
) -> None:
    settings.CAPDESK_HELD_REPLY_DAYS = 14
    deliver(reply(ticket))
    old = held(ticket)
    link = confirmation_link(ticket)
    expired = timezone.now() + timedelta(minutes=settings.CAPDESK_CONFIRM_MINUTES)
    with time_machine.travel(expired + timedelta(days=13)):
        deliver(reply(ticket, body="A later forged reply.", subject="Re: later"))
        assert confirmation.discard_expired_held_replies() == 0  # 13 days: kept
    with time_machine.travel(expired + timedelta(days=14, minutes=1)):
        (job,) = [j for j in jobs() if j.name == "intake.discard_expired_held_replies"]
        assert job.run() == 1
        assert job.run() == 0
        assert client.post(link).status_code == 410
    assert not Message.objects.filter(pk=old.pk).exists()
    assert ticket.messages.get(held=True).body_text.startswith("A later forged reply.")
    event = ticket.events.get(kind="held_reply.expired")
    assert event.actor_user is None and event.data["days"] == 14
    request = InboundRequest.objects.get(pk=event.data["request"])
    assert request.reason.endswith("held reply discarded: unconfirmed 14 days after its link expired")
    client.force_login(cast.agent)
    page = client.get(f"/console/tickets/{ticket.reference}/").content.decode()
    assert "nobody confirmed it in the 14 days after its link expired" in page
    indonesian = client.get(
        f"/console/tickets/{ticket.reference}/", HTTP_ACCEPT_LANGUAGE="id"
    ).content.decode()
    assert "tidak ada yang mengonfirmasinya dalam 14 hari" in indonesian


def test_the_held_list_and_actions_read_in_indonesian(cast, stub, ticket, client) -> None:
    deliver(reply(ticket))
    client.force_login(cast.agent)
    page = client.get("/console/held/", HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert "Balasan ditahan" in page and "Buang" in page


def test_the_agents_api_publishes_and_discards_held_replies(cast, stub, ticket, client) -> None:
    token = create_token(name="agent", scope="agent", user=cast.agent).plaintext
    auth = {"Authorization": f"Bearer {token}"}
    deliver(reply(ticket))
    deliver(reply(ticket, body="A second forged reply.", subject="Re: again"))
    first, second = ticket.messages.filter(held=True).order_by("pk")
    url = f"/api/tickets/{ticket.reference}/messages/{{pk}}/{{action}}"
    published = client.post(
        url.format(pk=first.pk, action="publish"),
        {"reason": "confirmed by phone"},
        content_type="application/json",
        headers=auth,
    )
    assert published.status_code == 200
    assert published.json()["held"] is False and published.json()["public"] is True
    again = client.post(
        url.format(pk=first.pk, action="discard"), {}, content_type="application/json", headers=auth
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "not_held"
    discarded = client.post(
        url.format(pk=second.pk, action="discard"),
        {"reason": "forged"},
        content_type="application/json",
        headers=auth,
    )
    assert discarded.status_code == 204
    assert not ticket.messages.filter(held=True).exists()
    assert ticket.events.get(kind="held_reply.discarded").reason == "forged"
    assert ticket.events.get(kind="held_reply.released").actor_user == cast.agent
