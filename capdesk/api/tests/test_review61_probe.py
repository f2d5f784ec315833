from __future__ import annotations
import pytest
from capdesk.api.actions import create_token
from capdesk.api.tests.conftest import open_ticket_for
from capdesk.notify.models import OutboundEmail
from capdesk.tickets import copies
from capdesk.tickets.merging import merge_tickets

pytestmark = pytest.mark.django_db


def tok(person, scope="customer"):
    return create_token(name="m", scope=scope, person=person).plaintext


def test_probe_display_name_leave_out(cast, tokens, tickets_of_both_orgs, api):
    mine, _ = tickets_of_both_orgs
    r = api.post(f"/tickets/{mine.reference}/copied", tokens.agent, {"emails": ["Lee <lee@partner.test>"]})
    print(r.json())
    r = api.post(f"/tickets/{mine.reference}/replies", tokens.agent, {"body": "x", "leave_out": ["Lee <lee@partner.test>"]})
    print(r.status_code)
    print(list(OutboundEmail.objects.filter(ticket_id=mine.pk).values_list("to", flat=True)))
    r = api.post(f"/tickets/{mine.reference}/replies", tokens.agent, {"body": "x", "leave_out": ["lee@parter.test"]})
    print(r.status_code)


def test_probe_merged_uncopy(cast, tokens, api):
    src = open_ticket_for(cast.developer, cast.project, "A")
    tgt = open_ticket_for(cast.org_admin, cast.project, "B")
    copies.add(src, [cast.reader.primary_email], how="agent")
    merge_tickets(src, tgt, agent=cast.agent)
    r = api.delete(f"/customer/tickets/{src.reference}/copied/{cast.reader.primary_email}", tok(cast.reader))
    print(r.status_code, r.content)
    print(api.get(f"/customer/tickets/{tgt.reference}/messages", tok(cast.reader)).status_code)
    print(api.get(f"/customer/tickets", tok(cast.reader)).json())
