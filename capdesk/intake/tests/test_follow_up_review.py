"""Found by a second review (helper-58) of follow-ups and answers naming the app: each failed before its fix."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from capdesk.api.actions import create_token
from capdesk.intake import actions as intake
from capdesk.intake.models import InboundRequest
from capdesk.intake.tests.test_copied import email, opened
from capdesk.intake.tests.test_follow_ups import _closed
from capdesk.intake.tests.test_project_named import VAGUE, _asks_which
from capdesk.intake.tests.test_sender_authentication import Signer, deliver
from capdesk.notify.models import OutboundEmail
from capdesk.portal.actions import user_for_person
from capdesk.sla.models import Clock
from capdesk.testing.factories import PersonFactory, ProjectFactory, bind
from capdesk.testing.requests import file_portal_request
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets import copies
from capdesk.tickets.merging import merge_tickets
from capdesk.tickets.models import Decision, Message, Status, Ticket
from capdesk.tickets.reply_address import reply_address


def test_follow_up_of_a_requester_who_registered_since_is_decided_on_them(cast, acme: Signer) -> None:
    first = opened(acme.sign(email("New Comer <newbie@acme.test>", body="com.acme.shop never updates")))
    assert first.requester is None and first.outcome == "deny_unregistered"
    ticket_actions.change_status(first, Status.CLOSED, agent=cast.agent)
    newbie = PersonFactory.create(name="New Comer", email="newbie@acme.test")
    bind(newbie, "app_developer", project=cast.project)
    follow_up = deliver(
        acme.sign(
            email("New Comer <newbie@acme.test>", to=reply_address(first.pk), body="Signed up; still broken.")
        )
    ).ticket
    assert follow_up is not None and follow_up.follow_up_of == first
    # Before ce535c5 the follow-up was decided on the (now registered, proven) sender.
    assert follow_up.outcome != "deny_unregistered", "registered and proven, refused as unregistered"
    assert follow_up.requester == newbie


# --- 2. SLA: the re-decision starts first response at the original receipt ---
def test_naming_the_app_days_later_does_not_start_a_breached_clock(cast, acme: Signer) -> None:
    ticket = _asks_which(acme)
    days_ago = timezone.now() - timedelta(days=10)
    InboundRequest.objects.filter(ticket=ticket).update(received_at=days_ago)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=days_ago)
    Message.objects.filter(ticket=ticket).update(created_at=days_ago)
    deliver(
        acme.sign(email(to=reply_address(ticket.pk), subject="Re: which app", body="It is com.acme.shop."))
    )
    clock = Clock.objects.get(ticket=ticket)
    # The desk waited on the customer for 10 days (need_project, pending): not the desk's time.
    assert clock.started_at > timezone.now() - timedelta(hours=1), (
        clock.metric,
        clock.started_at,
        clock.due_at,
    )


# --- 3. the standard need_project reply, quoted, names every app: the answer moves nothing ---
def test_a_quoted_answer_naming_one_of_two_apps_places_the_ticket(cast, acme: Signer) -> None:
    second = ProjectFactory.create(organization=cast.org, app_id="com.acme.admin", name="Acme Admin")
    bind(cast.developer, "app_developer", project=second)
    ticket = _asks_which(acme)
    asked = ticket.messages.filter(author_kind=Message.Author.SYSTEM).get().body_text
    assert "com.acme.shop" in asked and "com.acme.admin" in asked
    quoted = "\n".join(f"> {line}" for line in asked.splitlines())
    deliver(
        acme.sign(
            email(
                to=reply_address(ticket.pk), subject="Re: which app", body=f"It is com.acme.shop.\n\n{quoted}"
            )
        )
    )
    ticket.refresh_from_db()
    assert ticket.project == cast.project, "a usual (quoting) reply leaves the ticket pending for ever"


# --- 4. same batch: the re-decision reads the answer, not the request ---
def test_in_one_batch_the_re_decision_is_made_on_the_request_not_on_the_answer(cast, acme: Signer) -> None:
    opening_raw = email(body=VAGUE, subject="Question")
    opening = acme.sign(opening_raw)
    parent_id = next(line for line in opening_raw.decode().splitlines() if line.startswith("Message-ID"))
    parent_id = parent_id.split(": ", 1)[1]
    answer = acme.sign(email(subject="Re: Question", body="It is com.acme.shop.", in_reply_to=parent_id))
    a = intake.receive(channel="email", raw=opening).request
    b = intake.receive(channel="email", raw=answer).request
    assert intake.process(a.pk, with_pending=10)
    b.refresh_from_db()
    ticket = Ticket.objects.get()
    assert b.ticket == ticket and ticket.project == cast.project
    last = Decision.objects.filter(ticket=ticket).order_by("-id")[0]
    # Decided one email at a time (the test below), the same request is accepted.
    assert last.outcome == "accept", (last.outcome, last.explanation)


def test_one_at_a_time_the_re_decision_is_made_on_the_request_too(cast, acme: Signer) -> None:
    ticket = opened(acme.sign(email(body=VAGUE, subject="Question")))
    assert ticket.outcome == "need_project"
    deliver(
        acme.sign(email(to=reply_address(ticket.pk), subject="Re: Question", body="It is com.acme.shop."))
    )
    ticket.refresh_from_db()
    last = Decision.objects.filter(ticket=ticket).order_by("-id")[0]
    assert ticket.project == cast.project and last.outcome == "accept", last.outcome


# --- 5. portal: someone copied only on a merged ticket still writes into another requester's ---
def test_copied_only_on_the_merged_ticket_cannot_write_into_the_survivor_by_portal(
    cast, client: Client
) -> None:
    dewis = file_portal_request(cast.developer, "Rollback", "Rollback fails", project="com.acme.shop")
    copies.add(dewis, [cast.outsider.primary_email], how="console", user=cast.agent)
    anas = file_portal_request(
        cast.org_admin, "Acquisition: app transfer", "Move com.acme.shop", project="com.acme.shop"
    )
    merge_tickets(dewis, anas, agent=cast.agent)
    client.force_login(user_for_person(cast.outsider))
    client.post(
        f"/portal/requests/{dewis.reference}/reply/",
        {"body": "Omar from Other Corp here", "idempotency_key": "o1"},
    )
    assert not Message.objects.filter(ticket=anas, body_text__startswith="Omar").exists(), (
        "an outsider copied only on Dewi's merged request writes into Ana's"
    )


# --- 6. a copied person from another organization got the requester's entitlement ---
def test_a_copied_outsider_answering_a_closed_ticket_asks_for_themselves(cast, acme: Signer, stub) -> None:
    """Being copied gives no one the requester's plan: Omar's answer is a request of his own."""
    other = Signer(stub.records, "other.test")
    closed = _closed(opened(acme.sign(email(cc="omar@other.test"))), cast)
    follow_up = deliver(
        other.sign(
            email("Omar <omar@other.test>", to=reply_address(closed.pk), body="Other Corp here. " + VAGUE)
        )
    ).ticket
    assert follow_up is not None and follow_up.follow_up_of == closed
    assert follow_up.requester == cast.outsider and follow_up.organization != cast.org
    assert "dewi@acme.test" in copies.addresses(follow_up)  # who followed the conversation follows it


def test_two_answers_to_the_same_closed_mail_open_one_follow_up(cast, acme: Signer) -> None:
    closed = _closed(opened(acme.sign(email())), cast)
    deliver(acme.sign(email(to=reply_address(closed.pk), body="It is back.")))
    deliver(acme.sign(email(to=reply_address(closed.pk), body="Forgot: here is the log.")))
    assert Ticket.objects.filter(follow_up_of=closed).count() == 1


# --- 8. a forged (held) follow-up shows to the organization's admin ---
def test_a_held_follow_up_is_not_shown_to_the_org_admin(cast, acme: Signer, stub, client: Client) -> None:
    closed = _closed(opened(acme.sign(email())), cast)
    forged = deliver(
        email(to=reply_address(closed.pk), body="Urgent: wire the renewal to IBAN XX00 1234.")
    ).ticket
    assert forged is not None and forged.outcome == "verify_sender"
    client.force_login(user_for_person(cast.org_admin))
    page = client.get(f"/portal/requests/{forged.reference}/")
    assert "IBAN" not in page.content.decode(), "an unconfirmed request in Dewi's name is shown to Ana"


# --- 9. the re-decision overrides what an agent did on the ticket since ---
def test_naming_the_app_after_an_agent_handled_the_ticket_does_not_reroute_it(cast, acme: Signer) -> None:
    ticket = _asks_which(acme)
    ticket_actions.change_severity(ticket, "urgent", agent=cast.agent, reason="production down")
    ticket_actions.assign(ticket, cast.agent, agent=cast.agent)
    ticket_actions.reply_as_agent(ticket, agent=cast.agent, body="Looking into it; which app id?")
    ticket.refresh_from_db()
    deliver(acme.sign(email(to=reply_address(ticket.pk), subject="Re: which app", body="com.acme.shop")))
    ticket.refresh_from_db()
    assert ticket.severity == "urgent", f"severity reset to {ticket.severity} by the re-decision"


# --- 10. a held answer naming the app, once confirmed, moves nothing ---
def test_a_confirmed_held_answer_naming_the_app_places_the_ticket(
    cast, acme: Signer, stub, client: Client
) -> None:

    ticket = _asks_which(acme)
    deliver(
        email(to=reply_address(ticket.pk), subject="Re: which app", body="It is com.acme.shop.")
    )  # unsigned
    link = OutboundEmail.objects.filter(kind="sender_confirmation.reply").latest("pk").body_text
    client.post(link[link.index("/confirm/") :].split()[0])
    assert Message.objects.filter(ticket=ticket, held=False, body_text__startswith="It is com").exists()
    ticket.refresh_from_db()
    assert ticket.project == cast.project, "proven now, yet pending for ever"


# --- 11. API: the reply's `ticket` names a request the caller cannot read ---
def test_the_api_names_only_a_ticket_the_customer_can_read(cast) -> None:

    dewis = file_portal_request(cast.developer, "Rollback", "Rollback fails", project="com.acme.shop")
    anas = file_portal_request(
        cast.org_admin, "Acquisition: app transfer", "Move com.acme.shop", project="com.acme.shop"
    )
    merge_tickets(dewis, anas, agent=cast.agent)
    token = create_token(name="mine", scope="customer", person=cast.developer).plaintext
    c = Client()
    bearer = f"Bearer {token}"
    r = c.post(
        f"/api/customer/tickets/{dewis.reference}/replies",
        {"body": "Still failing"},
        content_type="application/json",
        HTTP_AUTHORIZATION=bearer,
    )
    assert r.status_code == 201, r.content
    named = r.json()["ticket"]
    assert c.get(f"/api/customer/tickets/{named}/messages", HTTP_AUTHORIZATION=bearer).status_code == 200, (
        f"the reply says it went to {named}, which Dewi cannot read"
    )


# --- 12. chain of merges: the first requester's reply no longer reaches the survivor ---
def test_a_reply_to_a_ticket_merged_twice_still_threads(cast, acme: Signer) -> None:
    dewis = opened(acme.sign(email()))
    anas = file_portal_request(cast.org_admin, "Rollout", "Rollout of com.acme.shop", project="com.acme.shop")
    bimas = file_portal_request(
        cast.billing_admin, "Rollout too", "Same, com.acme.shop", project="com.acme.shop"
    )
    merge_tickets(dewis, anas, agent=cast.agent)
    anas.refresh_from_db()
    merge_tickets(anas, bimas, agent=cast.agent)  # A -> B -> C
    request = deliver(acme.sign(email(to=reply_address(dewis.pk), body="Any news on this?")))
    # Before ce535c5 may_reply was asked of the candidate (Dewi's own): her reply reached C.
    assert request.ticket == bimas, f"opened {request.ticket} instead"
