"""Automatic round-robin: a new ticket goes, as it arrives, to the next active member of its queue's rotation."""

from __future__ import annotations

import os
import threading
from collections import Counter

import pytest
from django.contrib.auth.models import User
from django.db import close_old_connections, connection

from capdesk.console import actions
from capdesk.testing.factories import make_user
from capdesk.testing.requests import file_portal_request
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets.decisions import queue_for
from capdesk.tickets.models import Event, Ticket

ROLLBACK = "The app rolls back to 1.4.1 on every start since bundle 1.4.2 was uploaded to production."


def _agents(n: int) -> list[User]:
    agents = []
    for i in range(n):
        user = make_user(f"rr{i}", staff=True)
        assert isinstance(user, User)
        agents.append(user)
    return agents


def _rotation(agents: list[User], *, auto: bool = True) -> None:
    support = queue_for("support")
    for agent in agents:
        actions.set_rotation_membership(support, agent, member=True)
    actions.set_auto_assign(support, enabled=auto)


def test_it_assigns_each_new_ticket_to_the_next_member_in_turn_and_fairly(cast):
    agents = _agents(3)
    _rotation(agents)

    tickets = [
        file_portal_request(cast.developer, f"Rollback {n}", ROLLBACK, project="com.acme.shop")
        for n in range(9)
    ]

    assert [t.queue.slug for t in tickets] == ["support"] * 9
    assert [t.assignee for t in tickets] == agents * 3
    assert Counter(t.assignee_id for t in tickets) == {a.pk: 3 for a in agents}
    assert all(t.status == "open" for t in tickets)
    assigned = Event.objects.filter(ticket=tickets[0], kind="assigned").get()
    assert assigned.actor_user is None and assigned.data["assignee_to"] == agents[0].pk
    assert Event.objects.filter(kind="round_robin.arrival").count() == 9


def test_it_skips_deactivated_members(cast):
    first, away, third = _agents(3)
    _rotation([first, away, third])
    away.is_active = False
    away.save(update_fields=["is_active"])

    tickets = [
        file_portal_request(cast.developer, f"Rollback {n}", ROLLBACK, project="com.acme.shop")
        for n in range(4)
    ]

    assert [t.assignee for t in tickets] == [first, third, first, third]


def test_it_passes_over_an_agent_who_is_away_until_they_are_back(cast):
    first, away, third = _agents(3)
    _rotation([first, away, third])
    actions.set_away(away, away=True)

    before = [
        file_portal_request(cast.developer, f"Rollback {n}", ROLLBACK, project="com.acme.shop")
        for n in range(2)
    ]
    actions.set_away(away, away=False)
    after = file_portal_request(cast.developer, "Rollback back", ROLLBACK, project="com.acme.shop")

    assert [t.assignee for t in before] == [first, third]
    assert after.assignee == first  # the turn goes on from third, and away is a member again
    assert [
        t.assignee for t in [file_portal_request(cast.developer, "Next", ROLLBACK, project="com.acme.shop")]
    ] == [away]


def test_an_agent_says_they_are_away_on_the_rotations_page(client, cast):
    client.force_login(cast.agent)

    client.post("/console/away/", {"away": "1"})
    assert "You are away" in client.get("/console/rotations/").content.decode()
    client.post("/console/away/", {"away": "0"})

    assert "You are away" not in client.get("/console/rotations/").content.decode()


def test_it_leaves_new_tickets_unassigned_when_the_queue_does_not_assign_automatically(cast):
    _rotation(_agents(2), auto=False)

    ticket = file_portal_request(cast.developer, "Rollback", ROLLBACK, project="com.acme.shop")

    assert ticket.assignee is None and ticket.status == "new"


def test_it_does_not_assign_a_ticket_the_policy_answered_at_once(cast):
    _rotation(_agents(2))

    # No project named and no paid resources: redirected to the community (solved), not work for an agent.
    ticket = file_portal_request(
        cast.outsider, "How do I write my app's login screen?", "Please write the code for me."
    )

    assert ticket.status == "solved" and ticket.assignee is None


def test_an_agents_override_does_not_count_as_an_arrival(cast):
    agents = _agents(2)
    _rotation(agents, auto=False)
    ticket = file_portal_request(cast.developer, "Rollback", ROLLBACK, project="com.acme.shop")
    actions.set_auto_assign(ticket.queue, enabled=True)

    from capdesk.tickets.decisions import override_decision

    override_decision(ticket, outcome="accept", reason="needs a person", agent=cast.agent)

    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_an_admin_turns_automatic_assignment_on_and_off_on_the_rotation_page(client, cast):
    queue_for("support")
    client.force_login(cast.admin)

    client.post("/console/rotations/support/", {"auto_assign": "1"})
    assert "assigned on arrival" in client.get("/console/rotations/").content.decode()
    client.post("/console/rotations/support/", {"auto_assign": "0"})

    assert "assigned on arrival" not in client.get("/console/rotations/").content.decode()


def test_an_agent_sees_automatic_assignment_but_cannot_switch_it(client, cast):
    support = queue_for("support")
    actions.set_auto_assign(support, enabled=True)
    client.force_login(cast.agent)

    assert client.post("/console/rotations/support/", {"auto_assign": "0"}).status_code == 403
    page = client.get("/console/rotations/").content.decode()
    assert "assigned on arrival" in page and "Stop assigning automatically" not in page
    # Joining the rotation is still every agent's own choice.
    assert client.post("/console/rotations/support/", {"member": "1"}).status_code == 302
    support.refresh_from_db()
    assert support.rotation.auto_assign is True


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="concurrent writers need PostgreSQL; SQLite's in-memory test database has one connection's lock",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_arrivals_never_take_the_same_turn(cast):
    agents = _agents(4)
    _rotation(agents)
    tickets = [
        ticket_actions.open_ticket(
            subject=f"Rollback {n}",
            body=ROLLBACK,
            channel="portal",
            requester=cast.developer,
            requester_email="dewi@acme.test",
            project=cast.project,
            queue=queue_for("support"),
        )
        for n in range(24)
    ]
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def arrive(batch: list[Ticket]) -> None:
        try:
            start.wait(timeout=30)
            for ticket in batch:
                actions.assign_on_arrival(ticket)
        except BaseException as exc:  # reported by the test below, not lost in the thread
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=arrive, args=(tickets[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert not errors
    counts = Counter(
        Ticket.objects.filter(pk__in=[t.pk for t in tickets]).values_list("assignee_id", flat=True)
    )
    # Each turn taken once: with every arrival locking the queue's cursor, 24 tickets over 4 agents is 6 each.
    assert counts == {a.pk: 6 for a in agents}
