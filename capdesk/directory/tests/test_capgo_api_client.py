"""The Capgo API client's waiting and paging, over real HTTP on 127.0.0.1 (no database)."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from capdesk.directory.sync.api_client import CapgoApiError, CapgoClient
from capdesk.directory.tests.fake_capgo_api import API_KEY, FakeCapgo, serving

RATE_LIMITED = {"error": "too_many_requests", "status": "KO"}


@pytest.fixture
def api() -> Iterator[FakeCapgo]:
    with serving(FakeCapgo()) as running:
        yield running


def client(api: FakeCapgo, waits: list[float], *, max_wait: float = 60, max_retries: int = 5) -> CapgoClient:
    """A client that records how long it would wait instead of waiting."""
    return CapgoClient(api.url, API_KEY, sleep=waits.append, max_wait=max_wait, max_retries=max_retries)


def test_it_waits_as_long_as_retry_after_says(api: FakeCapgo) -> None:
    api.scripted["/organization"] = [(429, {"Retry-After": "7"}, RATE_LIMITED)]
    waits: list[float] = []
    assert client(api, waits).get("/organization") == []
    assert waits == [7]


def test_it_reads_retry_after_given_as_a_date(api: FakeCapgo) -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    api.scripted["/organization"] = [(429, {"Retry-After": later}, RATE_LIMITED)]
    waits: list[float] = []
    client(api, waits).get("/organization")
    assert len(waits) == 1 and 25 <= waits[0] <= 30


def test_it_backs_off_exponentially_without_retry_after_and_never_beyond_the_cap(api: FakeCapgo) -> None:
    api.scripted["/organization"] = [(429, {}, RATE_LIMITED)] * 4
    waits: list[float] = []
    client(api, waits, max_wait=5).get("/organization")
    assert waits == [1, 2, 4, 5]


def test_it_caps_a_long_retry_after(api: FakeCapgo) -> None:
    api.scripted["/organization"] = [(429, {"Retry-After": "3600"}, RATE_LIMITED)]
    waits: list[float] = []
    client(api, waits, max_wait=60).get("/organization")
    assert waits == [60]


def test_it_gives_up_after_its_retries(api: FakeCapgo) -> None:
    api.scripted["/organization"] = [(429, {"Retry-After": "1"}, RATE_LIMITED)] * 10
    waits: list[float] = []
    with pytest.raises(CapgoApiError, match="still rate limited after 3 retries"):
        client(api, waits, max_retries=3).get("/organization")
    assert waits == [1, 1, 1]
    assert len(api.requests) == 4


def test_it_sends_the_api_key_header(api: FakeCapgo) -> None:
    with pytest.raises(CapgoApiError, match="HTTP 401: invalid_apikey"):
        CapgoClient(api.url, "wrong-key").get("/organization")


def test_it_pages_from_zero_until_an_empty_page(api: FakeCapgo) -> None:
    api.organizations = [{"id": str(n)} for n in range(5)]
    items = CapgoClient(api.url, API_KEY).get_all("/organization")
    assert [item["id"] for item in items] == ["0", "1", "2", "3", "4"]
    assert api.requests == [f"/organization?page={n}" for n in range(4)]


def test_it_stops_paging_an_endpoint_that_ignores_the_page(api: FakeCapgo) -> None:
    api.members = {"org": [{"uid": "a"}, {"uid": "b"}, {"uid": "c"}]}
    items = CapgoClient(api.url, API_KEY).get_all("/organization/members", {"orgId": "org"})
    assert [item["uid"] for item in items] == ["a", "b", "c"]
    assert len(api.requests) == 2


def test_it_gives_up_on_endless_pages(api: FakeCapgo) -> None:
    api.organizations = [{"id": str(n)} for n in range(50)]
    with pytest.raises(CapgoApiError, match="more than 3 pages"):
        CapgoClient(api.url, API_KEY, max_pages=3).get_all("/organization")


def test_it_refuses_to_start_without_a_key() -> None:
    with pytest.raises(CapgoApiError, match="CAPGO_API_KEY"):
        CapgoClient("http://127.0.0.1:9", "")
