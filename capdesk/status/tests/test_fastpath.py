"""The WSGI fast path: published bytes for the public documents while current, Django for the rest."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, RequestFactory

from capdesk.status import actions, fastpath, publish, server
from capdesk.status.models import Component, Incident
from capdesk.wsgi import django_application

pytestmark = pytest.mark.usefixtures("frozen")


class Counted:
    """The desk's own WSGI application, counting the requests that reach it."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        self.calls += 1
        return django_application(environ, start_response)


class Answer:
    status = ""
    headers: dict[str, str] = {}


def call(app: fastpath.StatusFastPath, method: str, path: str, **extra: str) -> tuple[Answer, bytes]:
    environ = RequestFactory().generic(method, path, headers=None, **extra).environ  # type: ignore[arg-type]
    answer = Answer()

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> None:
        answer.status, answer.headers = status, dict(headers)

    body = b"".join(app(environ, start_response))
    return answer, body


@pytest.fixture
def desk(transactional_db: None, api: Component) -> tuple[fastpath.StatusFastPath, Counted]:
    # Transactional: the real WSGI handler closes the connection after each request, which
    # PostgreSQL does not forgive inside a test's wrapping transaction.
    actions.open_incident(
        name="Bundle downloads slow", body="Investigating.", components={api: "major_outage"}
    )
    publish.publish()
    inner = Counted()
    return fastpath.StatusFastPath(inner, Path(settings.CAPDESK_STATUS_PUBLISH_DIR)), inner


def test_it_answers_the_public_documents_from_the_snapshot(desk: tuple[Any, Counted], client: Client) -> None:
    app, inner = desk
    answer, body = call(app, "GET", "/api/v2/summary.json")
    dynamic = client.get("/api/v2/summary.json")
    assert answer.status == "200 OK"
    assert body == dynamic.content
    assert answer.headers["ETag"] == dynamic["ETag"]
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    _, page = call(app, "GET", "/status/", HTTP_ACCEPT_LANGUAGE="id")
    assert page == client.get("/status/", headers={"accept-language": "id"}).content
    footer, _ = call(app, "GET", "/status.json")
    not_modified, empty = call(app, "GET", "/status.json", HTTP_IF_NONE_MATCH=footer.headers["ETag"])
    assert (not_modified.status, empty) == ("304 Not Modified", b"")
    head, head_body = call(app, "HEAD", "/status/")
    assert (head.status, head_body) == ("200 OK", b"")
    assert inner.calls == 0


def test_it_hands_everything_else_to_django(desk: tuple[Any, Counted]) -> None:
    app, inner = desk
    call(app, "GET", "/status/?lang=id")
    call(app, "POST", "/api/v2/summary.json")
    subscribe, _ = call(app, "GET", "/status/subscribe/")
    assert subscribe.status == "200 OK"
    assert inner.calls == 3


def test_it_falls_back_to_django_when_the_snapshot_stays_behind(
    desk: tuple[Any, Counted], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, inner = desk
    monkeypatch.setattr(fastpath, "VERSION_CHECK_SECONDS", 0.0)
    monkeypatch.setattr(server, "RELOAD_SECONDS", 0.0)
    actions.resolve_incident(Incident.objects.get(), body="Fixed.")
    _, within_grace = call(app, "GET", "/api/v2/incidents/unresolved.json")
    assert b"Bundle downloads slow" in within_grace  # a second behind is what a CDN serves too
    assert inner.calls == 0
    monkeypatch.setattr(fastpath, "STALE_GRACE_SECONDS", 0.0)
    _, fresh = call(app, "GET", "/api/v2/incidents/unresolved.json")
    assert inner.calls == 1
    assert b"Bundle downloads slow" not in fresh
    publish.publish()
    call(app, "GET", "/api/v2/incidents/unresolved.json")
    assert inner.calls == 1  # published again: back on the snapshot


def test_it_keeps_serving_the_snapshot_while_each_update_is_published_behind_the_next(
    desk: tuple[Any, Counted], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, inner = desk
    monkeypatch.setattr(fastpath, "VERSION_CHECK_SECONDS", 0.0)
    monkeypatch.setattr(server, "RELOAD_SECONDS", 0.0)
    monkeypatch.setattr(fastpath, "STALE_GRACE_SECONDS", 0.5)
    deadline = time.monotonic() + 1.5  # three times the grace, never once at the database's version
    while time.monotonic() < deadline:
        publish.publish()
        actions.touch_page()  # the next update lands before anyone reads this publish
        call(app, "GET", "/api/v2/summary.json")
        time.sleep(0.1)
    assert inner.calls == 0
