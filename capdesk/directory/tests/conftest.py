"""Fixtures for the directory's sync tests: a configured secret and a signed delivery."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import LazySettings
from django.test import Client

from capdesk.core import webhook_signatures
from capdesk.directory.tests.capgo_payloads import body
from capdesk.directory.tests.fake_capgo_api import API_KEY, FakeCapgo, serving

WEBHOOK_SECRET = "whsec_" + "c2VjcmV0LWZvci10aGUtZGlyZWN0b3J5LXRlc3Rz"  # base64 of a fixed test key
WEBHOOK_URL = "/hooks/capgo/"


@dataclass(frozen=True)
class Reply:
    """The webhook's answer: its status and its JSON body."""

    status_code: int
    content: bytes

    def json(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.content)
        return parsed


Deliver = Callable[..., Reply]


@pytest.fixture
def webhook_secret(settings: LazySettings) -> str:
    settings.CAPGO_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.CAPGO_WEBHOOK_TOLERANCE_SECONDS = 300
    return WEBHOOK_SECRET


@pytest.fixture
def deliver(client: Client, webhook_secret: str, db: None) -> Iterator[Deliver]:
    """POST a payload to the webhook, signed as Capgo signs it, with a fresh webhook-id each time."""
    ids = (f"msg_{n}" for n in itertools.count(1))

    def post(
        payload: object = None,
        *,
        raw: bytes | None = None,
        webhook_id: str | None = None,
        timestamp: int | None = None,
        secret: str = webhook_secret,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        content = raw if raw is not None else body(payload)
        signed = webhook_signatures.sign(
            secret, webhook_id or next(ids), content, timestamp=timestamp or int(time.time())
        )
        response = client.post(
            WEBHOOK_URL, data=content, content_type="application/json", headers=headers or signed
        )
        return Reply(status_code=response.status_code, content=response.content)

    yield post


@pytest.fixture
def capgo_api(settings: LazySettings, db: None) -> Iterator[FakeCapgo]:
    """The fake Capgo API on a random loopback port, with the desk configured to read it."""
    with serving(FakeCapgo()) as api:
        settings.CAPGO_API_URL = api.url
        settings.CAPGO_API_KEY = API_KEY
        yield api
