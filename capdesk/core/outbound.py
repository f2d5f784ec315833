"""Calling out to URLs that customers or admins gave us (webhook receivers), safely.

Both the status page's subscriber webhooks and the desk's outgoing webhooks use it:
the target must be https (plain http only where a setting allows local testing), must
not resolve into the desk's own network (SSRF), and a redirect is a failure, since
following one could take the desk to a target the check refused.
"""

from __future__ import annotations

import ipaddress
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from capdesk.core.webhook_signatures import sign


class UnsafeTarget(ValueError):
    """The URL may not be called; the message says why, for the person who entered it."""


def _is_local_address(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return not ip.is_global or ip.is_multicast


def check_target(url: str, *, allow_local: bool) -> None:
    """Refuse plain http and targets inside the desk's own network.

    Callers check when the URL is saved and again before every call, since DNS can change.
    """
    parts = urlsplit(url)
    if parts.scheme != "https" and not (allow_local and parts.scheme == "http"):
        raise UnsafeTarget("the endpoint must be an https:// URL")
    if not parts.hostname:
        raise UnsafeTarget("the endpoint has no host")
    if allow_local:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise UnsafeTarget("the endpoint's host does not resolve") from None
    if any(_is_local_address(str(info[4][0])) for info in infos):
        raise UnsafeTarget("the endpoint resolves to a private or local address")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A 3xx is a failure (Statuspage's rule too): following it could bypass check_target.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def post(
    url: str, body: bytes, headers: dict[str, str], *, timeout: float, excerpt: int = 0
) -> tuple[int, str]:
    """POST ``body``; returns the status code and up to ``excerpt`` bytes of the answer, decoded.

    Network failures raise OSError (refused, reset, timed out, TLS) or ValueError (bad URL).
    """
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310 (scheme checked)
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(request, timeout=timeout) as response:
            # Read a little even when no excerpt is kept, so keep-alive servers are not cut mid-answer.
            answer = response.read(excerpt or 65536)
            return int(response.status), answer[:excerpt].decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read(excerpt).decode("utf-8", "replace") if excerpt else ""


@dataclass(frozen=True)
class Sent:
    """What one signed POST came to: the status code (None if there was none), an answer excerpt, an error."""

    status_code: int | None
    excerpt: str
    error: str

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def send_signed(
    url: str,
    *,
    secret: str,
    message_id: str,
    body: bytes,
    user_agent: str,
    allow_local: bool,
    timeout: float,
    excerpt: int = 0,
) -> Sent:
    """Sign ``body`` per Standard Webhooks and POST it to a target checked just before the call.

    Never raises for the target's sake: a refused target or a network failure is the
    ``error`` of the result, for the caller's delivery log and retry.
    """
    headers = {"Content-Type": "application/json", "User-Agent": user_agent}
    headers.update(sign(secret, message_id, body))
    try:
        check_target(url, allow_local=allow_local)
        status_code, answer = post(url, body, headers, timeout=timeout, excerpt=excerpt)
    except UnsafeTarget as exc:
        return Sent(None, "", str(exc))
    except (OSError, ValueError) as exc:  # refused, reset, timed out, TLS, bad URL
        return Sent(None, "", f"{type(exc).__name__}: {exc}"[:2000])
    return Sent(status_code, answer, "")
