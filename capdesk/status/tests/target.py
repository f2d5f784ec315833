"""A real service on 127.0.0.1 for the monitors to watch: it answers per path, or hangs."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

from capdesk.testing.loopback import QuietHandler, serving


class _Handler(QuietHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.path == "/hang":
            time.sleep(3)
            return
        if self.path == "/slow":
            time.sleep(0.3)
        if self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Connection", "close")
            self.end_headers()
            for piece in (b"status: ", b"all systems ", b"go"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
            return
        code = 500 if self.path == "/500" else 200
        body = b"status: all systems go"
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def http_target() -> Iterator[str]:
    """Yields the base URL (http://127.0.0.1:PORT) while the service runs."""
    with serving(_Handler) as base_url:
        yield base_url


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
