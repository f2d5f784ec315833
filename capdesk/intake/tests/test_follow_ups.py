"""An answer to a closed ticket opens a follow-up (Zendesk's rule): decided afresh, linked, seen.

Before, the answer joined the closed ticket and stayed closed with it: no queue showed it.
"""

from __future__ import annotations

from django.test import Client

from capdesk.intake.tests.test_copied import BODY, email, opened
from capdesk.intake.tests.test_sender_authentication import Signer, deliver
from capdesk.notify.models import OutboundEmail
from capdesk.portal.actions import user_for_person
from capdesk.sla.models import Clock
from capdesk.testing.requests import file_portal_request
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets import copies
from capdesk.tickets.merging import merge_tickets
from capdesk.tickets.models import Decision, Event, Message, Status, Ticket
from capdesk.tickets.reply_address import reply_address


def _closed(ticket: Ticket, cast) -> Ticket:
    ticket_actions.reply_as_agent(ticket, agent=cast.agent, body="Fixed in 6.14.3.")
    ticket_actions.change_status(ticket, Status.CLOSED, agent=cast.agent)
    ticket.refresh_from_db()
    return ticket


def test_an_email_answer_to_a_closed_ticket_opens_its_follow_up(cast, acme: Signer) -> None:
    closed = _closed(opened(acme.sign(email(cc="kim@acme.test"))), cast)
    before = closed.messages.count()
    request = deliver(
        acme.sign(
            email(
                to=reply_address(closed.pk),
                subject=f"Re: [{closed.reference}] Live update not applied",
                body="It is back since this morning's build, same log.",
            )
        )
    )
    follow_up = request.ticket
    assert follow_up is not None and follow_up != closed
    assert follow_up.follow_up_of == closed
    assert follow_up.subject == closed.subject
    assert follow_up.status != Status.CLOSED
    assert follow_up.messages.filter(body_text__startswith="It is back").exists()
    # Decided afresh, as any new request.
    assert Decision.objects.filter(ticket=follow_up).exists()
    # Who followed the closed conversation follows this one.
    assert copies.addresses(follow_up) == ["kim@acme.test"]
    created = Event.objects.get(ticket=follow_up, kind="ticket.created")
    assert created.data["follow_up_of"] == closed.reference
    # The closed ticket is as it was closed.
    closed.refresh_from_db()
    assert closed.status == Status.CLOSED and closed.messages.count() == before
    # The next answer, to the follow-up's own address, joins the follow-up.
    again = deliver(acme.sign(email(to=reply_address(follow_up.pk), body="And a screenshot of the log.")))
    assert again.ticket == follow_up


def test_an_unproven_answer_to_a_closed_ticket_is_held_as_a_new_request(cast, stub) -> None:
    closed = _closed(
        file_portal_request(cast.developer, "Rollback", "Rollback fails", project="com.acme.shop"), cast
    )
    request = deliver(email(to=reply_address(closed.pk), body="Please delete the production channel now."))
    assert request.ticket is not None and request.ticket.follow_up_of == closed
    assert request.ticket.outcome == "verify_sender"
    assert not Message.objects.filter(ticket=closed, body_text__startswith="Please delete").exists()


def test_a_portal_reply_to_a_closed_request_opens_its_follow_up(cast, client: Client) -> None:
    closed = _closed(
        file_portal_request(cast.developer, "Rollback", "Rollback fails", project="com.acme.shop"), cast
    )
    client.force_login(user_for_person(cast.developer))
    page = client.get(f"/portal/requests/{closed.reference}/").content.decode()
    assert "This request is closed. A reply opens a new request that follows up on it." in page
    response = client.post(
        f"/portal/requests/{closed.reference}/reply/", {"body": "It happens again", "idempotency_key": "f1"}
    )
    follow_up = Ticket.objects.get(follow_up_of=closed)
    assert response["Location"] == f"/portal/requests/{follow_up.reference}/"
    assert follow_up.project == closed.project and follow_up.requester == cast.developer
    page = client.get(response["Location"]).content.decode()
    assert f"This request follows up on {closed.reference}, which was closed." in page
    closed.refresh_from_db()
    assert closed.status == Status.CLOSED


def test_a_follow_up_from_the_portal_answers_in_the_pages_language(cast, client: Client) -> None:
    """The profile says English (another device), the page reads Indonesian: as a new request does,
    the follow-up takes the page's language."""
    closed = _closed(
        file_portal_request(cast.developer, "Rollback", "Rollback fails", project="com.acme.shop"), cast
    )
    assert cast.developer.language == "en"
    client.force_login(user_for_person(cast.developer))
    client.cookies["django_language"] = "id"
    client.post(
        f"/portal/requests/{closed.reference}/reply/", {"body": "Terjadi lagi", "idempotency_key": "f2"}
    )
    follow_up = Ticket.objects.get(follow_up_of=closed)
    assert follow_up.language == "id"
    acknowledgement = OutboundEmail.objects.filter(ticket_id=follow_up.pk).latest("pk")
    assert "Dukungan Capgo" in acknowledgement.body_text


def test_agents_see_the_link_both_ways(cast, acme: Signer, client: Client) -> None:
    closed = _closed(opened(acme.sign(email())), cast)
    follow_up = deliver(acme.sign(email(to=reply_address(closed.pk), body="Back again."))).ticket
    assert follow_up is not None
    client.force_login(cast.agent)
    page = client.get(f"/console/tickets/{follow_up.reference}/").content.decode()
    assert "Follow-up of" in page and closed.reference in page
    assert f"Opened through Email as a follow-up of {closed.reference}, which was closed" in page
    page = client.get(f"/console/tickets/{closed.reference}/").content.decode()
    assert f"{follow_up.reference} follows up on this one" in page


def test_a_held_reply_confirmed_after_the_ticket_was_closed_reopens_it(cast, stub) -> None:
    ticket = file_portal_request(cast.developer, "Rollback", "Rollback fails", project="com.acme.shop")
    ticket_actions.reply_as_agent(ticket, agent=cast.agent, body="Which version?")
    held = deliver(email(to=reply_address(ticket.pk), body="Version 6.14.2."))
    assert held.ticket == ticket
    message = Message.objects.get(ticket=ticket, held=True)
    ticket_actions.change_status(ticket, Status.CLOSED, agent=cast.agent)
    ticket_actions.publish_held_reply(message)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_an_agents_reply_on_a_closed_ticket_leaves_it_closed_unless_a_status_is_chosen(
    cast, client: Client
) -> None:
    closed = _closed(
        file_portal_request(cast.developer, "Rollback", "Rollback fails", project="com.acme.shop"), cast
    )
    client.force_login(cast.agent)
    page = client.get(f"/console/tickets/{closed.reference}/").content.decode()
    assert "This ticket is closed: a reply is still emailed" in page
    ticket_actions.reply_as_agent(closed, agent=cast.agent, body="For the record: fixed in 6.14.3.")
    closed.refresh_from_db()
    assert closed.status == Status.CLOSED
    ticket_actions.reply_as_agent(closed, agent=cast.agent, body="Reopening.", new_status=Status.OPEN)
    closed.refresh_from_db()
    assert closed.status == Status.OPEN


def test_the_portal_links_a_closed_request_and_its_follow_up(cast, client: Client) -> None:
    closed = _closed(
        file_portal_request(cast.developer, "Rollback", "Rollback fails", project="com.acme.shop"), cast
    )
    client.force_login(user_for_person(cast.developer))
    client.post(
        f"/portal/requests/{closed.reference}/reply/", {"body": "It happens again", "idempotency_key": "l1"}
    )
    follow_up = Ticket.objects.get(follow_up_of=closed)
    page = client.get(f"/portal/requests/{closed.reference}/").content.decode()
    assert f"Followed up in {follow_up.reference}." in page
    page = client.get(f"/portal/requests/{follow_up.reference}/").content.decode()
    assert f'href="/portal/requests/{closed.reference}/"' in page
    # Someone copied on the follow-up alone reads that it follows one up, without a link they cannot open.
    copies.add(follow_up, [cast.outsider.primary_email], how="agent")
    outsider = Client()
    outsider.force_login(user_for_person(cast.outsider))
    page = outsider.get(f"/portal/requests/{follow_up.reference}/").content.decode()
    assert f"follows up on {closed.reference}" in page
    assert f'href="/portal/requests/{closed.reference}/"' not in page


def test_a_standard_reply_withheld_by_the_daily_limit_says_so(cast, stub, settings, client: Client) -> None:
    settings.CAPDESK_AUTO_REPLIES_PER_DAY = 1
    first = deliver(email("Lee <lee@elsewhere.test>", subject="One", body="First question about bundles."))
    second = deliver(email("Lee <lee@elsewhere.test>", subject="Two", body="Second question about channels."))
    assert first.ticket is not None and second.ticket is not None
    assert not Event.objects.filter(ticket=first.ticket, kind="email.withheld").exists()
    withheld = Event.objects.get(ticket=second.ticket, kind="email.withheld")
    assert withheld.data == {"address": "lee@elsewhere.test", "limit": 1}
    client.force_login(cast.agent)
    page = client.get(f"/console/tickets/{second.ticket.reference}/").content.decode()
    assert "Not emailed to lee@elsewhere.test: the day's limit of automatic replies" in page
    page = client.get(f"/console/tickets/{first.ticket.reference}/").content.decode()
    assert "the day's limit of automatic replies" not in page


# Found by review (helper-56): each failed before the follow-up took the closed conversation's frame.


def test_email_follow_up_keeps_the_closed_tickets_project_and_organization(cast, acme: Signer) -> None:
    # The request named com.acme.shop (BODY); the answer, as answers do, does not.
    closed = _closed(opened(acme.sign(email(body=BODY))), cast)
    assert closed.project == cast.project and closed.organization == cast.org
    follow_up = deliver(
        acme.sign(email(to=reply_address(closed.pk), body="It is back since this morning's build."))
    ).ticket
    assert follow_up is not None and follow_up.follow_up_of == closed
    assert follow_up.organization == closed.organization, "no organization: no SLA clock, no plan"
    assert follow_up.project == closed.project
    assert follow_up.outcome != "need_project"
    assert Clock.objects.filter(ticket=follow_up).exists()


def test_a_copied_persons_answer_after_the_close_is_a_request_of_their_own(cast, acme: Signer) -> None:
    """Vera, copied without a Capgo account, answered while it was open. After the close her
    answer opens a follow-up decided on her (E3: not registered), and the requester follows it."""
    ticket = opened(acme.sign(email(cc="Vera Vendor <vera@acme.test>")))
    ticket_actions.reply_as_agent(ticket, agent=cast.agent, body="Which build?")
    joined = deliver(acme.sign(email("vera@acme.test", to=reply_address(ticket.pk), body="Build 88.")))
    assert joined.ticket == ticket  # open: her answer joins
    closed = _closed(ticket, cast)
    follow_up = deliver(
        acme.sign(email("vera@acme.test", to=reply_address(closed.pk), body="It is back."))
    ).ticket
    assert follow_up is not None and follow_up.follow_up_of == closed
    assert (follow_up.requester_email, follow_up.outcome) == ("vera@acme.test", "deny_unregistered")
    assert "dewi@acme.test" in copies.addresses(follow_up)


def test_a_second_answer_citing_the_first_joins_its_follow_up(cast, acme: Signer) -> None:
    closed = _closed(opened(acme.sign(email())), cast)
    first_raw = acme.sign(
        email(
            to=reply_address(closed.pk),
            subject=f"Re: [{closed.reference}] Live update not applied",
            body="It is back.",
        )
    )
    first = deliver(first_raw).ticket
    assert first is not None and first.follow_up_of == closed
    first_id = first.messages.order_by("pk")[0].message_id
    # "Forgot the log": a reply to her own first answer (still in the old thread, old subject).
    second = deliver(
        acme.sign(
            email(
                to=reply_address(closed.pk),
                subject=f"Re: [{closed.reference}] Live update not applied",
                body="And the log: E/Capgo rollback.",
                in_reply_to=first_id,
            )
        )
    ).ticket
    assert second == first, "a second follow-up for the same conversation"


def test_a_follow_up_through_a_merged_ticket_copies_the_other_requesters_people(
    cast, acme: Signer, client
) -> None:
    # Dewi's request is merged into Ana's (same organization, another requester); Ana's has
    # a vendor copied and a subject Dewi never saw. The merge kept the vendor off Dewi's side.
    dewis = file_portal_request(cast.developer, "Rollback", "Rollback fails", project="com.acme.shop")
    anas = file_portal_request(
        cast.org_admin, "Acquisition of Globex: app transfer", "Move com.acme.shop", project="com.acme.shop"
    )
    copies.add(anas, ["partner@globex.example"], how="console", user=cast.agent)
    merge_tickets(dewis, anas, agent=cast.agent)
    anas.refresh_from_db()
    _closed(anas, cast)
    client.force_login(user_for_person(cast.developer))
    client.post(
        f"/portal/requests/{dewis.reference}/reply/", {"body": "Still failing", "idempotency_key": "m1"}
    )
    follow_up = Ticket.objects.get(requester=cast.developer, follow_up_of__isnull=False)
    page = client.get(f"/portal/requests/{follow_up.reference}/").content.decode()
    assert "partner@globex.example" not in copies.addresses(follow_up)
    assert "Acquisition of Globex" not in page


def test_copied_person_of_merged_ticket_gets_survivors_subject(cast, acme: Signer) -> None:
    # Kim (unregistered, copied by Dewi) was kept on Dewi's merged ticket "so old links lead on".
    dewis = opened(acme.sign(email(cc="kim@acme.test")))
    anas = file_portal_request(
        cast.org_admin, "Acquisition of Globex: app transfer", "Move com.acme.shop", project="com.acme.shop"
    )
    copies.add(anas, ["partner@globex.example"], how="console", user=cast.agent)
    merge_tickets(dewis, anas, agent=cast.agent)
    anas.refresh_from_db()
    _closed(anas, cast)
    follow_up = deliver(
        acme.sign(email("kim@acme.test", to=reply_address(dewis.pk), body="Any news?"))
    ).ticket
    assert follow_up is not None
    assert follow_up.subject != anas.subject
    assert "partner@globex.example" not in copies.addresses(follow_up)


def test_a_forged_answer_to_a_closed_ticket_is_shown_to_the_people_copied_on_it(
    cast, acme: Signer, stub, client
) -> None:
    # Dewi (proven) copied Rudi, a registered colleague; the ticket is closed.
    closed = _closed(opened(acme.sign(email(cc="rudi@acme.test"))), cast)
    # Anyone, unsigned, in Dewi's name: held until Dewi confirms (verify_sender)...
    forged = deliver(email(to=reply_address(closed.pk), body="Urgent: wire the renewal to IBAN XX00 1234."))
    follow_up = forged.ticket
    assert follow_up is not None and follow_up.outcome == "verify_sender"
    # ... yet Rudi is already copied on it, and his portal lists and shows it.
    client.force_login(user_for_person(cast.reader))
    page = client.get(f"/portal/requests/{follow_up.reference}/")
    assert "IBAN" not in page.content.decode(), "an unconfirmed request in Dewi's name is shown to Rudi"


def test_the_follow_ups_standard_reply_carries_the_survivors_subject_to_a_copied_stranger(
    cast, acme: Signer
) -> None:
    dewis = opened(acme.sign(email(cc="kim@acme.test")))
    anas = file_portal_request(
        cast.org_admin, "Acquisition of Globex: app transfer", "Move com.acme.shop", project="com.acme.shop"
    )
    merge_tickets(dewis, anas, agent=cast.agent)
    anas.refresh_from_db()
    _closed(anas, cast)
    deliver(acme.sign(email("kim@acme.test", to=reply_address(dewis.pk), body="Any news?")))
    subjects = list(OutboundEmail.objects.filter(to="kim@acme.test").values_list("subject", flat=True))
    assert not any("Globex" in s for s in subjects)


def test_a_held_follow_up_copies_the_followers_once_its_sender_confirms(
    cast, acme: Signer, stub, client: Client
) -> None:
    closed = _closed(opened(acme.sign(email(cc="rudi@acme.test"))), cast)
    held = deliver(email(to=reply_address(closed.pk), body="It is back, unsigned this time.")).ticket
    assert held is not None and held.outcome == "verify_sender" and copies.addresses(held) == []
    link = OutboundEmail.objects.get(ticket=held, kind="reply.verify_sender").body_text
    path = link[link.index("/confirm/") :].split()[0]
    client.post(path)
    assert copies.addresses(held) == ["rudi@acme.test"]


def test_an_answer_received_before_the_ticket_closed_joins_and_reopens_it(cast, acme: Signer) -> None:
    """The worker catching up while the auto-close sweep (or an agent) closed the ticket: the
    customer wrote to an open conversation, so the answer is not turned into a follow-up."""
    from capdesk.intake import actions as intake

    ticket = opened(acme.sign(email()))
    ticket_actions.reply_as_agent(ticket, agent=cast.agent, body="Fixed in 6.14.3.", new_status=Status.SOLVED)
    receipt = intake.receive(
        channel="email",
        raw=acme.sign(email(to=reply_address(ticket.pk), body="Still broken on Android, log attached.")),
    )
    ticket_actions.change_status(ticket, Status.CLOSED, agent=None, reason="solved, and untouched for 7 days")
    intake.process(receipt.request.pk)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.messages.filter(body_text__startswith="Still broken on Android").exists()
    assert not Ticket.objects.filter(follow_up_of=ticket).exists()
    # One received after the close follows up, as before.
    ticket_actions.change_status(ticket, Status.CLOSED, agent=cast.agent)
    later = deliver(acme.sign(email(to=reply_address(ticket.pk), body="And on iOS too.")))
    assert later.ticket is not None and later.ticket.follow_up_of == ticket


def test_a_follow_up_of_a_never_confirmed_request_takes_the_answers_subject_not_the_forgers(
    cast, acme: Signer, stub
) -> None:
    """A forged request in Dewi's name is held (E3), never confirmed, and closed. When Dewi
    herself answers it, her follow-up must not carry the forger's subject as hers."""
    forged = opened(email(subject="Refund to IBAN XX00 1234 approved", body="Please confirm the refund."))
    assert forged.outcome == "verify_sender"
    ticket_actions.change_status(forged, Status.CLOSED, agent=cast.agent)
    follow_up = deliver(
        acme.sign(
            email(
                to=reply_address(forged.pk),
                subject=f"Re: [{forged.reference}] I never sent this",
                body="I never wrote this; my real question is about rollbacks.",
            )
        )
    ).ticket
    assert follow_up is not None and follow_up.follow_up_of == forged
    assert "IBAN" not in follow_up.subject
    assert follow_up.subject == "I never sent this"
