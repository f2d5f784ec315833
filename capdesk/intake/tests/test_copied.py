"""CCs by email: who an authenticated customer's mail names is copied on the ticket, gets the
agents' replies, and may answer them; an unproven sender copies nobody."""

from __future__ import annotations

from email.message import EmailMessage

from django.core import mail as django_mail

from capdesk.directory.models import EmailAddress
from capdesk.intake.tests.test_sender_authentication import Signer, deliver
from capdesk.notify.actions import deliver as deliver_email
from capdesk.notify.models import OutboundEmail, Suppression
from capdesk.testing.bounces import arf, dsn
from capdesk.testing.requests import file_portal_request, open_for
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets import copies
from capdesk.tickets.models import Event, Message, Ticket
from capdesk.tickets.reply_address import copy_message_id, reply_address

BODY = "Bundle 1.4.2 is never downloaded on the production channel of com.acme.shop. Log attached below."


def email(
    sender: str = "Dewi Developer <dewi@acme.test>",
    *,
    to: str = "support@capgo.app",
    cc: str = "",
    body: str = BODY,
    subject: str = "Live update not applied",
    in_reply_to: str = "",
) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    if cc:
        msg["Cc"] = cc
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    msg["Message-ID"] = f"<{abs(hash((sender, to, cc, body, subject)))}@mail.acme.test>"
    msg.set_content(body)
    return msg.as_bytes()


def opened(raw: bytes) -> Ticket:
    request = deliver(raw)
    assert request.ticket is not None, request.reason
    return request.ticket


def test_an_authenticated_senders_cc_and_to_are_copied(cast, acme: Signer) -> None:
    ticket = opened(
        acme.sign(
            email(
                to="support@capgo.app, Kim Lead <kim@acme.test>",
                cc="Rudi <RUDI@acme.test>, support+whatever@capgo.app, noreply@acme.test, dewi@acme.test",
            )
        )
    )
    # The desk's own addresses, an automatic mailbox and the requester herself are left out.
    assert copies.addresses(ticket) == ["kim@acme.test", "rudi@acme.test"]
    event = Event.objects.get(ticket=ticket, kind="copied.added")
    assert event.data == {
        "emails": ["kim@acme.test", "rudi@acme.test"],
        "how": "email",
        "by": "dewi@acme.test",
    }
    assert event.actor_person == cast.developer


def test_an_unproven_sender_copies_nobody(cast, stub) -> None:
    # Unsigned: anyone could have written it, and named anyone to be mailed the replies.
    ticket = opened(email("Someone <someone@elsewhere.test>", cc="victim@example.net"))
    assert copies.addresses(ticket) == []
    assert not Event.objects.filter(ticket=ticket, kind="copied.added").exists()


def test_mail_copies_at_most_the_limit(cast, acme: Signer, settings) -> None:
    settings.CAPDESK_MAX_COPIED = 2
    ticket = opened(acme.sign(email(cc="a@acme.test, b@acme.test, c@acme.test")))
    assert copies.addresses(ticket) == ["a@acme.test", "b@acme.test"]
    assert Event.objects.get(ticket=ticket, kind="copied.added").data["dropped"] == ["c@acme.test"]


def test_each_agent_reply_goes_to_the_requester_and_each_copied_address(cast, acme: Signer) -> None:
    ticket = opened(acme.sign(email(cc="kim@acme.test, rudi@acme.test")))
    message = ticket_actions.reply_as_agent(ticket, agent=cast.agent, body="Run `npx cap sync` again.")
    emails = list(OutboundEmail.objects.filter(kind="agent_reply", ticket=ticket).order_by("pk"))
    assert [e.to for e in emails] == ["dewi@acme.test", "kim@acme.test", "rudi@acme.test"]
    # One conversation, each email with an id of its own: nobody copied learns another's, which
    # is what a bounce or a spam report proves itself by.
    assert [e.headers["Message-ID"] for e in emails] == [
        message.message_id,
        copy_message_id(message.pk, "kim@acme.test"),
        copy_message_id(message.pk, "rudi@acme.test"),
    ]
    assert {e.headers["Reply-To"] for e in emails} == {reply_address(ticket.pk)}
    django_mail.outbox.clear()
    for e in emails:
        assert deliver_email(e.pk)
    # Each goes to its recipient alone; the text names the others.
    assert [m.recipients() for m in django_mail.outbox] == [[e.to] for e in emails]
    requester, kim, rudi = (m.body for m in django_mail.outbox)
    assert "Also sent to: kim@acme.test, rudi@acme.test." in requester
    assert "You are copied on this request." not in requester
    assert "You are copied on this request. Also sent to: dewi@acme.test, rudi@acme.test." in kim
    # Rudi has a Capgo account: his copy links the portal; Kim, without one, answers by email.
    assert f"/portal/requests/{ticket.reference}/" in rudi
    assert "/portal/" not in kim
    assert "Reply to this email to answer." in kim
    # An internal note goes to nobody.
    ticket_actions.reply_as_agent(ticket, agent=cast.agent, body="Looks like a cache issue", public=False)
    assert OutboundEmail.objects.filter(kind="agent_reply", ticket=ticket).count() == 3


def test_the_copied_email_reads_in_the_tickets_language(cast, acme: Signer) -> None:
    ticket = opened(acme.sign(email(cc="kim@acme.test")))
    Ticket.objects.filter(pk=ticket.pk).update(language="id")
    ticket.refresh_from_db()
    ticket_actions.reply_as_agent(ticket, agent=cast.agent, body="Coba lagi.")
    kim = OutboundEmail.objects.get(kind="agent_reply", to="kim@acme.test")
    assert "Anda menerima tembusan permintaan ini." in kim.body_text
    assert "Juga dikirim ke: dewi@acme.test." in kim.body_text


def test_a_copied_person_answers_by_email_and_it_joins_the_ticket(cast, acme: Signer) -> None:
    ticket = opened(acme.sign(email(cc="kim@acme.test")))
    agent_reply = ticket_actions.reply_as_agent(ticket, agent=cast.agent, body="Which plugin version?")
    answer = deliver(
        acme.sign(
            email(
                "Kim Lead <kim@acme.test>",
                to=reply_address(ticket.pk),
                body="We are on 6.14.2, both iOS and Android.",
                subject="Re: Live update not applied",
                in_reply_to=agent_reply.message_id,
            )
        )
    )
    assert answer.ticket == ticket
    joined = Message.objects.get(ticket=ticket, author_email="kim@acme.test")
    assert joined.public and not joined.held
    ticket.refresh_from_db()
    assert ticket.status == "open"


def test_someone_not_copied_does_not_join_even_with_the_reply_address(cast, acme: Signer) -> None:
    ticket = opened(acme.sign(email(cc="kim@acme.test")))
    agent_reply = ticket_actions.reply_as_agent(ticket, agent=cast.agent, body="Which plugin version?")
    stranger = deliver(
        acme.sign(
            email(
                "Lee <lee@acme.test>",
                to=reply_address(ticket.pk),
                body="Delete the production channel please.",
                subject=f"Re: [{ticket.reference}] Live update not applied",
                in_reply_to=agent_reply.message_id,
            )
        )
    )
    assert stranger.ticket != ticket
    assert not Message.objects.filter(ticket=ticket, author_email="lee@acme.test").exists()


def test_the_requesters_reply_copies_more_people_a_copied_persons_does_not(cast, acme: Signer) -> None:
    ticket = opened(acme.sign(email(cc="kim@acme.test")))
    deliver(acme.sign(email(to=reply_address(ticket.pk), cc="lee@acme.test", body="Adding Lee from QA.")))
    assert copies.addresses(ticket) == ["kim@acme.test", "lee@acme.test"]
    # Kim may answer, but who follows the ticket is the requester's (and the organization's admins') say.
    deliver(
        acme.sign(
            email(
                "Kim Lead <kim@acme.test>",
                to=reply_address(ticket.pk),
                cc="dewi@acme.test, ops@acme.test",
                body="Adding our ops team.",
            )
        )
    )
    assert copies.addresses(ticket) == ["kim@acme.test", "lee@acme.test"]
    skipped = Event.objects.get(ticket=ticket, kind="copied.skipped")
    assert skipped.data == {"emails": ["ops@acme.test"], "by": "kim@acme.test"}


def test_a_signed_stranger_copies_nobody_into_a_customers_portal(cast, acme: Signer) -> None:
    """DKIM proves only that the sender owns her From: an unregistered stranger copies no one."""
    ticket = opened(
        acme.sign(
            email(
                "Mallory <mallory@acme.test>",
                cc="omar@other.test",
                subject="Your Capgo account is suspended",
                body="Re-enter your API key at https://evil.example/capgo to keep your apps live.",
            )
        )
    )
    assert copies.addresses(ticket) == []
    skipped = Event.objects.get(ticket=ticket, kind="copied.skipped")
    assert skipped.data["emails"] == ["omar@other.test"]
    assert skipped.reason == "the email's To and Cc were not copied: the sender is not a registered customer"


def test_an_unproven_registered_sender_copies_nobody_and_the_history_says_whom_it_named(cast, stub) -> None:
    ticket = opened(email(cc="kim@acme.test"))  # Dewi's address, no signature: held until confirmed
    assert copies.addresses(ticket) == []
    skipped = Event.objects.get(ticket=ticket, kind="copied.skipped")
    assert skipped.data["emails"] == ["kim@acme.test"]
    assert skipped.reason.endswith("the sender is a registered customer whose From address was not proven")


def test_forged_mail_in_a_copied_persons_name_does_not_join(cast, stub) -> None:
    """The copied addresses are listed in every reply: an unsigned email claiming one is anyone's."""
    ticket = file_portal_request(cast.developer, "Bundle not applied", "Bundle 1.4.2 is never applied.")
    copies.add(ticket, ["kim@acme.test"], how="portal", person=cast.developer)
    deliver(
        email(
            "Kim <kim@acme.test>",
            to=reply_address(ticket.pk),
            subject=f"Re: [{ticket.reference}] Bundle not applied",
            body="Dewi, please paste the production API key here so Capgo can check it.",
        )
    )
    assert not Message.objects.filter(ticket=ticket, author_email="kim@acme.test").exists()


def test_a_copied_person_cannot_forge_a_bounce_or_a_spam_report_for_the_requester(cast, acme: Signer) -> None:
    ticket = opened(acme.sign(email(cc="kim@acme.test")))
    reply = ticket_actions.reply_as_agent(ticket, agent=cast.agent, body="Try again")
    kims = OutboundEmail.objects.get(to="kim@acme.test", kind="agent_reply").headers["Message-ID"]
    # Kim knows only the id of her own email: a report naming Dewi that cites it is void.
    deliver(dsn(("dewi@acme.test", "failed", "5.1.1"), cites=kims))
    deliver(arf(kims, recipient="dewi@acme.test"))
    assert not Suppression.objects.exists()
    assert EmailAddress.objects.get(email="dewi@acme.test").bounced_at is None
    # A report (even with the recipient redacted) citing Kim's own email is about Kim.
    deliver(arf(kims))
    assert set(Suppression.objects.values_list("address", flat=True)) == {"kim@acme.test"}
    # And a genuine bounce of Dewi's email still counts.
    deliver(dsn(("dewi@acme.test", "failed", "5.1.1"), cites=reply.message_id))
    assert set(Suppression.objects.values_list("address", flat=True)) == {"kim@acme.test", "dewi@acme.test"}


def test_a_genuine_bounce_for_the_requester_counts_with_the_most_copies(cast, acme: Signer, settings) -> None:
    ticket = open_for(cast.developer, "Rollback", email="dewi@acme.test", project=cast.project)
    copies.add(ticket, [f"c{i}@acme.test" for i in range(settings.CAPDESK_MAX_COPIED)], how="agent")
    reply = ticket_actions.reply_as_agent(ticket, agent=cast.agent, body="Fixed in 6.14.3")
    assert OutboundEmail.objects.filter(ticket=ticket).count() == settings.CAPDESK_MAX_COPIED + 1
    deliver(dsn(("dewi@acme.test", "failed", "5.1.1"), cites=reply.message_id))
    assert Suppression.objects.filter(address="dewi@acme.test").exists()
