"""The desk's mail threads into the customer's conversation, and answers to the reply address come back.

Outgoing mail is sent by the worker through Django's locmem backend; the answers go
through ``receive`` and the worker like any mail.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from django.contrib.auth.models import User
from django.core import mail as django_mail
from pytest_django.fixtures import Settings

from capdesk.intake import actions
from capdesk.intake.models import InboundRequest
from capdesk.intake.smtpd import SmtpReceiver
from capdesk.testing.factories import Personas
from capdesk.testing.requests import file_portal_request
from capdesk.tickets.actions import reply_as_agent
from capdesk.tickets.models import Ticket
from capdesk.tickets.reply_address import reply_address, reply_token, thread_root_id, ticket_pk_from_token

SAMPLES = Path(__file__).parent / "samples"

Deliver = Callable[[bytes], InboundRequest]


def deliver_raw(run_worker: Callable[[], None]) -> Deliver:
    def deliver(raw: bytes) -> InboundRequest:
        request = actions.receive(channel="email", raw=raw).request
        run_worker()
        request.refresh_from_db()
        return request

    return deliver


def answer(
    *, to: str, sender: str = "dewi@acme.test", message_id: str = "<answer-1@mail.acme.test>"
) -> bytes:
    # A client that kept neither our subject reference nor our Message-IDs: only the address.
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: one more thing\r\nMessage-ID: {message_id}\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "It also happens on Android.\r\n"
    ).encode()


def sent_to_customer(address: str = "dewi@acme.test") -> list[EmailMessage]:
    return [
        message_from_bytes(m.message().as_bytes(), policy=policy.default)
        for m in django_mail.outbox
        if m.to == [address]
    ]


def test_it_threads_an_agent_reply_on_the_customers_latest_message_with_text_and_html(
    cast: Personas, run_worker: Callable[[], None]
) -> None:
    deliver = deliver_raw(run_worker)
    # From an address the directory does not know: an unsigned reply from a registered one
    # would be held (E3), and the desk's mail never threads on a held reply.
    unknown = b"andi@gmail.test"
    deliver((SAMPLES / "plain.eml").read_bytes().replace(b"dewi@acme.test", unknown))
    deliver((SAMPLES / "reply_by_in_reply_to.eml").read_bytes().replace(b"dewi@acme.test", unknown))
    ticket = Ticket.objects.get()
    django_mail.outbox.clear()

    assert isinstance(cast.agent, User)
    reply_as_agent(ticket, agent=cast.agent, body="Please try **version 6.2**.")
    run_worker()

    [sent] = sent_to_customer(unknown.decode())
    assert sent["In-Reply-To"] == "<plain-3@mail.acme.test>"
    assert sent["References"] == "<plain-1@mail.acme.test> <plain-3@mail.acme.test>"
    assert sent["Reply-To"] == f"support+{ticket.pk}.{reply_token(ticket.pk).split('.')[1]}@capgo.app"
    assert sent["Message-ID"]
    text = sent.get_body(("plain",))
    html = sent.get_body(("html",))
    assert text is not None and "Please try **version 6.2**." in text.get_content()
    assert html is not None and "<strong>version 6.2</strong>" in html.get_content()


def test_it_threads_the_desks_automatic_answer_on_the_request_it_answers(
    cast: Personas, run_worker: Callable[[], None]
) -> None:
    deliver_raw(run_worker)((SAMPLES / "plain.eml").read_bytes())
    ticket = Ticket.objects.get()
    [sent] = sent_to_customer()
    assert sent["Auto-Submitted"] == "auto-replied"
    assert sent["In-Reply-To"] == "<plain-1@mail.acme.test>"
    assert sent["Reply-To"] == reply_address(ticket.pk)


def test_it_threads_an_answer_to_the_reply_address_that_cites_nothing_else(
    cast: Personas, run_worker: Callable[[], None]
) -> None:
    deliver = deliver_raw(run_worker)
    deliver((SAMPLES / "plain.eml").read_bytes())
    ticket = Ticket.objects.get()
    request = deliver(answer(to=f"Capgo Support <{reply_address(ticket.pk).upper()}>"))
    assert request.ticket == ticket
    assert Ticket.objects.count() == 1
    assert ticket.messages.filter(message_id="<answer-1@mail.acme.test>").exists()


def test_it_reads_the_token_from_delivered_to_when_the_client_kept_us_in_bcc(
    cast: Personas, run_worker: Callable[[], None]
) -> None:
    deliver = deliver_raw(run_worker)
    deliver((SAMPLES / "plain.eml").read_bytes())
    ticket = Ticket.objects.get()
    raw = f"Delivered-To: {reply_address(ticket.pk)}\r\n".encode() + answer(to="someone@acme.test")
    assert deliver(raw).ticket == ticket


def test_it_opens_a_new_ticket_when_a_stranger_writes_to_a_valid_reply_address(
    cast: Personas, run_worker: Callable[[], None]
) -> None:
    deliver = deliver_raw(run_worker)
    deliver((SAMPLES / "plain.eml").read_bytes())
    ticket = Ticket.objects.get()
    request = deliver(answer(to=reply_address(ticket.pk), sender="mallory@evil.test"))
    assert request.ticket is not None and request.ticket != ticket
    assert not ticket.messages.filter(author_email="mallory@evil.test").exists()


def test_it_ignores_a_forged_token(cast: Personas, run_worker: Callable[[], None]) -> None:
    deliver = deliver_raw(run_worker)
    deliver((SAMPLES / "plain.eml").read_bytes())
    ticket = Ticket.objects.get()
    forged = f"support+{ticket.pk}.000000000000@capgo.app"
    assert ticket_pk_from_token(forged.split("+")[1].split("@")[0]) is None
    request = deliver(answer(to=forged))
    assert request.ticket != ticket
    assert Ticket.objects.count() == 2


def test_it_ignores_a_token_on_an_address_that_is_not_the_desks(
    cast: Personas, run_worker: Callable[[], None]
) -> None:
    deliver = deliver_raw(run_worker)
    deliver((SAMPLES / "plain.eml").read_bytes())
    ticket = Ticket.objects.get()
    request = deliver(answer(to=f"sales+{reply_token(ticket.pk)}@capgo.app"))
    assert request.ticket != ticket


def test_it_verifies_tokens_against_the_secret_key(settings: Settings) -> None:
    token = reply_token(1042)
    assert ticket_pk_from_token(token) == 1042
    assert ticket_pk_from_token(token.upper()) == 1042  # some systems upper-case local parts
    assert ticket_pk_from_token(f"1043.{token.split('.')[1]}") is None
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-000000000000"
    assert ticket_pk_from_token(token) is None


def test_the_smtp_receiver_accepts_the_plus_address_of_the_support_address_and_its_aliases(
    settings: Settings, transactional_db: None
) -> None:
    settings.CAPDESK_SUPPORT_ALIASES = ["help@capgo.app"]
    with SmtpReceiver("127.0.0.1", 0) as receiver, smtplib.SMTP(*receiver.address, timeout=10) as smtp:
        raw = answer(to="support+7.abcdef012345@capgo.app")
        assert smtp.sendmail("dewi@acme.test", ["Support+7.ABCDEF012345@capgo.app"], raw) == {}
        raw = answer(to="help+x@capgo.app", message_id="<answer-2@mail.acme.test>")
        assert smtp.sendmail("dewi@acme.test", ["help+x@capgo.app"], raw) == {}
        refused = smtp.sendmail(
            "dewi@acme.test",
            ["sales+1@capgo.app", "support@capgo.app"],
            answer(to="x", message_id="<answer-3@mail.acme.test>"),
        )
        assert set(refused) == {"sales+1@capgo.app"}
    assert InboundRequest.objects.count() == 3


def test_every_email_about_a_portal_request_names_one_thread_root(
    cast: Personas, run_worker: Callable[[], None]
) -> None:
    # A portal request has no Message-ID of the customer's: without a root, each email
    # about it (the acknowledgement, each agent reply) would start a thread of its own.
    ticket = file_portal_request(cast.developer, "Updates stopped", "Since 6.2.", project="com.acme.shop")
    assert isinstance(cast.agent, User)
    reply_as_agent(ticket, agent=cast.agent, body="Which channel is the device on?")
    run_worker()

    ack, reply = sent_to_customer()
    assert ack["References"] == reply["References"] == thread_root_id(ticket.pk)
    assert ack["In-Reply-To"] is None and reply["In-Reply-To"] is None
    other = file_portal_request(cast.developer, "Another one", "Text.", project="com.acme.shop")
    assert thread_root_id(other.pk) != thread_root_id(ticket.pk)

    # The customer answers the agent's email; the client keeps the thread's ids.
    raw = answer(to="support@capgo.app").replace(
        b"Subject:", f"References: {reply['References']} {reply['Message-ID']}\r\nSubject:".encode()
    )
    deliver_raw(run_worker)(raw)
    assert ticket.messages.filter(author_kind="customer").count() == 2
    assert Ticket.objects.count() == 2
