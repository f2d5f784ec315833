"""Whether an agent is restricted to queues is an explicit row (tickets.QueueRestriction), never
inferred from their memberships: taking away an agent's last queue leaves them seeing nothing.

Personas: martin, restricted to Sales; nadia, restricted to no queue; the cast's agent, not
restricted; the admin (superuser).
"""

from importlib import import_module

import pytest
from django.apps import apps
from django.contrib.auth.models import User

from capdesk.testing.factories import make_user, restrict
from capdesk.testing.requests import open_for
from capdesk.tickets.models import Queue, QueueMembership, QueueRestriction
from capdesk.tickets.restriction import set_restricted
from capdesk.tickets.scoping import agent_queue_ids, agent_tickets, restricted, working, works_queue


def _open(cast, subject, queue):
    return open_for(
        cast.developer,
        subject,
        email="dewi@acme.test",
        project=cast.project,
        body=f"{subject}: about the bundle",
        queue=queue,
    )


@pytest.fixture
def desk(cast):
    sales = Queue.objects.create(slug="sales", name="Sales")
    support = Queue.objects.create(slug="support", name="Support")
    martin = make_user("martin", staff=True)
    nadia = make_user("nadia", staff=True)
    restrict(martin, sales)
    restrict(nadia)
    lead = _open(cast, "Premium Support quote", sales)
    crash = _open(cast, "Rollback crashes the app", support)
    return sales, support, martin, nadia, lead, crash


def _fresh(user):
    """The user as a request loads them (tickets.backends): with the restriction flag."""
    return restricted(User.objects.filter(pk=user.pk)).get()


def test_a_restricted_agent_with_no_queue_sees_no_ticket(cast, desk):
    _sales, _support, _martin, nadia, _lead, _crash = desk
    assert agent_queue_ids(_fresh(nadia)) == []
    assert list(agent_tickets(_fresh(nadia))) == []


def test_removing_an_agents_last_queue_leaves_them_seeing_nothing_not_everything(cast, desk):
    sales, _support, martin, _nadia, lead, _crash = desk
    assert list(agent_tickets(_fresh(martin))) == [lead]
    QueueMembership.objects.filter(user=martin, queue=sales).delete()
    assert agent_queue_ids(_fresh(martin)) == []
    assert list(agent_tickets(_fresh(martin))) == []


def test_only_lifting_the_restriction_lets_an_agent_see_every_queue(cast, desk):
    _sales, _support, martin, _nadia, lead, crash = desk
    assert set_restricted(martin, False) is True
    assert agent_queue_ids(_fresh(martin)) is None
    assert set(agent_tickets(_fresh(martin))) == {lead, crash}
    assert set_restricted(martin, False) is False  # nothing more to lift


def test_a_queue_given_to_an_agent_who_is_not_restricted_changes_nothing(cast, desk):
    sales, _support, _martin, _nadia, lead, crash = desk
    QueueMembership.objects.create(user=cast.agent, queue=sales)
    assert set(agent_tickets(_fresh(cast.agent))) == {lead, crash}


def test_a_user_loaded_without_the_flag_is_asked_and_scoped_alike(cast, desk):
    _sales, _support, martin, nadia, lead, _crash = desk
    plain = User.objects.get(pk=nadia.pk)
    assert agent_queue_ids(plain) == []
    assert list(agent_tickets(User.objects.get(pk=martin.pk))) == [lead]
    assert agent_queue_ids(User.objects.get(pk=cast.agent.pk)) is None


@pytest.mark.parametrize("who", ["martin", "nadia", "agent", "admin", "restricted_admin"])
def test_who_works_a_queue_is_one_rule_for_the_agent_and_for_the_assign_list(cast, desk, who):
    """``works_queue`` (the asking agent) and ``working`` (every agent at once) must not drift."""
    sales, support, martin, nadia, _lead, _crash = desk
    if who == "restricted_admin":
        restrict(cast.admin, sales)
    user = {"martin": martin, "nadia": nadia}.get(who) or getattr(cast, who.removeprefix("restricted_"))
    for queue in (sales, support):
        listed = working(queue.pk).filter(pk=user.pk).exists()
        assert works_queue(_fresh(user), queue.pk) == listed, (who, queue.slug)
    expected = {
        "martin": {"sales"},
        "nadia": set(),
        "agent": {"sales", "support"},
        "admin": {"sales", "support"},
        "restricted_admin": {"sales", "support"},
    }[who]
    assert {q.slug for q in (sales, support) if works_queue(_fresh(user), q.pk)} == expected


def test_the_migration_keeps_agents_with_queues_restricted_to_them(cast, desk):
    sales, _support, martin, nadia, _lead, _crash = desk
    QueueRestriction.objects.all().delete()  # the desk as it was: memberships alone
    migration = import_module("capdesk.tickets.migrations.0019_queue_restriction")
    migration.restrict_agents_with_queues(apps, None)
    assert set(QueueRestriction.objects.values_list("user_id", flat=True)) == {martin.pk}
    assert agent_queue_ids(_fresh(martin)) == [sales.pk]
    assert agent_queue_ids(_fresh(nadia)) is None  # had no queue: saw every queue, and still does
