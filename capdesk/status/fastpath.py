"""A WSGI layer in front of Django that answers the public status documents from the published files.

Django costs milliseconds per request even when the body is cached (middleware, URL
resolving, a query for the page version); the published snapshot (publish.py) costs a
dictionary lookup. This layer serves GET and HEAD of the published paths from memory,
with the headers the views send, while the snapshot is current, and hands everything
else to Django: other paths and methods, ``?lang=`` (the view sets a cookie), and any
moment when the folder has fallen behind the database for more than STALE_GRACE_SECONDS.

"Current" is checked against the database at most every VERSION_CHECK_SECONDS (one
small query per process, not per request). A version change is published by the worker
within about a second; meanwhile the previous copy is still served, as a CDN would, which
the documents' ``max-age=10`` already allows every cache on the way.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from django.db import connection

from capdesk.status import publish, server
from capdesk.status.models import PageState

VERSION_CHECK_SECONDS = 0.5
STALE_GRACE_SECONDS = 5.0

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class Freshness:
    """Whether the published version may be served: the database's version, polled, not per request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._checked = -1e9
        self._database: tuple[int, str] | None = None
        self._behind_since: float | None = None
        self._behind_copy: tuple[int, str] | None = None  # the published version the clock above is for

    def _poll(self) -> None:
        try:
            row = PageState.objects.filter(pk=1).values_list("version", "updated_at").first()
            self._database = (row[0], row[1].isoformat()) if row else None
        finally:
            if not connection.in_atomic_block:  # this thread is outside Django's request cycle
                connection.close_if_unusable_or_obsolete()

    def current(self, published: tuple[int, str] | None) -> bool:
        now = time.monotonic()
        if now - self._checked >= VERSION_CHECK_SECONDS and self._lock.acquire(blocking=False):
            try:
                self._checked = now
                self._poll()
            finally:
                self._lock.release()
        if published is None or self._database is None:
            return False
        if published == self._database:
            self._behind_since = None
            return True
        # Under one update a second the folder is always about a version behind; what matters
        # is how long this copy has been outdated, so a newer publish restarts the clock.
        if self._behind_since is None or self._behind_copy != published:
            self._behind_since, self._behind_copy = now, published
        return now - self._behind_since < STALE_GRACE_SECONDS


class StatusFastPath:
    """Wraps the desk's WSGI application; see the module docstring."""

    def __init__(self, app: WsgiApp, directory: Path | None = None) -> None:
        self.app = app
        self.directory = directory
        self._snapshot: server.Snapshot | None = None
        self._lock = threading.Lock()
        self.freshness = Freshness()

    def _site(self) -> server.Site:
        with self._lock:  # one thread reloads; the others wait the millisecond it takes
            if self._snapshot is None:
                self._snapshot = server.Snapshot(self.directory or publish.publish_dir())
            self._snapshot.refresh()
            return self._snapshot.site

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "")
        if path not in server.KNOWN_PATHS or method not in ("GET", "HEAD"):
            return self.app(environ, start_response)
        if "lang=" in environ.get("QUERY_STRING", ""):
            return self.app(environ, start_response)
        site = self._site()
        published = (site.version, site.updated_at) if site.version is not None else None
        languages = site.documents.get(path)
        if languages is None or not self.freshness.current(published):
            return self.app(environ, start_response)
        choice = server.choose(
            languages, "", environ.get("HTTP_COOKIE", ""), environ.get("HTTP_ACCEPT_LANGUAGE", "")
        )
        if choice is None:
            return self.app(environ, start_response)
        entry = choice.entry
        if server.etag_matches(environ.get("HTTP_IF_NONE_MATCH", ""), entry.etag):
            start_response(
                "304 Not Modified", [(k, v) for k, v in entry.headers if k.lower() != "content-type"]
            )
            return [b""]
        start_response("200 OK", [*entry.headers, ("Content-Length", str(len(entry.body)))])
        return [b"" if method == "HEAD" else entry.body]
