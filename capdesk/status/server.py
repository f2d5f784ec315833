"""`capdesk status-serve`: the published status documents served from memory by a small HTTP/1.1 server.

Why not waitress: measured on this machine (BENCHMARKS.md, "Status page against nginx"),
waitress returning fixed bytes peaks at about a tenth of nginx, while an asyncio
``Protocol`` that answers from memory reaches nginx's order of magnitude. The server does
nothing per request but parse the request head and write prepared bytes; the documents
are rendered by the desk on change (capdesk/status/publish.py) and reloaded here when
``manifest.json`` changes, which is checked with one ``stat`` every RELOAD_SECONDS.

GET and HEAD only, 304 on If-None-Match, the headers the dynamic views send (kept in the
manifest, as are the stylesheets' types and cache headers), the page's language chosen
as Django's LocaleMiddleware would (``?lang=``, the language cookie, Accept-Language).
Only the manifest's paths are answered, from memory: a request never names a file; the
pages only the desk can answer (an incident's page, the subscription forms) are
redirected to it at ``BASE_URL``.
Request heads are bounded, bodies refused, and a client that does not finish its request
head in time is disconnected. The one exception: a small form posted to a desk page (a
browser that submits the subscription or unsubscribe form here) is read to its end,
dropped, and answered with the same 307, so the connection stays in step and the browser
posts the form again to the desk.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from functools import lru_cache
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from types import SimpleNamespace
from typing import cast
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation

from capdesk.status import publish

logger = logging.getLogger(__name__)

RELOAD_SECONDS = 0.25  # how stale a reload may be; one stat() per tick, never one per request
MAX_HEAD_BYTES = 8192  # request line and headers; larger heads are refused (431)
HEAD_TIMEOUT = 10.0  # seconds to send a whole request head (and a desk form's body): slow clients are dropped
IDLE_TIMEOUT = 30.0  # seconds a keep-alive connection may wait between requests
MAX_CONNECTIONS = 4096
MAX_FORM_BYTES = 64 * 1024  # a desk form's body read and dropped here; the subscription form is < 2 KiB
LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600  # as capdesk/status/views.py sets it
CRLF = b"\r\n"


@dataclass(frozen=True)
class Entry:
    """One document in one language, with its response heads prepared."""

    body: bytes
    etag: str
    head_200: bytes  # status line and headers, without Date, Connection and the blank line
    head_304: bytes
    headers: tuple[tuple[str, str], ...]


@dataclass
class Site:
    """The published documents by path and language ("" for documents not translated)."""

    version: int | None = None
    updated_at: str = ""
    documents: dict[str, dict[str, Entry]] = field(default_factory=dict)


def _head(status: str, headers: list[tuple[str, str]]) -> bytes:
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers)]
    return "\r\n".join(lines).encode("latin-1") + CRLF


def make_entry(body: bytes, doc: publish.Document) -> Entry:
    etag = publish.etag_of(body)
    headers = [*doc.headers, ("ETag", etag)]
    head_200 = _head("200 OK", [*headers, ("Content-Length", str(len(body)))])
    # Like Django's HttpResponseNotModified: the same headers without a body or its type.
    head_304 = _head("304 Not Modified", [(k, v) for k, v in headers if k.lower() != "content-type"])
    return Entry(body, etag, head_200, head_304, tuple(headers))


def load_site(directory: Path) -> Site | None:
    """The folder's documents as the manifest lists them; None if a file does not match it yet."""
    manifest = publish.read_manifest(directory)
    if manifest is None:
        return Site()
    site = Site(version=manifest.version, updated_at=manifest.updated_at)
    root = directory.resolve()
    for doc in manifest.documents:
        target = (directory / doc.file).resolve()
        if not target.is_relative_to(root):
            # Requests are matched to the manifest's paths, never to files; this keeps a
            # manifest from elsewhere (a sync, a hand edit) from pointing outside the folder.
            logger.warning("status-serve: %s points outside %s; not served", doc.path, directory)
            continue
        try:
            body = target.read_bytes()
        except OSError:
            return None
        if publish.etag_of(body) != doc.etag:
            return None  # a newer publish is writing its files: its manifest follows
        site.documents.setdefault(doc.path, {})[doc.language] = make_entry(body, doc)
    return site


class Snapshot:
    """The current Site, reloaded when the manifest's stat changes (checked at most every RELOAD_SECONDS)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.site = Site()
        self._stamp: tuple[int, int, int] | None = None
        self._checked = 0.0
        self.refresh(force=True)

    def refresh(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._checked < RELOAD_SECONDS:
            return
        self._checked = now
        try:
            st = os.stat(self.directory / publish.MANIFEST)
            stamp: tuple[int, int, int] | None = (st.st_mtime_ns, st.st_ino, st.st_size)
        except OSError:
            stamp = None
        if stamp == self._stamp and not force:
            return
        loaded = load_site(self.directory)
        if loaded is not None:  # else keep serving the old copy and look again next tick
            self.site = loaded
            self._stamp = stamp


@lru_cache(maxsize=512)
def negotiated_language(cookie_value: str | None, accept_language: str) -> str:
    """Django's own choice (cookie, then Accept-Language, then LANGUAGE_CODE), cached per header pair."""
    request = SimpleNamespace(
        COOKIES={settings.LANGUAGE_COOKIE_NAME: cookie_value} if cookie_value is not None else {},
        META={"HTTP_ACCEPT_LANGUAGE": accept_language},
    )
    return translation.get_language_from_request(cast(HttpRequest, request))


def language_cookie(cookie_header: str) -> str | None:
    if settings.LANGUAGE_COOKIE_NAME not in cookie_header:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(cookie_header)
    except CookieError:  # a malformed Cookie header is the client's problem, not a 500
        return None
    morsel = jar.get(settings.LANGUAGE_COOKIE_NAME)
    return morsel.value if morsel else None


def explicit_language(query: str) -> str | None:
    if "lang=" not in query:
        return None
    chosen = parse_qs(query).get("lang", [""])[-1]
    return chosen if chosen in dict(settings.LANGUAGES) else None


def set_language_cookie(language: str) -> str:
    jar: SimpleCookie = SimpleCookie()
    jar[settings.LANGUAGE_COOKIE_NAME] = language
    morsel = jar[settings.LANGUAGE_COOKIE_NAME]
    morsel["max-age"] = LANGUAGE_COOKIE_MAX_AGE
    morsel["expires"] = formatdate(time.time() + LANGUAGE_COOKIE_MAX_AGE, usegmt=True)
    morsel["path"] = "/"
    morsel["samesite"] = "Lax"
    return morsel.OutputString()


def etag_matches(if_none_match: str, etag: str) -> bool:
    """The rule of capdesk/status/views.py: any listed tag (weak or strong) or ``*``."""
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return etag in tags or if_none_match.strip() == "*"


@dataclass(frozen=True)
class Choice:
    entry: Entry
    explicit: str | None  # a language chosen with ?lang=, which the response remembers in a cookie


def choose(
    languages: dict[str, Entry], query: str, cookie_header: str, accept_language: str
) -> Choice | None:
    """Which copy of a document a reader gets; None if it is not published in that language."""
    explicit = explicit_language(query)
    if "" in languages:
        # The same for everyone, unless it is a feed whose URL names a language it is
        # published in (?lang=id): never negotiated, and no cookie (a feed reader keeps none).
        return Choice(languages.get(explicit or "") or languages[""], None)
    language = explicit or negotiated_language(language_cookie(cookie_header), accept_language)
    entry = languages.get(language) or languages.get(settings.LANGUAGE_CODE)
    return Choice(entry, explicit) if entry else None


def explicit_head(choice: Choice, status: str) -> bytes:
    """The head for ``?lang=``: like the view, a private response that sets the language cookie."""
    assert choice.explicit is not None
    headers = [
        (k, v)
        for k, v in choice.entry.headers
        if k.lower() != "cache-control" and not (status.startswith("304") and k.lower() == "content-type")
    ]
    headers += [("Cache-Control", "private, max-age=0"), ("Set-Cookie", set_language_cookie(choice.explicit))]
    if status.startswith("200"):
        headers.append(("Content-Length", str(len(choice.entry.body))))
    return _head(status, headers)


_date_cache: tuple[int, bytes] = (0, b"")


def date_line() -> bytes:
    global _date_cache
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, f"Date: {formatdate(now, usegmt=True)}\r\n".encode())
    return _date_cache[1]


def plain(status: str, text: str, extra: list[tuple[str, str]] | None = None) -> tuple[bytes, bytes]:
    body = (text + "\n").encode()
    headers = [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", str(len(body))),
        ("X-Content-Type-Options", "nosniff"),
        *(extra or []),
    ]
    return _head(status, headers), body


NOT_FOUND = plain("404 Not Found", "Not Found")
NOT_PUBLISHED = plain(
    "503 Service Unavailable", "The status page is not published yet.", [("Retry-After", "5")]
)
KNOWN_PATHS = frozenset((*publish.LOCALISED, *publish.FIXED))
# Pages the page links that are not files: an incident's own page (not published) and the
# subscription forms (they post). Sent to the desk at BASE_URL, so the links work when the
# status host is this server. The mail's one-click unsubscribe link (RFC 8058) names the
# desk itself, never this server: a mail client's POST must be answered, not redirected
# (RFC 8058, 3.1). A browser that posts a form here is redirected with 307, which keeps
# the method and the body.
DESK_PREFIXES = ("/status/incidents/", "/status/subscribe/", "/status/unsubscribe/")
DESK_METHODS = ("GET", "HEAD", "POST")
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


def desk_location(path: str, query: str, host: str) -> str | None:
    """Where the desk answers ``path``, or None: not a desk page, an unsafe target, or the desk is this host."""
    if not path.startswith(DESK_PREFIXES):
        return None
    target = path + ("?" + query if query else "")
    if not (target.isascii() and target.isprintable()) or " " in target:
        return None  # nothing a header line could be split on
    desk = urlsplit(settings.BASE_URL)
    if not desk.scheme or not desk.netloc or desk.netloc.lower() == host.lower():
        return None  # a redirect to the same host would loop
    return f"{desk.scheme}://{desk.netloc}{target}"


def redirect_head(location: str) -> bytes:
    # 307: a form's method is kept; no Cache-Control, so caches keep it no longer than they choose to.
    return _head("307 Temporary Redirect", [("Location", location), ("Content-Length", "0")])


class Request:
    """The parts of a request head this server reads."""

    __slots__ = ("headers", "method", "path", "query", "version")

    def __init__(self, method: str, path: str, query: str, version: str, headers: dict[str, str]) -> None:
        self.method, self.path, self.query, self.version, self.headers = method, path, query, version, headers


def parse_head(head: bytes) -> Request | None:
    try:
        text = head.decode("latin-1")
        request_line, *lines = text.split("\r\n")
        method, target, version = request_line.split(" ")
    except ValueError:
        return None
    if not version.startswith("HTTP/1."):
        return None
    if target.startswith(("http://", "https://")):  # absolute form: keep only the path
        target = "/" + target.split("/", 3)[3] if target.count("/") >= 3 else "/"
    path, _, query = target.partition("?")
    headers: dict[str, str] = {}
    for line in lines:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            return None
        key, value = name.lower(), value.strip()
        if key == "content-length" and headers.get(key, value) != value:
            return None  # two lengths: where the next request starts is unknowable (RFC 9112, 6.3)
        headers[key] = value
    return Request(method, path, query, version, headers)


def body_length(headers: dict[str, str]) -> int | None:
    """The body's length by Content-Length (0 without one); None if it is not a plain decimal number."""
    value = headers.get("content-length") or "0"  # an empty one was taken as none before; still is
    return int(value) if value.isascii() and value.isdigit() else None


class HttpProtocol(asyncio.Protocol):
    """One connection: requests answered in order, kept alive, dropped when slow or idle."""

    connections = 0

    def __init__(self, snapshot: Snapshot, loop: asyncio.AbstractEventLoop) -> None:
        self.snapshot = snapshot
        self.loop = loop
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.closing = False
        self.awaiting: tuple[Request, int] | None = None  # a desk form's head, and its body's length

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        HttpProtocol.connections += 1
        if HttpProtocol.connections > MAX_CONNECTIONS:
            self.transport.abort()
            return
        self._arm(HEAD_TIMEOUT)

    def connection_lost(self, exc: Exception | None) -> None:
        HttpProtocol.connections -= 1
        if self.timer:
            self.timer.cancel()

    def _arm(self, seconds: float) -> None:
        if self.timer:
            self.timer.cancel()
        self.timer = self.loop.call_later(seconds, self._expired)

    def _expired(self) -> None:
        if self.transport:
            self.transport.abort()  # a slow or idle client: no answer is owed

    def pause_writing(self) -> None:
        if self.transport:
            self.transport.pause_reading()  # a client that does not read gets no more work done

    def resume_writing(self) -> None:
        if self.transport and not self.closing:
            self.transport.resume_reading()

    def data_received(self, data: bytes) -> None:
        if self.closing:
            return
        if not self.buffer and self.awaiting is None:
            # A new request starts: its head must arrive within HEAD_TIMEOUT, whatever the idle timer said.
            self._arm(HEAD_TIMEOUT)
        self.buffer = self.buffer + data if self.buffer else data
        while not self.closing:
            if self.awaiting is not None:
                request, length = self.awaiting
                if len(self.buffer) < length:
                    return  # the rest of the body; the request's own timer keeps running
                self.buffer, self.awaiting = self.buffer[length:], None
                self._answer(request)
                continue
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > MAX_HEAD_BYTES:
                    self._error("431 Request Header Fields Too Large", "Request head too large")
                return
            if end > MAX_HEAD_BYTES:
                self._error("431 Request Header Fields Too Large", "Request head too large")
                return
            head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
            self._handle(head)
        if not self.buffer and not self.closing and self.awaiting is None:
            self._arm(IDLE_TIMEOUT)

    def _error(self, status: str, text: str, extra: list[tuple[str, str]] | None = None) -> None:
        head, body = plain(status, text, extra)
        self._send(head, body, keep_alive=False)

    def _send(self, head: bytes, body: bytes, *, keep_alive: bool, http10: bool = False) -> None:
        assert self.transport is not None
        connection = b"Connection: keep-alive\r\n" if (keep_alive and http10) else b""
        if not keep_alive:
            connection = b"Connection: close\r\n"
        self.transport.write(b"".join((head, date_line(), connection, CRLF, body)))
        if not keep_alive:
            self.closing = True
            self.transport.close()

    def _handle(self, raw: bytes) -> None:
        request = parse_head(raw)
        if request is None:
            self._error("400 Bad Request", "Bad request")
            return
        headers = request.headers
        length = body_length(headers)
        if length is None:
            self._error("400 Bad Request", "Bad Content-Length")
            return
        desk_form = request.method == "POST" and request.path.startswith(DESK_PREFIXES)
        if "transfer-encoding" in headers or (length and not (desk_form and length <= MAX_FORM_BYTES)):
            self._error("413 Content Too Large", "This server takes no request bodies")
            return
        if length:
            # Read and drop it before answering: unread, it would be taken for the next request.
            self.awaiting = (request, length)
            if headers.get("expect", "").lower() == "100-continue" and len(self.buffer) < length:
                assert self.transport is not None
                self.transport.write(CONTINUE)
            return
        self._answer(request)

    def _answer(self, request: Request) -> None:
        headers = request.headers
        http10 = request.version == "HTTP/1.0"
        connection = headers.get("connection", "").lower()
        keep_alive = ("keep-alive" in connection) if http10 else ("close" not in connection)
        self.snapshot.refresh()
        site = self.snapshot.site
        languages = site.documents.get(request.path)
        if languages is None and request.method in DESK_METHODS:
            location = desk_location(request.path, request.query, headers.get("host", ""))
            if location is not None:
                self._send(redirect_head(location), b"", keep_alive=keep_alive, http10=http10)
                return
        if request.method not in ("GET", "HEAD"):
            if languages is None and request.path not in KNOWN_PATHS:
                self._send(*NOT_FOUND, keep_alive=keep_alive, http10=http10)
            else:
                self._error("405 Method Not Allowed", "Method not allowed", [("Allow", "GET, HEAD")])
            return
        if languages is None:
            head, body = (
                NOT_PUBLISHED if (request.path in KNOWN_PATHS and site.version is None) else NOT_FOUND
            )
            self._send(head, b"" if request.method == "HEAD" else body, keep_alive=keep_alive, http10=http10)
            return
        choice = choose(
            languages, request.query, headers.get("cookie", ""), headers.get("accept-language", "")
        )
        if choice is None:
            self._send(*NOT_FOUND, keep_alive=keep_alive, http10=http10)
            return
        entry = choice.entry
        if etag_matches(headers.get("if-none-match", ""), entry.etag):
            head = explicit_head(choice, "304 Not Modified") if choice.explicit else entry.head_304
            self._send(head, b"", keep_alive=keep_alive, http10=http10)
            return
        head = explicit_head(choice, "200 OK") if choice.explicit else entry.head_200
        body = b"" if request.method == "HEAD" else entry.body
        self._send(head, body, keep_alive=keep_alive, http10=http10)


def parse_bind(bind: str) -> tuple[str, int]:
    host, sep, port = bind.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"expected HOST:PORT, got {bind!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


async def start(host: str, port: int, directory: Path, *, reuse_port: bool = False) -> asyncio.Server:
    """Listen and serve; the documents are reloaded by requests and by a timer, whichever comes first."""
    loop = asyncio.get_running_loop()
    snapshot = Snapshot(directory)

    def tick() -> None:
        snapshot.refresh()
        loop.call_later(RELOAD_SECONDS, tick)  # so the first request after a quiet spell is already current

    loop.call_later(RELOAD_SECONDS, tick)
    return await loop.create_server(
        lambda: HttpProtocol(snapshot, loop),
        host,
        port,
        backlog=1024,
        reuse_address=True,
        reuse_port=reuse_port,
    )


def _run(
    host: str, port: int, directory: Path, *, reuse_port: bool, ready: Callable[[str], None] | None
) -> None:
    """One serving process, until SIGTERM or SIGINT."""

    async def main() -> None:
        server = await start(host, port, directory, reuse_port=reuse_port)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        sockname = server.sockets[0].getsockname()
        if ready:
            ready(f"{sockname[0]}:{sockname[1]}")
        async with server:
            await stop.wait()
        with contextlib.suppress(Exception):
            server.close()

    try:
        import uvloop  # type: ignore[import-not-found, unused-ignore]  # measured faster here (BENCHMARKS.md)
    except ImportError:
        asyncio.run(main())
    else:
        uvloop.run(main())


def serve_forever(
    bind: str, directory: Path, *, processes: int = 1, ready: Callable[[str], None] | None = None
) -> None:
    """Serve until SIGTERM or SIGINT, in ``processes`` processes sharing the port (SO_REUSEPORT).

    One Python process uses one core; nginx runs a worker per core. The kernel spreads the
    connections over the processes; if one exits the others are stopped too, so the
    supervisor (`capdesk run`) restarts the whole server.
    """
    host, port = parse_bind(bind)
    if processes <= 1:
        _run(host, port, directory, reuse_port=False, ready=ready)
        return
    if port == 0:
        raise ValueError("several processes need a fixed port")
    children: list[int] = []
    for index in range(processes):
        pid = os.fork()
        if pid == 0:  # pragma: no cover (runs in the child; tested through the command)
            code = 0
            try:
                _run(host, port, directory, reuse_port=True, ready=ready if index == 0 else None)
            except BaseException:
                logger.exception("status-serve: a serving process failed")
                code = 1
            os._exit(code)
        children.append(pid)

    def stop_children(signum: int = signal.SIGTERM, frame: object = None) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop_children)
    signal.signal(signal.SIGINT, stop_children)
    _pid, status = os.wait()  # the first child to exit ends them all
    stop_children()
    for child in children:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(child, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(1)
