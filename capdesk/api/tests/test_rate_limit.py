import threading
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection

from capdesk.api import ratelimit
from capdesk.api.actions import create_token
from capdesk.api.models import RateCounter
from capdesk.api.tests.conftest import assert_error

NOON = datetime(2026, 3, 2, 12, 0, 10, tzinfo=UTC)


def test_it_answers_429_with_retry_after_past_the_tokens_limit_and_lets_it_through_next_minute(cast, api):
    token = create_token(name="ci", scope="agent", user=cast.agent, rate_limit_per_minute=3).plaintext
    with time_machine.travel(NOON, tick=False):
        assert [api.get("/me", token).status_code for _ in range(3)] == [200, 200, 200]
        refused = api.get("/me", token)
        error = assert_error(refused, 429, "rate_limited")
        assert refused["Retry-After"] == "50"
        assert error["details"] == {"limit_per_minute": 3, "retry_after": 50}
    with time_machine.travel(datetime(2026, 3, 2, 12, 1, 0, tzinfo=UTC), tick=False):
        assert api.get("/me", token).status_code == 200


def test_each_token_is_counted_on_its_own(cast, api):
    busy = create_token(name="busy", scope="agent", user=cast.agent, rate_limit_per_minute=1).plaintext
    calm = create_token(name="calm", scope="agent", user=cast.agent, rate_limit_per_minute=1).plaintext
    with time_machine.travel(NOON, tick=False):
        api.get("/me", busy)
        assert api.get("/me", busy).status_code == 429
        assert api.get("/me", calm).status_code == 200


def test_the_default_limit_comes_from_settings(cast, api, settings):
    settings.CAPDESK_API_RATE_LIMIT_PER_MINUTE = 2
    token = create_token(name="ci", scope="agent", user=cast.agent).plaintext
    with time_machine.travel(NOON, tick=False):
        assert [api.get("/me", token).status_code for _ in range(3)] == [200, 200, 429]


def test_a_new_window_clears_the_keys_finished_windows(db):
    with time_machine.travel(NOON, tick=False):
        ratelimit.hit("k", limit=5, window_seconds=60)
    with time_machine.travel(datetime(2026, 3, 2, 12, 5, tzinfo=UTC), tick=False):
        ratelimit.hit("k", limit=5, window_seconds=60)
    assert RateCounter.objects.filter(key="k").count() == 1


@pytest.mark.django_db(transaction=True)
def test_counts_from_many_connections_at_once_add_up_exactly():
    """The count lives in the database: concurrent requests (threads here, processes in production) never lose one.

    Django's SQLite test database is in memory with a shared cache, which locks whole
    tables and ignores the busy timeout; a file database in WAL mode (the embedded desk)
    queues writers instead. So this runs against PostgreSQL (CI's second run).
    """
    if connection.vendor == "sqlite":
        pytest.skip("in-memory shared-cache SQLite cannot run concurrent writers; runs on PostgreSQL")

    def hammer() -> None:
        try:
            for _ in range(5):
                ratelimit.hit("shared", limit=1000, window_seconds=3600)
        finally:
            connection.close()

    threads = [threading.Thread(target=hammer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(RateCounter.objects.filter(key="shared").values_list("count", flat=True)) == 30
