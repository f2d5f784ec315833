"""Attachments are served only to who may see their message, always as a download."""

from __future__ import annotations

import pytest

from capdesk.portal.actions import user_for_person
from capdesk.tickets import actions
from capdesk.tickets.models import Attachment

HOSTILE = b"<html><script>alert(document.cookie)</script></html>"


@pytest.fixture
def files(cast):
    ticket = actions.open_ticket(
        subject="Crash log",
        body="See attached",
        channel="portal",
        requester=cast.developer,
        requester_email="dewi@acme.test",
        project=cast.project,
        files=[actions.IncomingFile("../../evil.html", "text/html", HOSTILE)],
    )
    actions.reply_as_agent(
        ticket,
        agent=cast.agent,
        body="internal",
        public=False,
        files=[actions.IncomingFile("notes.txt", "text/plain", b"agent only")],
    )
    public = Attachment.objects.get(filename="../../evil.html")
    internal = Attachment.objects.get(filename="notes.txt")
    return ticket, public, internal


def _get(client, url):
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.status_code == 200 else b""
    return response, body


def test_the_requester_downloads_a_public_file_as_an_inert_attachment(client, cast, files):
    ticket, public, _ = files
    client.force_login(user_for_person(cast.developer))
    response, body = _get(client, f"/portal/requests/{ticket.reference}/attachments/{public.pk}/")
    assert response.status_code == 200
    assert body == HOSTILE
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert "/" not in response["Content-Disposition"].split("filename=")[1]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_a_customer_never_gets_an_internal_notes_file(client, cast, files):
    ticket, _, internal = files
    client.force_login(user_for_person(cast.developer))
    response, _ = _get(client, f"/portal/requests/{ticket.reference}/attachments/{internal.pk}/")
    assert response.status_code == 404


@pytest.mark.parametrize("who", ["outsider", "reader"])
def test_other_customers_get_nothing(client, cast, files, who):
    ticket, public, _ = files
    client.force_login(user_for_person(getattr(cast, who)))
    response, _ = _get(client, f"/portal/requests/{ticket.reference}/attachments/{public.pk}/")
    assert response.status_code == 404


def test_an_agent_downloads_both_and_a_customer_cannot_use_the_console_url(client, cast, files):
    ticket, public, internal = files
    client.force_login(cast.agent)
    for attachment in (public, internal):
        response, _ = _get(client, f"/console/tickets/{ticket.reference}/attachments/{attachment.pk}/")
        assert response.status_code == 200
    client.force_login(user_for_person(cast.developer))
    response, _ = _get(client, f"/console/tickets/{ticket.reference}/attachments/{public.pk}/")
    assert response.status_code == 302


def test_an_attachment_of_another_ticket_is_not_reachable_through_this_one(client, cast, files):
    _, public, _ = files
    other = actions.open_ticket(
        subject="Other",
        body="x",
        channel="portal",
        requester=cast.developer,
        requester_email="dewi@acme.test",
    )
    client.force_login(cast.agent)
    response, _ = _get(client, f"/console/tickets/{other.reference}/attachments/{public.pk}/")
    assert response.status_code == 404
