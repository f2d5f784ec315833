"""A small client for Capgo's public REST API (CAPGO.md): ``x-api-key``, paging, and 429 backoff.

Responses are ``{"status": "ok", "data": ...}`` or ``{"error": "...", "status": "KO"}``;
some endpoints answer with a bare JSON list, which is accepted too. The standard
library's urllib is enough for a handful of GETs, so there is no HTTP dependency.
"""

from __future__ import annotations

import email.utils
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

USER_AGENT = "capdesk-directory-sync/1"


class CapgoApiError(Exception):
    """Capgo refused or failed a request; the message says which and why."""


def _retry_after_seconds(header: str | None, now: float) -> float | None:
    """RFC 9110 Retry-After: delay-seconds or an HTTP-date."""
    if not header:
        return None
    value = header.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


class CapgoClient:
    """GETs against Capgo's API with bounded retries on HTTP 429 and bounded paging."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 30,
        max_retries: int = 5,
        max_wait: float = 60,
        max_pages: int = 1000,
        sleep: Callable[[float], None] = time.sleep,
        progress: Callable[[str], None] = lambda message: None,
    ) -> None:
        if not api_key:
            raise CapgoApiError("no API key: set CAPGO_API_KEY to a Capgo API key (console > API keys)")
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_wait = max_wait
        self.max_pages = max_pages
        self.sleep = sleep
        self.progress = progress
        self.requests = 0

    def get(self, path: str, params: dict[str, str | int] | None = None) -> Any:
        """The ``data`` of one response (or the bare list); 429s are waited out up to ``max_retries`` times."""
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        url = f"{self.base_url}{path}{query}"
        for attempt in range(self.max_retries + 1):
            request = urllib.request.Request(  # noqa: S310 (the URL is our configured https/http API)
                url,
                headers={"x-api-key": self.api_key, "accept": "application/json", "user-agent": USER_AGENT},
            )
            self.requests += 1
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                    return self._data(path, response.read())
            except urllib.error.HTTPError as exc:
                body = exc.read()
                if exc.code != 429:
                    raise CapgoApiError(f"GET {path}: HTTP {exc.code}: {self._error_text(body)}") from None
                if attempt == self.max_retries:
                    break
                # Capgo allows 100 requests a minute (1,000 on Enterprise): wait as told,
                # else back off exponentially; never longer than max_wait.
                told = _retry_after_seconds(exc.headers.get("Retry-After"), datetime.now(UTC).timestamp())
                wait = min(self.max_wait, told if told is not None else 2.0**attempt)
                self.progress(f"rate limited on {path}; retrying in {wait:g}s")
                self.sleep(wait)
            except urllib.error.URLError as exc:
                raise CapgoApiError(f"GET {path}: cannot reach {self.base_url}: {exc.reason}") from None
        raise CapgoApiError(f"GET {path}: still rate limited after {self.max_retries} retries")

    def get_all(self, path: str, params: dict[str, str | int] | None = None) -> list[Any]:
        """Every item of a paged list: ``page`` = 0, 1, ... until an empty page (Capgo counts from 0).

        An endpoint that ignores ``page`` returns the same items again; that ends the
        listing too, so a non-paging endpoint costs one extra request, not a loop.
        """
        items: list[Any] = []
        previous: list[Any] | None = None
        for page in range(self.max_pages):
            data = self.get(path, {**(params or {}), "page": page})
            if data is None:
                return items
            if isinstance(data, dict):
                return [*items, data] if page == 0 else items  # a single object: not a list endpoint
            if not isinstance(data, list):
                raise CapgoApiError(f"GET {path}: expected a list, got {type(data).__name__}")
            if not data or data == previous:
                return items
            items.extend(data)
            previous = data
        raise CapgoApiError(f"GET {path}: more than {self.max_pages} pages; giving up")

    @staticmethod
    def _error_text(body: bytes) -> str:
        try:
            parsed = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return body[:200].decode("utf-8", "replace") or "no body"
        if isinstance(parsed, dict) and parsed.get("error"):
            return str(parsed["error"])
        return json.dumps(parsed)[:200]

    def _data(self, path: str, body: bytes) -> Any:
        try:
            parsed = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise CapgoApiError(f"GET {path}: the answer is not JSON") from None
        if isinstance(parsed, dict) and "status" in parsed:
            if str(parsed["status"]).lower() != "ok":
                raise CapgoApiError(f"GET {path}: Capgo says {parsed.get('error') or parsed['status']}")
            return parsed.get("data")
        return parsed
