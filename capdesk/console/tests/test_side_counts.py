from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from capdesk.console import side_counts
from capdesk.console.models import OpenCounts
from capdesk.core.schedule import jobs
from capdesk.testing.requests import open_for
from capdesk.tickets.models import Ticket


@pytest.fixture(autouse=True)
def _no_cached_counts():
    cache.delete(side_counts.KEY)
    yield
    cache.delete(side_counts.KEY)


def _accepted(cast, n: int) -> None:
    for i in range(n):
        ticket = open_for(cast.developer, f"Accepted {i}", email="dewi@acme.test", project=cast.project)
        Ticket.objects.filter(pk=ticket.pk).update(outcome="accept")


def _shown(client) -> str:
    page: str = client.get("/console/").content.decode()
    return page.split('href="?outcome=accept">accept</a> <span class="muted">')[1].split("<")[0]


def test_the_list_shows_the_schedulers_counts_without_counting_itself(client, cast):
    _accepted(cast, 1)
    side_counts.refresh()
    _accepted(cast, 2)
    client.force_login(cast.agent)
    client.get("/console/")
    with CaptureQueriesContext(connection) as captured:
        assert _shown(client) == "1"
    assert not [q["sql"] for q in captured if "GROUP BY" in q["sql"]]
    snapshot = OpenCounts.objects.get()
    assert snapshot.by_organization[0]["organization__name"] == cast.org.name


def test_a_snapshot_the_scheduler_stopped_refreshing_gives_way_to_the_pages_own_count(client, cast):
    _accepted(cast, 1)
    side_counts.refresh()
    _accepted(cast, 2)
    client.force_login(cast.agent)
    with time_machine.travel(timezone.now() + side_counts.STALE_AFTER + timedelta(seconds=1)):
        assert _shown(client) == "3"


def test_the_next_count_replaces_the_snapshot(cast):
    _accepted(cast, 1)
    side_counts.refresh()
    _accepted(cast, 1)
    assert side_counts.refresh() >= 2
    assert OpenCounts.objects.get().by_outcome == [{"outcome": "accept", "n": 2}]


def test_the_scheduler_runs_the_count():
    assert "console.count_open_tickets" in {job.name for job in jobs()}
