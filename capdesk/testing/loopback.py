"""Real services on 127.0.0.1 for tests: HTTP receivers, monitored targets, fake third parties, SMTP relays.

Each test double only writes its request handler; starting the server on a free
loopback port in a thread, and stopping it cleanly, is done once here.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from capdesk.testing.desk import free_port


class QuietHandler(BaseHTTPRequestHandler):
    """A handler that keeps the test output quiet; the doubles record what they need themselves."""

    def log_message(self, format: str, *args: object) -> None:
        pass


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1 that can be stopped and started again on the same port."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], port: int = 0) -> None:
        self.handler = handler
        self.port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        # ThreadingHTTPServer sets SO_REUSEADDR, so a restart can take the same port back.
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self.handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``handler`` on a free port of 127.0.0.1 until the block ends; yields the base URL."""
    server = LoopbackServer(handler)
    server.start()
    try:
        yield server.base_url
    finally:
        server.stop()


@contextmanager
def smtp_relay(
    settings: Any, handler: object, *, controller: type[Controller] = Controller
) -> Iterator[Controller]:
    """An aiosmtpd relay with ``handler`` on a free loopback port, and the desk's SMTP backend pointed at it."""
    relay = controller(handler, hostname="127.0.0.1", port=free_port())
    relay.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", relay.port, 10
    try:
        yield relay
    finally:
        relay.stop()


class Keeping:
    """An aiosmtpd handler that keeps what it is given: each message byte for byte, with its envelope."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.envelopes: list[tuple[str, list[str]]] = []  # (MAIL FROM, RCPT TOs) of each

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(bytes(envelope.original_content))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Queued"
