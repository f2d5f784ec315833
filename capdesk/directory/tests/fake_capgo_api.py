"""A stand-in for Capgo's public API on 127.0.0.1, following the contract CAPGO.md records.

Capgo's API cannot run here, so this serves its three endpoints with its response
shapes: ``{"status": "ok", "data": [...]}`` (or a bare list), ``{"error": ...,
"status": "KO"}``, HTTP 429 with ``Retry-After``, and 0-based ``page`` paging.
Members are not paged, as in Capgo: every page repeats the whole list.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlparse

from capdesk.testing.loopback import QuietHandler
from capdesk.testing.loopback import serving as serve_http

API_KEY = "capgo-test-key"


@dataclass
class FakeCapgo:
    """The data the fake API serves, and what it was asked."""

    organizations: list[dict[str, Any]] = field(default_factory=list)
    members: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    apps: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    page_size: int = 2
    bare_lists: bool = False
    # path -> answers to give before the real one: (status, headers, body)
    scripted: dict[str, list[tuple[int, dict[str, str], Any]]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    url: str = ""

    def answer(
        self, path: str, query: dict[str, str], api_key: str | None
    ) -> tuple[int, dict[str, str], Any]:
        if api_key != API_KEY:
            return 401, {}, {"error": "invalid_apikey", "status": "KO"}
        if self.scripted.get(path):
            return self.scripted[path].pop(0)
        page = int(query.get("page", "0"))
        if path == "/organization":
            return self._page(self.organizations, page)
        if path == "/organization/members":
            return self._ok(self.members.get(query.get("orgId", ""), []))
        if path == "/app":
            return self._page(self.apps.get(query.get("org_id", ""), []), page)
        return 404, {}, {"error": "not_found", "status": "KO"}

    def _page(self, items: list[dict[str, Any]], page: int) -> tuple[int, dict[str, str], Any]:
        return self._ok(items[page * self.page_size : (page + 1) * self.page_size])

    def _ok(self, data: list[dict[str, Any]]) -> tuple[int, dict[str, str], Any]:
        return 200, {}, data if self.bare_lists else {"status": "ok", "data": data}


def _handler(api: FakeCapgo) -> type[BaseHTTPRequestHandler]:
    class Handler(QuietHandler):
        def do_GET(self) -> None:
            parsed = urlparse(self.path)
            api.requests.append(self.path)
            query = {key: values[0] for key, values in parse_qs(parsed.query).items()}
            status, headers, body = api.answer(parsed.path, query, self.headers.get("x-api-key"))
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

    return Handler


@contextmanager
def serving(api: FakeCapgo) -> Iterator[FakeCapgo]:
    """Serve ``api`` on a random port of 127.0.0.1 until the block ends."""
    with serve_http(_handler(api)) as base_url:
        api.url = base_url
        yield api
