"""HTTP(S), TCP and DNS checks on asyncio: thousands at once without a thread each.

Every probe is bounded by its own timeout (``asyncio.wait_for``), so a target that
hangs costs only its own time slot and never delays the others; concurrency is capped
by a semaphore. Nothing here touches the database: ``monitoring.py`` turns outcomes
into rows and incidents. The HTTP client is deliberately tiny (GET, Connection: close,
body capped) because a health check needs a status, a keyword and a latency, no more.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_BODY_BYTES = 1024 * 1024
MAX_HEADER_BYTES = 64 * 1024
USER_AGENT = "Capdesk-Monitor/1"


@dataclass(frozen=True)
class Spec:
    kind: str  # http, tcp, dns
    target: str
    timeout: float
    retries: int = 0
    expected_status: int = 200
    keyword: str = ""
    max_latency_ms: int | None = None


@dataclass(frozen=True)
class Outcome:
    ok: bool
    latency_ms: int
    error: str = ""


class ProbeFailed(Exception):
    """The target answered, but not as expected."""


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while len(body) < MAX_BODY_BYTES:
            size_line = await reader.readline()
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                break
            body += await reader.readexactly(size)
            await reader.readline()
        return body[:MAX_BODY_BYTES]
    if "content-length" in headers:
        return await reader.readexactly(min(int(headers["content-length"]), MAX_BODY_BYTES))
    return await reader.read(MAX_BODY_BYTES)


async def http_get(url: str, *, want_body: bool) -> tuple[int, bytes]:
    """GET ``url`` once; returns the status code and (if wanted) up to 1 MiB of body."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ProbeFailed(f"not an http(s) URL: {url}")
    secure = parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    context = ssl.create_default_context() if secure else None
    reader, writer = await asyncio.open_connection(
        parts.hostname, port, ssl=context, server_hostname=parts.hostname if secure else None
    )
    try:
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        host = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {USER_AGENT}\r\n"
            "Accept: */*\r\nConnection: close\r\n\r\n"
        )
        writer.write(request.encode("ascii", "strict"))
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        if len(head) > MAX_HEADER_BYTES:
            raise ProbeFailed("response headers too large")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        fields = status_line.split(" ", 2)
        if len(fields) < 2 or not fields[1].isdigit():
            raise ProbeFailed(f"not an HTTP response: {status_line[:80]!r}")
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            if name:
                headers[name.strip().lower()] = value.strip()
        body = await _read_body(reader, headers) if want_body else b""
        return int(fields[1]), body
    finally:
        writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):  # the peer may already be gone
            await writer.wait_closed()


async def _http(spec: Spec) -> None:
    status, body = await http_get(spec.target, want_body=bool(spec.keyword))
    if status != spec.expected_status:
        raise ProbeFailed(f"HTTP {status}, expected {spec.expected_status}")
    if spec.keyword and spec.keyword.encode() not in body:
        raise ProbeFailed(f"keyword {spec.keyword!r} not in the response")


def _host_port(target: str) -> tuple[str, int]:
    host, sep, port = target.rpartition(":")
    if not sep or not port.isdigit():
        raise ProbeFailed(f"expected host:port, got {target!r}")
    return host.strip("[]"), int(port)


async def _tcp(spec: Spec) -> None:
    host, port = _host_port(spec.target)
    _reader, writer = await asyncio.open_connection(host, port)
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()


async def _dns(spec: Spec) -> None:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(spec.target, None, proto=socket.IPPROTO_TCP)
    if not infos:
        raise ProbeFailed("no address")


_PROBES = {"http": _http, "tcp": _tcp, "dns": _dns}


async def _once(spec: Spec) -> Outcome:
    started = time.monotonic()
    try:
        await asyncio.wait_for(_PROBES[spec.kind](spec), timeout=spec.timeout)
    except TimeoutError:
        return Outcome(False, int((time.monotonic() - started) * 1000), f"timed out after {spec.timeout:g} s")
    except (
        ProbeFailed,
        OSError,
        ssl.SSLError,
        ValueError,
        asyncio.IncompleteReadError,
        asyncio.LimitOverrunError,
    ) as exc:
        return Outcome(False, int((time.monotonic() - started) * 1000), f"{type(exc).__name__}: {exc}"[:500])
    latency = int((time.monotonic() - started) * 1000)
    if spec.max_latency_ms is not None and latency > spec.max_latency_ms:
        return Outcome(False, latency, f"slow: {latency} ms > {spec.max_latency_ms} ms")
    return Outcome(True, latency)


async def probe(spec: Spec) -> Outcome:
    """One run: the first success, or the last failure after ``retries`` more tries."""
    outcome = await _once(spec)
    for _ in range(spec.retries):
        if outcome.ok:
            break
        outcome = await _once(spec)
    return outcome


async def probe_all(specs: Sequence[Spec], *, concurrency: int = 500) -> list[Outcome]:
    """Run every probe concurrently (at most ``concurrency`` at a time); outcomes in input order."""
    gate = asyncio.Semaphore(concurrency)

    async def bounded(spec: Spec) -> Outcome:
        async with gate:
            return await probe(spec)

    return list(await asyncio.gather(*(bounded(s) for s in specs)))
