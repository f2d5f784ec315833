"""A real HTTP endpoint on 127.0.0.1 that checks each message's signature the way a receiver must."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from capdesk.core.webhook_signatures import WebhookVerificationError, verify
from capdesk.testing.loopback import QuietHandler, serving


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    verified: bool


@dataclass
class Receiver:
    url: str
    # The endpoint's secret, set once the desk generated it; until then nothing verifies.
    secret: str = ""
    requests: list[Received] = field(default_factory=list)
    # Status codes to answer verified messages with, in order; 200 once they run out.
    script: list[int] = field(default_factory=list)


@contextmanager
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            headers = {name.lower(): value for name, value in self.headers.items()}
            try:
                verify(state.secret, headers, body)
                verified = True
            except (WebhookVerificationError, ValueError):  # ValueError: no secret set yet
                verified = False
            state.requests.append(Received(headers, body, verified))
            code = (state.script.pop(0) if state.script else 200) if verified else 401
            self.send_response(code)
            self.send_header("Content-Length", "7")
            self.end_headers()
            self.wfile.write(b"thanks!" if verified else b"bad sig")

    with serving(Handler) as base_url:
        state.url = f"{base_url}/hooks/capdesk"
        yield state
