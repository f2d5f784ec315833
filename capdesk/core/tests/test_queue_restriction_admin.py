"""An admin restricts an agent to queues on the agent's own admin page, explicitly, and it is audited.

The "Restricted to queues" box is the restriction (tickets.QueueRestriction); the queues listed
under it are which. Unticking it is the only way an agent comes to see every queue.
"""

import pytest
from django.contrib.auth.models import User

from capdesk.core.models import AuditEntry
from capdesk.testing.factories import make_user, restrict
from capdesk.tickets.models import Queue, QueueMembership, QueueRestriction


@pytest.fixture
def martin(db):
    user = make_user("martin", staff=True)
    assert isinstance(user, User)
    return user


@pytest.fixture
def sales(db):
    return Queue.objects.create(slug="sales", name="Sales")


def _form(user, *, restricted, queues=(), kept=()):
    """The change form as the admin posts it: ``kept`` rows already stored, ``queues`` new ones."""
    data = {
        "username": user.username,
        "email": user.email,
        "is_active": "on",
        "is_staff": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "10:00:00",
        "initial-date_joined_0": "2026-01-01",
        "initial-date_joined_1": "10:00:00",
        "queue_memberships-TOTAL_FORMS": str(len(kept) + len(queues)),
        "queue_memberships-INITIAL_FORMS": str(len(kept)),
    }
    if restricted:
        data["queue_restricted"] = "on"
    for i, (membership, delete) in enumerate(kept):
        data |= {
            f"queue_memberships-{i}-id": str(membership.pk),
            f"queue_memberships-{i}-user": str(user.pk),
            f"queue_memberships-{i}-queue": str(membership.queue_id),
        }
        if delete:
            data[f"queue_memberships-{i}-DELETE"] = "on"
    for i, queue in enumerate(queues, start=len(kept)):
        data |= {f"queue_memberships-{i}-user": str(user.pk), f"queue_memberships-{i}-queue": str(queue.pk)}
    return data


def _access_changes(user):
    entries = AuditEntry.objects.filter(action="access.user_changed", target_id=str(user.pk)).order_by("id")
    return [(e.actor_label, e.details) for e in entries]


def test_the_agents_page_shows_whether_they_are_restricted(client, cast, martin, sales):
    client.force_login(cast.admin)
    page = client.get(f"/admin/auth/user/{martin.pk}/change/").content.decode()
    assert "Restricted to queues" in page
    assert 'name="queue_restricted"' in page and "checked" not in _checkbox(page)
    restrict(martin)
    page = client.get(f"/admin/auth/user/{martin.pk}/change/").content.decode()
    assert "checked" in _checkbox(page)


def _checkbox(page):
    start = page.index('name="queue_restricted"')
    return page[page.rindex("<input", 0, start) : page.index(">", start)]


def test_the_user_list_says_which_queues_each_agent_sees(client, cast, martin, sales):
    nadia = make_user("nadia", staff=True)
    restrict(martin, sales)
    restrict(nadia)
    client.force_login(cast.admin)
    page = client.get("/admin/auth/user/").content.decode()
    rows = {name: page[page.index(f">{name}<") :].split("</tr>")[0] for name in ("martin", "nadia", "agent")}
    assert "Sales" in rows["martin"]
    assert "none: no ticket" in rows["nadia"]
    assert "every queue" in rows["agent"]


def test_an_admin_restricts_an_agent_to_a_queue_and_it_is_audited(client, cast, martin, sales):
    client.force_login(cast.admin)
    response = client.post(
        f"/admin/auth/user/{martin.pk}/change/", _form(martin, restricted=True, queues=[sales])
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert QueueRestriction.objects.filter(user=martin).exists()
    assert list(QueueMembership.objects.filter(user=martin).values_list("queue__slug", flat=True)) == [
        "sales"
    ]
    assert _access_changes(martin) == [
        ("admin", {"username": "martin", "restricted_to_queues": [False, True]}),
        ("admin", {"username": "martin", "queues": {"added": ["sales"]}}),
    ]


def test_removing_the_last_queue_in_the_admin_keeps_the_agent_restricted(client, cast, martin, sales):
    restrict(martin, sales)
    membership = QueueMembership.objects.get(user=martin)
    client.force_login(cast.admin)
    response = client.post(
        f"/admin/auth/user/{martin.pk}/change/", _form(martin, restricted=True, kept=[(membership, True)])
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert QueueRestriction.objects.filter(user=martin).exists()
    assert not QueueMembership.objects.filter(user=martin).exists()
    assert _access_changes(martin) == [("admin", {"username": "martin", "queues": {"removed": ["sales"]}})]


def test_queues_listed_for_an_agent_who_is_not_restricted_are_refused(client, cast, martin, sales):
    client.force_login(cast.admin)
    response = client.post(
        f"/admin/auth/user/{martin.pk}/change/", _form(martin, restricted=False, queues=[sales])
    )
    assert response.status_code == 200
    assert "the agent is not restricted to queues" in response.content.decode()
    assert not QueueMembership.objects.filter(user=martin).exists()
    assert _access_changes(martin) == []


def test_letting_an_agent_see_every_queue_takes_unticking_and_is_audited(client, cast, martin, sales):
    restrict(martin, sales)
    membership = QueueMembership.objects.get(user=martin)
    client.force_login(cast.admin)
    response = client.post(
        f"/admin/auth/user/{martin.pk}/change/", _form(martin, restricted=False, kept=[(membership, True)])
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not QueueRestriction.objects.filter(user=martin).exists()
    assert _access_changes(martin) == [
        ("admin", {"username": "martin", "restricted_to_queues": [True, False]}),
        ("admin", {"username": "martin", "queues": {"removed": ["sales"]}}),
    ]


def test_saving_an_agents_page_unchanged_records_nothing(client, cast, martin, sales):
    restrict(martin, sales)
    membership = QueueMembership.objects.get(user=martin)
    client.force_login(cast.admin)
    response = client.post(
        f"/admin/auth/user/{martin.pk}/change/", _form(martin, restricted=True, kept=[(membership, False)])
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert _access_changes(martin) == []
