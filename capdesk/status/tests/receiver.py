"""A real HTTP endpoint on 127.0.0.1 that records what it is sent: the webhook subscriber's side."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from capdesk.testing.loopback import QuietHandler, serving


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    # Status codes to answer with, in order; 200 once they run out. "hang" sleeps past any timeout.
    script: list[int | str] = field(default_factory=list)


@contextmanager
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            state.requests.append(Received(self.path, dict(self.headers.items()), self.rfile.read(length)))
            action = state.script.pop(0) if state.script else 200
            if action == "hang":
                time.sleep(3)
                return
            self.send_response(int(action))
            if 300 <= int(action) < 400:
                self.send_header("Location", "http://127.0.0.1:9/elsewhere")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    with serving(Handler) as base_url:
        state.url = f"{base_url}/hooks/capgo-status"
        yield state
