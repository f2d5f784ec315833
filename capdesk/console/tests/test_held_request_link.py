"""A held request's banner says whether its confirmation link was emailed or withheld, and why;
an agent may email the link again, as their own act, recorded, and never to a suppressed address."""

from __future__ import annotations

import re
from datetime import timedelta

from django.contrib.auth.models import User
from django.db.models import F
from django.test import Client

from capdesk.intake.models import SenderConfirmation
from capdesk.intake.tests.conftest import stub  # noqa: F401  (the DNS the sender checks ask)
from capdesk.notify import suppressions
from capdesk.notify.models import OutboundEmail, Suppression
from capdesk.testing.factories import Personas, make_user, restrict
from capdesk.testing.requests import send_plain_email
from capdesk.tickets.models import Event, Queue, Ticket

GENUINE = "Production bundle is crashing on all devices"


def held(subject: str = GENUINE) -> Ticket:
    request = send_plain_email("dewi@acme.test", subject, "Every device crashes after bundle 4.2.0.")
    assert request.ticket is not None and request.ticket.outcome == "verify_sender"
    return request.ticket


def after_five_forged() -> Ticket:
    for i in range(5):
        held(f"Forged request {i}")
    return held()


def agent(cast: Personas, language: str = "en") -> Client:
    client = Client()
    client.force_login(User.objects.get(pk=cast.agent.pk))
    client.cookies["django_language"] = language
    return client


def banner(client: Client, ticket: Ticket) -> str:
    page = client.get(f"/console/tickets/{ticket.reference}/").content.decode()
    found = re.search(r'<div class="notice" role="status" id="held-request">(.*?)</div>', page, re.S)
    assert found is not None
    return found.group(1)


def test_the_banner_says_when_the_link_was_emailed_and_until_when_it_works(cast: Personas, stub) -> None:  # noqa: F811
    text = banner(agent(cast), held())
    assert "A confirmation link was emailed to dewi@acme.test on" in text and "it works until" in text
    assert "Email the confirmation link again" in text


def test_the_banner_says_the_limit_withheld_the_link(cast: Personas, stub) -> None:  # noqa: F811
    text = banner(agent(cast), after_five_forged())
    assert "The confirmation link was not emailed to dewi@acme.test" in text
    assert "(5) was reached" in text and "was emailed" not in text


def test_the_banner_in_indonesian(cast: Personas, stub) -> None:  # noqa: F811
    text = banner(agent(cast, "id"), after_five_forged())
    assert (
        "Tautan konfirmasi tidak dikirim ke dewi@acme.test" in text
        and "Kirim ulang tautan konfirmasi" in text
    )


def test_an_agent_emails_the_link_again_as_their_own_act(cast: Personas, stub) -> None:  # noqa: F811
    ticket = after_five_forged()
    client = agent(cast)
    answer = client.post(f"/console/tickets/{ticket.reference}/confirmation/again/", follow=True)
    assert "The confirmation link was emailed again to dewi@acme.test" in answer.content.decode()
    [email] = OutboundEmail.objects.filter(ticket=ticket)
    assert email.kind == "sender_confirmation.again" and email.to == "dewi@acme.test" and not email.automatic
    assert GENUINE in email.body_text
    event = Event.objects.get(ticket=ticket, kind="confirmation.emailed")
    assert event.actor_user_id == cast.agent.pk and event.data["by"] == "agent"
    assert (
        "emailed again to dewi@acme.test"
        in client.get(f"/console/tickets/{ticket.reference}/").content.decode()
    )
    assert "A confirmation link was emailed to dewi@acme.test" in banner(client, ticket)
    link = re.search(r"/confirm/[\w-]+/", email.body_text)
    assert link is not None and Client().post(link.group(0)).status_code == 200
    ticket.refresh_from_db()
    assert ticket.outcome != "verify_sender"


def test_the_link_emailed_before_stops_working(cast: Personas, stub) -> None:  # noqa: F811
    ticket = held()
    first = OutboundEmail.objects.get(ticket=ticket, kind="reply.verify_sender")
    old = re.search(r"/confirm/[\w-]+/", first.body_text)
    assert old is not None
    _a_while_ago(ticket)
    agent(cast).post(f"/console/tickets/{ticket.reference}/confirmation/again/")
    assert Client().get(old.group(0)).status_code == 404


def _a_while_ago(ticket: Ticket) -> None:
    """The link went out two minutes ago, not this instant (a second one at once is refused)."""
    SenderConfirmation.objects.filter(ticket=ticket).update(emailed_at=F("emailed_at") - timedelta(minutes=2))


def test_a_second_click_right_after_the_link_went_out_sends_nothing(cast: Personas, stub) -> None:  # noqa: F811
    """Three clicks within seconds sent three emails, each retiring the one before it."""
    ticket = after_five_forged()
    client = agent(cast)
    client.post(f"/console/tickets/{ticket.reference}/confirmation/again/")
    answer = client.post(f"/console/tickets/{ticket.reference}/confirmation/again/", follow=True)
    assert "less than a minute ago and is on its way" in answer.content.decode()
    assert OutboundEmail.objects.filter(ticket=ticket, kind="sender_confirmation.again").count() == 1
    _a_while_ago(ticket)
    client.post(f"/console/tickets/{ticket.reference}/confirmation/again/")
    assert OutboundEmail.objects.filter(ticket=ticket, kind="sender_confirmation.again").count() == 2


def test_it_is_refused_to_a_suppressed_address(cast: Personas, stub) -> None:  # noqa: F811
    ticket = held()
    suppressions.suppress("dewi@acme.test", reason=Suppression.Reason.BOUNCE)
    answer = agent(cast).post(f"/console/tickets/{ticket.reference}/confirmation/again/", follow=True)
    assert "The link was not emailed: dewi@acme.test is on the suppression list." in answer.content.decode()
    assert not OutboundEmail.objects.filter(kind="sender_confirmation.again").exists()
    assert not Event.objects.filter(kind="confirmation.emailed").exists()


def test_nobody_but_an_agent_who_sees_the_ticket_sends_it(cast: Personas, stub) -> None:  # noqa: F811
    from capdesk.portal.actions import user_for_person

    ticket = after_five_forged()
    url = f"/console/tickets/{ticket.reference}/confirmation/again/"
    assert Client().post(url)["Location"].startswith("/console/login/")
    customer = Client()
    customer.force_login(user_for_person(cast.developer))
    assert customer.post(url)["Location"].startswith("/console/login/")
    restricted = User.objects.get(pk=make_user("martin", staff=True).pk)
    restrict(restricted, Queue.objects.create(slug="sales-only", name="Sales"))
    other = Client()
    other.force_login(restricted)
    assert other.post(url).status_code == 404
    assert not OutboundEmail.objects.filter(kind="sender_confirmation.again").exists()


def test_the_held_replies_list_says_a_replys_link_was_withheld(cast: Personas, stub) -> None:  # noqa: F811
    from capdesk.testing.requests import file_portal_request

    ticket = file_portal_request(
        cast.developer, "Live update not applied", "Never applied.", project="com.acme.shop"
    )
    for i in range(5):
        held(f"Forged request {i}")
    send_plain_email("dewi@acme.test", f"Re: [{ticket.reference}] Live update not applied", "Version 6.2.")
    page = agent(cast).get("/console/held/").content.decode()
    assert "not emailed yet: the daily limit withheld it" in page
    assert Event.objects.get(ticket=ticket, kind="email.withheld").data["link"] is True
