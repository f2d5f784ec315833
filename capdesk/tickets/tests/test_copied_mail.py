"""What the people copied on a ticket are emailed besides agents' replies, and leaving them out of one reply.

An agent's reply goes to every copied address unless the agent leaves some out of that
reply; the end of a linked incident and a merge notice reach them as they reach the
requester; a split carries them to the new ticket.
"""

from __future__ import annotations

import pytest
from django.test import Client

from capdesk.console.history import sentence
from capdesk.notify.models import OutboundEmail
from capdesk.portal.actions import user_for_person
from capdesk.status import actions as status_actions
from capdesk.testing.requests import file_portal_request
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets import copies
from capdesk.tickets.merging import merge_tickets
from capdesk.tickets.models import Event, Message, Ticket
from capdesk.tickets.reply_address import copy_message_id
from capdesk.tickets.scoping import conversation_for
from capdesk.tickets.splitting import split_ticket

pytestmark = pytest.mark.django_db

KIM, LEE = "kim@acme.test", "lee@partner.test"


def _ticket(cast, subject: str = "Bundle not applied") -> Ticket:
    ticket = file_portal_request(
        cast.developer, subject, "Bundle 1.4.2 is never applied on production.", project="com.acme.shop"
    )
    copies.add(ticket, [KIM, LEE, cast.reader.primary_email], how="agent", user=cast.agent)
    return ticket


def describe(event: Event) -> str:
    return sentence(event, {})


def _emails(ticket: Ticket, kind: str) -> dict[str, OutboundEmail]:
    return {e.to: e for e in OutboundEmail.objects.filter(ticket_id=ticket.pk, kind=kind)}


def test_an_agent_leaves_a_copied_address_out_of_one_reply_and_it_stays_copied(cast) -> None:
    ticket = _ticket(cast)
    message = ticket_actions.reply_as_agent(
        ticket, agent=cast.agent, body="Which channel?", leave_out=["LEE@Partner.test", "nobody@else.test"]
    )
    sent = _emails(ticket, "agent_reply")
    assert set(sent) == {"dewi@acme.test", KIM, cast.reader.primary_email}
    # Nobody is told of an address the email did not go to.
    assert all(LEE not in email.body_text for email in sent.values())
    assert f"Also sent to: dewi@acme.test, {cast.reader.primary_email}." in sent[KIM].body_text
    assert LEE in copies.addresses(ticket)
    event = Event.objects.get(ticket=ticket, kind="message.agent", data__message=message.pk)
    assert event.data["left_out"] == [LEE], "only a copied address is recorded as left out"
    assert describe(event) == f"Agent replied to the customer; not emailed to {LEE} (still copied)"

    # The next reply goes to everyone again.
    ticket_actions.reply_as_agent(ticket, agent=cast.agent, body="Thanks.")
    assert OutboundEmail.objects.filter(ticket_id=ticket.pk, kind="agent_reply", to=LEE).count() == 1
    last = Event.objects.filter(ticket=ticket, kind="message.agent").latest("pk")
    assert "left_out" not in last.data and describe(last) == "Agent replied to the customer"


def test_the_requester_cannot_be_left_out_and_an_internal_note_emails_nobody(cast) -> None:
    ticket = _ticket(cast)
    ticket_actions.reply_as_agent(ticket, agent=cast.agent, body="Hi", leave_out=["dewi@acme.test", KIM, LEE])
    assert set(_emails(ticket, "agent_reply")) == {"dewi@acme.test", cast.reader.primary_email}
    ticket_actions.reply_as_agent(ticket, agent=cast.agent, body="note", public=False, leave_out=[KIM])
    note = Event.objects.get(ticket=ticket, kind="message.internal")
    assert "left_out" not in note.data


def test_the_end_of_a_linked_incident_is_emailed_to_each_copied_person_with_its_own_message_id(cast) -> None:
    api = status_actions.create_component(name="Live update API")
    incident = status_actions.open_incident(
        name="Bundle downloads failing", body="x", notify=False, components={api: "major_outage"}
    )
    ticket = _ticket(cast)
    assert ticket.incident == incident.public_id
    status_actions.resolve_incident(incident, body="Fixed.", notify=False)
    notice = Message.objects.filter(ticket=ticket, author_kind="system").latest("pk")
    sent = _emails(ticket, "incident_resolved")
    assert set(sent) == {"dewi@acme.test", KIM, LEE, cast.reader.primary_email}
    assert sent["dewi@acme.test"].headers["Message-ID"] == notice.message_id
    for address in (KIM, LEE):
        email = sent[address]
        assert email.headers["Message-ID"] == copy_message_id(notice.pk, address)
        assert email.headers["Auto-Submitted"] == "auto-generated"
        assert email.headers["Reply-To"] == sent["dewi@acme.test"].headers["Reply-To"], (
            "answers come back here"
        )
        assert "Bundle downloads failing" in email.subject and ticket.reference in email.subject
        assert "You are copied on this request." in email.body_text
        assert f"The platform issue request {ticket.reference} was about is resolved" in email.body_text
    # The portal link only for who can sign in there: Rudi has a Capgo account, Lee none.
    portal = f"/portal/requests/{ticket.reference}/"
    assert portal in sent[cast.reader.primary_email].body_text
    assert portal not in sent[LEE].body_text and "reply to this email and a person" in sent[LEE].body_text
    # The requester's text is the notice on the ticket, unchanged for them.
    assert "The platform issue your request" in sent["dewi@acme.test"].body_text
    assert "You are copied" not in notice.body_text


def test_a_copied_person_reads_the_incident_notice_they_were_emailed_but_not_the_requesters_standard_reply(
    cast,
) -> None:
    api = status_actions.create_component(name="Live update API")
    incident = status_actions.open_incident(
        name="Bundle downloads failing", body="x", notify=False, components={api: "major_outage"}
    )
    ticket = _ticket(cast)
    standard = Message.objects.get(ticket=ticket, author_kind="system")  # the decision's, naming her access
    status_actions.resolve_incident(incident, body="Fixed.", notify=False)
    notice = Message.objects.filter(ticket=ticket, author_kind="system").latest("pk")
    assert notice.to_copied and not standard.to_copied

    read = set(conversation_for(cast.reader, ticket))
    assert notice in read and standard not in read
    assert {notice, standard} <= set(conversation_for(cast.developer, ticket)), "the requester reads both"
    client = Client()
    client.force_login(user_for_person(cast.reader))
    page = client.get(f"/portal/requests/{ticket.reference}/").content.decode()
    assert notice.body_html in page and standard.body_html not in page


def test_a_merge_notice_reaches_the_copied_people_who_follow_the_survivor(cast) -> None:
    source = _ticket(cast, "Bundle not applied")
    target = file_portal_request(
        cast.developer, "Updates stuck", "Updates are stuck at 1.4.1.", project="com.acme.shop"
    )
    merge_tickets(source, target, agent=cast.agent, notify_requester=True)
    sent = _emails(target, "merged")
    assert set(sent) == {"dewi@acme.test", KIM, LEE, cast.reader.primary_email}
    assert f"Request {source.reference}, on which you are copied" in sent[KIM].body_text
    assert f"Your request {source.reference}" in sent["dewi@acme.test"].body_text
    assert "Reply to this email to answer." in sent[LEE].body_text
    assert len({e.headers["Message-ID"] for e in sent.values()}) == 4


def test_a_merge_into_another_requesters_ticket_tells_only_the_requester(cast) -> None:
    source = _ticket(cast)
    target = file_portal_request(
        cast.org_admin, "Updates stuck", "Updates are stuck at 1.4.1.", project="com.acme.shop"
    )
    merge_tickets(source, target, agent=cast.agent, notify_requester=True)
    assert set(_emails(target, "merged")) == {"dewi@acme.test"}


def test_a_split_carries_the_copied_people_to_the_new_ticket(cast) -> None:
    ticket = _ticket(cast)
    later = ticket_actions.record_customer_reply(
        ticket, body="Also: analytics are empty.", person=cast.developer, author_email="dewi@acme.test"
    )
    new = split_ticket(ticket, later, agent=cast.agent)
    assert copies.addresses(new) == copies.addresses(ticket) == [KIM, LEE, cast.reader.primary_email]
    added = Event.objects.get(ticket=new, kind="copied.added")
    assert added.data["how"] == "split" and "split from" in describe(added)


def test_the_console_reply_box_leaves_out_the_unticked_address_only(cast, client: Client) -> None:
    ticket = _ticket(cast)
    client.force_login(cast.agent)
    page = client.get(f"/console/tickets/{ticket.reference}/").content.decode()
    assert 'id="reply-copied"' in page
    assert page.count('name="copied_to"') == 3 and page.count('name="copied_shown"') == 3
    # Copied after the page was drawn: not shown, so not left out.
    copies.add(ticket, ["late@acme.test"], how="agent", user=cast.agent)
    response = client.post(
        f"/console/tickets/{ticket.reference}/reply/",
        {
            "body": "Try channel beta.",
            "copied_shown": [KIM, LEE, cast.reader.primary_email],
            "copied_to": [KIM, cast.reader.primary_email],
        },
    )
    assert response.status_code == 302
    assert set(_emails(ticket, "agent_reply")) == {
        "dewi@acme.test",
        KIM,
        cast.reader.primary_email,
        "late@acme.test",
    }
    history = client.get(f"/console/tickets/{ticket.reference}/").content.decode()
    assert f"not emailed to {LEE} (still copied)" in history


def test_also_sent_to_does_not_name_an_address_on_the_suppression_list(cast) -> None:
    from capdesk.notify.suppressions import suppress

    ticket = _ticket(cast)
    suppress(LEE, reason="bounce", detail="550 5.1.1 no such user")
    ticket_actions.reply_as_agent(ticket, agent=cast.agent, body="Which channel?")
    sent = _emails(ticket, "agent_reply")
    assert LEE in sent, "queued, and marked suppressed on delivery, as every suppressed email is"
    assert f"Also sent to: dewi@acme.test, {cast.reader.primary_email}." in sent[KIM].body_text


def test_a_merge_notice_does_not_name_an_address_on_the_suppression_list_either(cast) -> None:
    from capdesk.notify.suppressions import suppress

    source = _ticket(cast, "Bundle not applied")
    target = file_portal_request(
        cast.developer, "Updates stuck", "Updates are stuck at 1.4.1.", project="com.acme.shop"
    )
    suppress(LEE, reason="bounce", detail="550 5.1.1 no such user")
    merge_tickets(source, target, agent=cast.agent, notify_requester=True)
    sent = _emails(target, "merged")
    assert LEE in sent
    assert f"Also sent to: dewi@acme.test, {cast.reader.primary_email}." in sent[KIM].body_text
