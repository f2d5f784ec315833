"""`capdesk status-serve` on a real socket: what it answers, with which headers, and who it drops."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from capdesk.status import actions, publish, server
from capdesk.status.models import Component, Incident

pytestmark = pytest.mark.usefixtures("frozen")


class Running:
    """status-serve's server on 127.0.0.1 and an ephemeral port, in a thread with its own event loop."""

    def __init__(self, directory: Path) -> None:
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        self.port = 0

        async def main() -> None:
            srv = await server.start("127.0.0.1", 0, directory)
            self.port = srv.sockets[0].getsockname()[1]
            ready.set()
            async with srv:
                await srv.serve_forever()

        self.task: asyncio.Future[None] | None = None

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            self.task = asyncio.ensure_future(main())
            with contextlib.suppress(asyncio.CancelledError):
                self.loop.run_until_complete(self.task)

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        assert ready.wait(10)

    def stop(self) -> None:
        assert self.task is not None
        self.loop.call_soon_threadsafe(self.task.cancel)
        self.thread.join(10)
        self.loop.close()

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)

    def get(
        self, path: str, method: str = "GET", headers: dict[str, str] | None = None
    ) -> tuple[http.client.HTTPResponse, bytes]:
        conn = self.connect()
        try:
            conn.request(method, path, headers=headers or {})
            response = conn.getresponse()
            return response, response.read()
        finally:
            conn.close()


@pytest.fixture
def published(api: Component) -> Path:
    actions.open_incident(
        name="Bundle downloads slow", body="Investigating.", components={api: "degraded_performance"}
    )
    publish.publish()
    return Path(settings.CAPDESK_STATUS_PUBLISH_DIR)


@pytest.fixture
def serve(published: Path) -> Iterator[Running]:
    running = Running(published)
    yield running
    running.stop()


def test_it_serves_the_published_bytes_with_the_views_headers(serve: Running, client: Client) -> None:
    response, body = serve.get("/api/v2/summary.json")
    dynamic = client.get("/api/v2/summary.json")
    assert response.status == 200
    assert body == dynamic.content
    for header in ("Content-Type", "ETag", "Cache-Control", "Access-Control-Allow-Origin"):
        assert response.getheader(header) == dynamic[header], header
    assert "stale-while-revalidate" in response.getheader("Cache-Control", "")
    assert response.getheader("Content-Length") == str(len(body))

    page, html = serve.get("/status/")
    assert html == client.get("/status/").content
    assert page.getheader("Content-Security-Policy", "").startswith("default-src 'self'")
    assert page.getheader("X-Frame-Options") == "DENY"
    assert page.getheader("X-Content-Type-Options") == "nosniff"
    assert page.getheader("Content-Type") == "text/html; charset=utf-8"


# What each kind of file the pages link must be sent as: a browser refuses a stylesheet sent
# as text/plain (the page then shows unstyled), and nosniff forbids it to guess.
EXPECTED_TYPES = {
    ".css": "text/css",
    ".js": "text/javascript",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/vnd.microsoft.icon",
    ".woff2": "font/woff2",
}
LINKED = re.compile(r'<(?:link|script|img)\b[^>]*?\b(?:href|src)="([^"]+)"[^>]*>')


@pytest.mark.parametrize("language", ["en", "id"])
def test_it_serves_every_file_the_page_links_with_its_type(
    serve: Running, client: Client, language: str
) -> None:
    page, html = serve.get("/status/", headers={"Accept-Language": language})
    assert page.status == 200
    tags = [m.group(0) for m in LINKED.finditer(html.decode())]
    linked = [m.group(1) for m in LINKED.finditer(html.decode()) if 'rel="alternate"' not in m.group(0)]
    assert any('rel="stylesheet"' in tag for tag in tags)
    assert "/static/capdesk/capdesk.css" in linked and "/static/status/status.css" in linked
    for url in linked:
        response, body = serve.get(url)
        assert response.status == 200, url
        media_type = response.getheader("Content-Type", "").split(";")[0]
        assert media_type == EXPECTED_TYPES[Path(url).suffix], url
        assert body == client.get(url).getvalue(), url  # what the desk's port serves
        assert response.getheader("Cache-Control") == "public, max-age=60"
        assert response.getheader("X-Content-Type-Options") == "nosniff"
        again, _ = serve.get(url, headers={"If-None-Match": response.getheader("ETag", "")})
        assert again.status == 304
    for url in re.findall(r'<link rel="alternate"[^>]*href="([^"]+)"', html.decode()):
        assert serve.get(url)[0].status == 200, url


@pytest.mark.parametrize(
    "path",
    [
        "/static/../manifest.json",
        "/static/%2e%2e/manifest.json",
        "/static/capdesk/../capdesk/capdesk.css",
        "/manifest.json",
        "/.publish.lock",
        "/static/",
        "/static/capdesk/",
    ],
)
def test_it_answers_only_published_paths_and_never_a_file_by_its_name(serve: Running, path: str) -> None:
    assert serve.get("/static/capdesk/capdesk.css")[0].status == 200
    response, _ = serve.get(path)
    assert response.status == 404


def test_it_serves_nothing_outside_its_folder_even_if_the_manifest_says_so(
    published: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (tmp_path / "secret.txt").write_bytes(b"not for the web")
    raw = json.loads((published / publish.MANIFEST).read_text())
    raw["documents"] = [
        {**doc, "file": "../secret.txt", "path": "/secret", "etag": publish.etag_of(b"not for the web")}
        if doc["path"] == "/status.json"
        else doc
        for doc in raw["documents"]
    ]
    for doc in raw["documents"]:
        if not doc["file"].startswith(".."):
            target = site / doc["file"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes((published / doc["file"]).read_bytes())
    (site / publish.MANIFEST).write_text(json.dumps(raw))
    loaded = server.load_site(site)
    assert loaded is not None
    assert "/secret" not in loaded.documents
    assert "/status/" in loaded.documents and "/static/status/status.css" in loaded.documents


def test_it_sends_the_pages_only_the_desk_has_to_the_desk(serve: Running, client: Client, settings) -> None:
    settings.BASE_URL = "http://desk.example:8300"
    _, html = serve.get("/status/")
    incident = Incident.objects.get()
    link = f"/status/incidents/{incident.public_id}"
    assert f'href="{link}"'.encode() in html and b'href="/status/subscribe/"' in html
    for path in (link, "/status/subscribe/", "/status/subscribe/sent/", "/status/unsubscribe/abc/?x=1"):
        response, body = serve.get(path)
        assert (response.status, body) == (307, b""), path
        assert response.getheader("Location") == f"http://desk.example:8300{path}"
    assert client.get(link).status_code == 200  # and the desk answers it
    assert serve.get("/status/nothing-here")[0].status == 404
    # Behind a proxy that gives status-serve the desk's own host, a redirect would loop.
    assert serve.get(link, headers={"Host": "desk.example:8300"})[0].status == 404


def test_it_answers_head_with_the_headers_and_no_body(serve: Running) -> None:
    response, body = serve.get("/status.json", method="HEAD")
    assert response.status == 200
    assert body == b""
    assert int(response.getheader("Content-Length", "0")) > 0


def test_it_answers_304_when_the_etag_matches(serve: Running) -> None:
    first, _ = serve.get("/api/v2/status.json")
    etag = first.getheader("ETag", "")
    again, body = serve.get("/api/v2/status.json", headers={"If-None-Match": f'W/{etag}, "other"'})
    assert again.status == 304
    assert body == b""
    assert again.getheader("ETag") == etag
    assert again.getheader("Access-Control-Allow-Origin") == "*"


def test_it_answers_404_and_405(serve: Running) -> None:
    missing, _ = serve.get("/api/v2/nothing.json")
    assert missing.status == 404
    posted, _ = serve.get("/api/v2/summary.json", method="POST")
    assert posted.status == 405
    assert posted.getheader("Allow") == "GET, HEAD"


def test_it_picks_the_language_as_the_dynamic_page_does(serve: Running, client: Client) -> None:
    _, by_header = serve.get("/status/", headers={"Accept-Language": "id-ID,id;q=0.9,en;q=0.5"})
    assert by_header == client.get("/status/", headers={"accept-language": "id"}).content
    assert b'<html lang="id"' in by_header
    _, by_cookie = serve.get(
        "/status/", headers={"Cookie": f"{settings.LANGUAGE_COOKIE_NAME}=id", "Accept-Language": "en"}
    )
    assert b'<html lang="id"' in by_cookie
    chosen, by_query = serve.get("/status/?lang=id", headers={"Accept-Language": "en"})
    assert b'<html lang="id"' in by_query
    assert chosen.getheader("Set-Cookie", "").startswith(f"{settings.LANGUAGE_COOKIE_NAME}=id;")
    assert chosen.getheader("Cache-Control") == "private, max-age=0"
    _, default = serve.get("/status/", headers={"Accept-Language": "fr"})
    assert b'<html lang="en"' in default


def test_it_reloads_after_a_republish(serve: Running, published: Path) -> None:
    before, body = serve.get("/api/v2/incidents/unresolved.json")
    actions.resolve_incident(Incident.objects.get(), body="Fixed.")
    publish.publish()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        after, new_body = serve.get("/api/v2/incidents/unresolved.json")
        if after.getheader("ETag") != before.getheader("ETag"):
            break
        time.sleep(0.1)
    assert new_body != body
    assert b"Bundle downloads slow" not in new_body


def test_it_keeps_the_connection_alive_for_a_second_request(serve: Running) -> None:
    conn = serve.connect()
    try:
        conn.request("GET", "/status.json")
        first = conn.getresponse()
        first.read()
        sock = conn.sock
        conn.request("GET", "/api/v2/status.json")
        second = conn.getresponse()
        assert second.read().startswith(b'{"page"')
        assert conn.sock is sock  # the same socket: http.client reconnects only after a close
        assert (first.status, second.status) == (200, 200)
    finally:
        conn.close()


def test_it_drops_a_slow_client_without_making_others_wait(
    serve: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server, "HEAD_TIMEOUT", 0.5)
    slow = socket.create_connection(("127.0.0.1", serve.port), timeout=5)
    try:
        slow.sendall(b"GET /status/ HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
        started = time.monotonic()
        response, _ = serve.get("/status.json")
        assert response.status == 200
        assert time.monotonic() - started < 2
        assert slow.recv(1024) == b""  # closed by the server once its head timed out
        assert time.monotonic() - started < 4
    finally:
        slow.close()


def test_it_refuses_a_request_head_larger_than_its_limit(serve: Running) -> None:
    _, _ = serve.get("/status.json")
    response, _ = serve.get("/status.json", headers={"X-Padding": "a" * (server.MAX_HEAD_BYTES + 10)})
    assert response.status == 431


def test_it_serves_from_two_processes_on_one_port_and_stops_on_sigterm(published: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "capdesk.settings"}
    command = [sys.executable, "-m", "capdesk.cli", "status-serve", f"--bind=127.0.0.1:{port}"]
    serving = subprocess.Popen(  # noqa: S603 (our own interpreter and command)
        [*command, "--processes=2", f"--dir={published}"], env=env, stdout=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60  # Django's start-up on a loaded machine
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        statuses = set()
        for _ in range(20):  # separate connections: the kernel spreads them over both processes
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/v2/summary.json")
            statuses.add(conn.getresponse().status)
            conn.close()
        assert statuses == {200}
        assert len(_children(serving.pid)) == 2
    finally:
        serving.send_signal(signal.SIGTERM)
        assert serving.wait(timeout=20) == 0


def _children(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()


ONE_CLICK = b"List-Unsubscribe=One-Click"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _raw(port: int, data: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(data)
    return sock


def test_it_redirects_a_form_posted_to_a_desk_page_and_reads_past_its_body(serve: Running, settings) -> None:
    settings.BASE_URL = "http://desk.example:8300"
    conn = serve.connect()
    try:
        conn.request("POST", "/status/unsubscribe/abc/", body=ONE_CLICK, headers=FORM)
        posted = conn.getresponse()
        assert (posted.status, posted.read()) == (307, b"")
        assert posted.getheader("Location") == "http://desk.example:8300/status/unsubscribe/abc/"
        sock = conn.sock
        # The body was read, not taken for the next request's head: the connection goes on.
        conn.request("GET", "/status.json")
        after = conn.getresponse()
        assert (after.status, conn.sock) == (200, sock)
        assert after.read().startswith(b"{")
        conn.request("POST", "/status/subscribe/")  # a form without a body is sent on too
        empty = conn.getresponse()
        assert (empty.status, empty.read()) == (307, b"")
    finally:
        conn.close()


def test_it_answers_100_continue_before_a_desk_forms_body(serve: Running, settings) -> None:
    settings.BASE_URL = "http://desk.example:8300"
    head = (
        b"POST /status/unsubscribe/abc/ HTTP/1.1\r\nHost: status.example\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: %d\r\nExpect: 100-continue\r\n\r\n" % len(ONE_CLICK)
    )
    with contextlib.closing(_raw(serve.port, head)) as sock:
        assert sock.recv(1024) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(ONE_CLICK)
        assert sock.recv(4096).startswith(b"HTTP/1.1 307 Temporary Redirect\r\n")


def test_it_still_refuses_bodies_it_has_no_use_for(serve: Running, settings) -> None:
    settings.BASE_URL = "http://desk.example:8300"
    path = "/status/unsubscribe/abc/"
    too_big = {**FORM, "Content-Length": str(server.MAX_FORM_BYTES + 1)}
    cases = [
        ("/api/v2/summary.json", {**FORM, "Content-Length": "3"}, 413),  # not a desk page: as before
        (path, too_big, 413),
        (path, {**FORM, "Transfer-Encoding": "chunked"}, 413),
        (path, {**FORM, "Content-Length": "2a"}, 400),
        (path, {**FORM, "Content-Length": "+3"}, 400),
    ]
    for target, headers, status in cases:
        lines = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        with contextlib.closing(
            _raw(serve.port, f"POST {target} HTTP/1.1\r\nHost: x\r\n{lines}\r\n".encode())
        ) as s:
            assert s.recv(4096).startswith(f"HTTP/1.1 {status} ".encode()), (target, headers)
            assert s.recv(4096) == b"", (target, headers)  # and closed: what follows is not a request
    # Two different lengths: which one is meant cannot be known (RFC 9112, 6.3).
    two = b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 26\r\n\r\n" % path.encode()
    with contextlib.closing(_raw(serve.port, two)) as sock:
        assert sock.recv(4096).startswith(b"HTTP/1.1 400 ")


def test_it_drops_a_client_that_does_not_send_the_body_it_announced(
    serve: Running, settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.BASE_URL = "http://desk.example:8300"
    monkeypatch.setattr(server, "HEAD_TIMEOUT", 0.5)
    head = b"POST /status/unsubscribe/abc/ HTTP/1.1\r\nHost: x\r\nContent-Length: 26\r\n\r\nList-"
    started = time.monotonic()
    with contextlib.closing(_raw(serve.port, head)) as sock:
        assert sock.recv(1024) == b""
    assert time.monotonic() - started < 4
