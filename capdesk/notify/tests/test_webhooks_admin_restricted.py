"""The delivery log summarises tickets of every queue: an agent restricted to queues does not read
it in the admin, even with the view and change rights an unrestricted agent reads it with.

Personas: martin, restricted to Sales, and nadia, restricted to no queue, both given the log's
rights; the cast's agent, not restricted, given them too; the admin (superuser).
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from capdesk.notify.models import WebhookDelivery, WebhookEndpoint
from capdesk.testing.factories import make_user, restrict
from capdesk.tickets.models import Queue

MARK = "CAP-7777"


@pytest.fixture
def log(cast):
    endpoint = WebhookEndpoint.objects.create(url="https://93.184.216.34/hook", secret="whsec_x")
    payload = {"type": "ticket.updated", "data": {"ticket": {"reference": MARK}}}
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event_type="ticket.updated", payload=payload)
    rights = Permission.objects.filter(
        content_type__app_label="notify", codename__in=["view_webhookdelivery", "change_webhookdelivery"]
    )
    sales = Queue.objects.create(slug="sales", name="Sales")
    people = {"martin": make_user("martin", staff=True), "nadia": make_user("nadia", staff=True)}
    restrict(people["martin"], sales)
    restrict(people["nadia"])
    people |= {"agent": cast.agent, "admin": cast.admin}
    for user in people.values():
        user.user_permissions.add(*rights)
    return delivery, people


@pytest.mark.parametrize("who", ["martin", "nadia"])
def test_a_restricted_agent_neither_reads_nor_resends_the_delivery_log(client, log, who):
    delivery, people = log
    client.force_login(people[who])
    assert client.get("/admin/notify/webhookdelivery/").status_code == 403
    page = client.get(f"/admin/notify/webhookdelivery/{delivery.pk}/change/")
    assert page.status_code in (302, 403) and MARK not in page.content.decode()
    assert client.post(f"/admin/notify/webhookdelivery/{delivery.pk}/resend/").status_code == 403
    assert "webhookdelivery" not in client.get("/admin/").content.decode()


@pytest.mark.parametrize("who", ["agent", "admin"])
def test_an_unrestricted_agent_with_the_rights_and_an_admin_read_it(client, log, who):
    delivery, people = log
    client.force_login(people[who])
    assert client.get("/admin/notify/webhookdelivery/").status_code == 200
    assert MARK in client.get(f"/admin/notify/webhookdelivery/{delivery.pk}/change/").content.decode()
