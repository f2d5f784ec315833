"""A real HTTP server on 127.0.0.1 that plays a chat service's incoming webhook."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from capdesk.testing.loopback import QuietHandler, serving


@dataclass
class ChatHook:
    """What the server received, and the statuses it answers with (in order; then 204)."""

    url: str
    answers: list[int] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)


@contextmanager
def chat_hook(answers: list[int] | None = None) -> Iterator[ChatHook]:
    hook = ChatHook(url="", answers=list(answers or []))

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length))
            hook.received.append(body)
            status = hook.answers.pop(0) if hook.answers else 204
            self.send_response(status)
            if status == 429:
                self.send_header("Retry-After", "120")
            self.send_header("Content-Length", "0")
            self.end_headers()

    with serving(Handler) as base_url:
        hook.url = f"{base_url}/api/webhooks/1/token"
        yield hook
