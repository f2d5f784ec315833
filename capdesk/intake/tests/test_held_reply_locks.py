"""The customer's link and an agent settling the same held reply at once, on PostgreSQL.

``confirm_sender`` locks the link's confirmation row, then the held message. An agent's
publish or discard takes the same two locks in the same order: the other order deadlocks,
and PostgreSQL then aborts one of the two. SQLite has one writer, so it never had the race.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections
from django.db.models import QuerySet

from capdesk.intake import confirmation
from capdesk.intake.models import SenderConfirmation
from capdesk.intake.tests.test_held_replies import confirmation_link, deliver, reply
from capdesk.tickets.models import Message

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite runs one write transaction at a time: no lock order"
)


@pytest.mark.parametrize("action", ["publish", "discard"])
def test_the_link_and_an_agent_settling_one_reply_at_once_do_not_deadlock(
    transactional_db: None, cast, stub, ticket, monkeypatch: pytest.MonkeyPatch, action: str
) -> None:
    deliver(reply(ticket))
    message = ticket.messages.get(held=True)
    token = confirmation_link(ticket).rstrip("/").rsplit("/", 1)[1]
    link_locked, agent_started = threading.Event(), threading.Event()
    real_held_reply = confirmation._held_reply

    def held_reply_after_the_agent_started(found: SenderConfirmation) -> QuerySet[Message]:
        # The customer's transaction holds the confirmation row; the agent's starts now.
        link_locked.set()
        agent_started.wait(10)
        time.sleep(0.5)  # long enough for the agent to take what it can before waiting
        return real_held_reply(found)

    monkeypatch.setattr(confirmation, "_held_reply", held_reply_after_the_agent_started)
    errors: list[BaseException] = []
    settled: list[object] = []

    def customer() -> None:
        try:
            confirmation.confirm_sender(token)
        except BaseException as exc:  # reported below, with the agent's
            errors.append(exc)
        finally:
            connections.close_all()

    def agent() -> None:
        try:
            assert link_locked.wait(10)
            agent_started.set()
            settle = (
                confirmation.release_held_reply if action == "publish" else confirmation.discard_held_reply
            )
            settled.append(settle(ticket, message.pk, agent=cast.agent, reason="confirmed by phone"))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=customer), threading.Thread(target=agent)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    # The link came first: the reply is the customer's, and the agent found it no longer held.
    assert settled in ([None], [False])
    published = Message.objects.get(pk=message.pk)
    assert published.public and not published.held
    assert ticket.events.filter(kind="sender.confirmed").count() == 1
