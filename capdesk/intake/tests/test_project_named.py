"""A ``need_project`` answer naming the app: the ticket takes the project and is decided again."""

from __future__ import annotations

from django.test import Client

from capdesk.intake.tests.test_copied import email, opened
from capdesk.intake.tests.test_sender_authentication import Signer, deliver
from capdesk.portal.actions import user_for_person
from capdesk.testing.requests import file_portal_request
from capdesk.tickets.models import Decision, Event, Ticket
from capdesk.tickets.reply_address import reply_address

VAGUE = (
    "Our app calls notifyAppReady() but bundle 1.4.2 is never downloaded on the production channel. "
    "Device log: [CapacitorUpdater] No new version available.\n"
)


def _asks_which(acme: Signer) -> Ticket:
    ticket = opened(acme.sign(email(body=VAGUE)))
    assert ticket.outcome == "need_project" and ticket.project is None, ticket.outcome
    return ticket


def test_naming_the_app_by_email_places_and_decides_the_ticket(cast, acme: Signer, client: Client) -> None:
    ticket = _asks_which(acme)
    deliver(
        acme.sign(email(to=reply_address(ticket.pk), subject="Re: which app", body="It is com.acme.shop."))
    )
    ticket.refresh_from_db()
    assert ticket.project == cast.project and ticket.organization == cast.org
    assert ticket.outcome != "need_project"
    assert Decision.objects.filter(ticket=ticket).count() == 2
    assert Event.objects.get(ticket=ticket, kind="project.named").data == {"project": "com.acme.shop"}
    client.force_login(cast.agent)
    assert (
        "The requester named the project, com.acme.shop: decided again"
        in client.get(f"/console/tickets/{ticket.reference}/").content.decode()
    )


def test_naming_the_app_in_the_portal_does_too(cast, acme: Signer, client: Client) -> None:
    ticket = _asks_which(acme)
    client.force_login(user_for_person(cast.developer))
    client.post(
        f"/portal/requests/{ticket.reference}/reply/", {"body": "com.acme.shop", "idempotency_key": "p1"}
    )
    ticket.refresh_from_db()
    assert ticket.project == cast.project and ticket.outcome != "need_project"


def test_an_unproven_answer_or_someone_else_naming_an_app_moves_nothing(cast, acme: Signer, stub) -> None:
    ticket = _asks_which(acme)
    deliver(
        email(to=reply_address(ticket.pk), subject="Re: which app", body="It is com.acme.shop.")
    )  # unsigned: held
    ticket.refresh_from_db()
    assert ticket.project is None and ticket.outcome == "need_project"


def test_a_portal_request_decided_again_keeps_the_severity_its_form_declared(cast, client: Client) -> None:
    """Decided again when the app is named, a form's request is the same request: its severity
    field counts again (it was decided again as if nothing was declared, so High became Normal)."""
    ticket = file_portal_request(cast.developer, "Updates stuck", VAGUE, severity="high")
    assert ticket.outcome == "need_project" and ticket.severity == "high", ticket.outcome
    client.force_login(user_for_person(cast.developer))
    client.post(
        f"/portal/requests/{ticket.reference}/reply/", {"body": "com.acme.shop", "idempotency_key": "p2"}
    )
    ticket.refresh_from_db()
    assert ticket.project == cast.project and ticket.outcome != "need_project"
    assert Decision.objects.filter(ticket=ticket).count() == 2
    assert ticket.severity == "high"
