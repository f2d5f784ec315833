"""Traffic for a desk started by ``capdesk.testing.desk``: portal users over HTTP and mail over SMTP.

Shared by bench/load_bench.py, bench/faults_bench.py and their short CI variants. Every
loop is bounded by a stop event and a number of tries; every address is 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import random
import re
import smtplib
import statistics
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from capdesk.testing.desk import SUPPORT

CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
IDEMPOTENCY_FIELD = re.compile(rb'name="idempotency_key" value="([^"]+)"')
MAGIC = re.compile(r"/portal/magic/[A-Za-z0-9_\-]+/")
ORGANIZATION = "00000000-0000-4000-8000-00000000104d"


class Recorder:
    """Latencies and errors per operation, from many threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, Counter[str]] = defaultdict(Counter)
        self.flying: Counter[str] = Counter()

    def begin(self, op: str) -> None:
        with self.lock:
            self.flying[op] += 1

    def end(self, op: str) -> None:
        with self.lock:
            self.flying[op] -= 1

    def in_flight(self, op: str) -> int:
        """How many requests of this operation are waiting for their answer now."""
        with self.lock:
            return self.flying[op]

    def ok(self, op: str, seconds: float) -> None:
        with self.lock:
            self.latency[op].append(seconds)

    def error(self, op: str, what: str) -> None:
        with self.lock:
            self.errors[op][what] += 1

    def error_count(self) -> int:
        with self.lock:
            return sum(sum(c.values()) for c in self.errors.values())

    def table(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        with self.lock:
            for op in sorted(set(self.latency) | set(self.errors)):
                lat = sorted(self.latency.get(op, []))
                out[op] = {
                    "ok": len(lat),
                    "errors": dict(self.errors.get(op, {})),
                    "p50_ms": round(statistics.median(lat) * 1000, 1) if lat else None,
                    "p95_ms": round(lat[int(0.95 * (len(lat) - 1))] * 1000, 1) if lat else None,
                    "max_ms": round(lat[-1] * 1000, 1) if lat else None,
                }
        return out


class Browser:
    """One user: keep-alive connections, its cookies, requests spread round-robin over the web ports.

    Sessions live in the database, so any of the desk's web processes can answer any request.
    """

    def __init__(self, ports: Sequence[int], rec: Recorder) -> None:
        self.ports, self.rec = list(ports), rec
        self.conns = {p: http.client.HTTPConnection("127.0.0.1", p, timeout=60) for p in self.ports}
        self.cookies: dict[str, str] = {}
        self.turn = 0

    def request(
        self, op: str, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, bytes, dict[str, str]]:
        """One request; (status, body, headers), or (0, b"", {}) when the connection broke."""
        self.turn += 1
        port = self.ports[self.turn % len(self.ports)]
        headers = {"Host": f"127.0.0.1:{port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        t0 = time.perf_counter()
        self.rec.begin(op)
        try:
            self.conns[port].request(method, path, body=body, headers=headers)
            response = self.conns[port].getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.rec.error(op, type(exc).__name__)
            self.conns[port].close()
            self.conns[port] = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            return 0, b"", {}
        finally:
            self.rec.end(op)
        elapsed = time.perf_counter() - t0
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        if response.status >= 400:
            self.rec.error(op, str(response.status))
        else:
            self.rec.ok(op, elapsed)
        return response.status, data, dict(response.headers.items())

    def csrf(self, page: bytes) -> str:
        match = CSRF_FIELD.search(page)
        return match.group(1).decode() if match else ""

    def close(self) -> None:
        for conn in self.conns.values():
            conn.close()


def find_magic_link(mail_dir: Path, address: str, timeout: float) -> str | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(mail_dir.glob("*.eml")) if mail_dir.is_dir() else []:
            msg = message_from_bytes(path.read_bytes())
            if parseaddr(msg.get("To", ""))[1].lower() != address:
                continue
            for part in msg.walk():
                if part.get_content_type() == "text/plain":
                    payload = part.get_payload(decode=True)
                    if isinstance(payload, bytes) and (m := MAGIC.search(payload.decode(errors="replace"))):
                        return m.group(0)
        time.sleep(0.3)
    return None


def sign_in(browser: Browser, address: str, mail_dir: Path, timeout: float = 120) -> bool:
    """The sign-in form, the magic link read from the outbox files, then GET and POST on the link."""
    status, page, _ = browser.request("sign_in_form", "GET", "/portal/sign-in/")
    if status != 200:
        return False
    form = {"csrfmiddlewaretoken": browser.csrf(page), "email": address}
    browser.request("sign_in_submit", "POST", "/portal/sign-in/", form)
    link = find_magic_link(mail_dir, address, timeout=timeout)
    if link is None:
        browser.rec.error("magic_link_email", f"not delivered in {timeout:.0f} s")
        return False
    status, page, _ = browser.request("magic_get", "GET", link)
    status, _, _ = browser.request("magic_post", "POST", link, {"csrfmiddlewaretoken": browser.csrf(page)})
    return status == 302 and "sessionid" in browser.cookies


def sign_in_all(browsers: Sequence[Browser], addresses: Sequence[str], mail_dir: Path) -> list[bool]:
    signed = [False] * len(addresses)

    def sign(i: int) -> None:
        signed[i] = sign_in(browsers[i], addresses[i], mail_dir)

    threads = [threading.Thread(target=sign, args=(i,), daemon=True) for i in range(len(addresses))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    return signed


class Filed:
    """Idempotency keys of portal requests that got their redirect (accepted), from many threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.accepted: list[str] = []
        self.resubmitted = 0
        self.given_up = 0

    def add(self, key: str, resubmitted: bool) -> None:
        with self.lock:
            self.accepted.append(f"portal:{key}")
            self.resubmitted += resubmitted


def file_request(browser: Browser, filed: Filed, subject: str, tries: int = 1) -> bool:
    """Open the form and POST it; a broken connection or a 5xx is submitted again with the same key."""
    status, page, _ = browser.request("new_request_form", "GET", "/portal/requests/new/")
    if status != 200:
        return False
    key_match = IDEMPOTENCY_FIELD.search(page)
    key = key_match.group(1).decode() if key_match else uuid.uuid4().hex
    form = {
        "csrfmiddlewaretoken": browser.csrf(page),
        "idempotency_key": key,
        "project": "",
        "severity": "normal",
        "subject": subject,
        "body": "Our last invoice shows two Team plan charges for the same month; can you check it?",
    }
    for attempt in range(tries):
        if attempt:
            time.sleep(0.3)
        status, _, _ = browser.request("file_request", "POST", "/portal/requests/new/", form)
        if status in (302, 303):
            filed.add(key, resubmitted=attempt > 0)
            return True
        if status and status < 500:
            browser.rec.error("file_request", f"answered {status} instead of a redirect")
            return False
    with filed.lock:
        filed.given_up += 1
    return False


def user_loop(
    browser: Browser,
    i: int,
    stop: threading.Event,
    seed: int,
    filed: Filed,
    *,
    file_every: int = 10,
    tries: int = 1,
) -> None:
    """List the requests, think 0.5-1.5 s; every ``file_every``-th turn, file a new one."""
    rng = random.Random(seed * 1000 + i)  # noqa: S311 (think times, not secrets)
    turn = 0
    while not stop.is_set():
        turn += 1
        browser.request("list_requests", "GET", "/portal/requests/")
        if turn % file_every == 0:
            file_request(browser, filed, f"Invoice question {i}-{turn}", tries=tries)
        stop.wait(rng.uniform(0.5, 1.5))


def people_file(n: int, path: Path, prefix: str = "loaduser") -> list[str]:
    """A directory import file: ``n`` people in one paid organization; returns their addresses."""
    addresses = [f"{prefix}{i}@loadtest.example" for i in range(n)]
    people = [{"capgo_id": str(uuid.uuid5(uuid.NAMESPACE_URL, a)), "emails": [a]} for a in addresses]
    path.write_text(
        json.dumps(
            {
                "organizations": [
                    {
                        "capgo_id": ORGANIZATION,
                        "name": "Load Org",
                        "plan": "team",
                        "subscription_status": "active",
                    }
                ],
                "people": people,
                "bindings": [
                    {"person": p["capgo_id"], "organization": ORGANIZATION, "role": "app_developer"}
                    for p in people
                ],
            }
        )
    )
    return addresses


@dataclass(frozen=True)
class Mail:
    message_id: str
    sender: str
    raw: bytes


def generated_mail(count: int, tag: str) -> Iterator[Mail]:
    """Plain support questions from customers unknown to the directory, each with its own Message-ID."""
    for i in range(count):
        message = EmailMessage()
        sender = f"customer{i}@example.net"
        message["From"] = f"Customer {i} <{sender}>"
        message["To"] = SUPPORT
        message["Subject"] = f"Live update {i} does not download on Android"
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Message-ID"] = make_msgid(f"{tag}{i}", domain="example.net")
        message.set_content(
            f"Bundle 1.0.{i} is uploaded to the production channel but devices keep the old one.\n"
        )
        yield Mail(str(message["Message-ID"]), sender, message.as_bytes())


def corpus_mail(corpus: Path) -> Iterator[Mail]:
    """The messages of a ``make_corpus.py`` directory, in its manifest's order."""
    for line in (corpus / "manifest.jsonl").read_text().splitlines():
        m = json.loads(line)
        yield Mail(m["message_id"], parseaddr(m["from"])[1], (corpus / m["file"]).read_bytes())


class MailLoader(threading.Thread):
    """Offers messages over one SMTP session at a fixed rate; a message is retried, as an MTA would,
    until a 250 or a 5xx (at most ``tries`` times, 0.2 s apart)."""

    def __init__(
        self,
        port: int,
        mail: Iterator[Mail],
        rate: float,
        stop: threading.Event,
        rec: Recorder,
        tries: int = 200,
    ) -> None:
        super().__init__(daemon=True)
        self.port, self.mail, self.rate, self.stop, self.rec, self.tries = port, mail, rate, stop, rec, tries
        self.accepted: list[str] = []  # Message-IDs that got a 250
        self.refused: Counter[str] = Counter()  # permanent refusals, by code
        self.failures: Counter[str] = Counter()  # broken sessions and 4xx, each followed by a retry
        self.retried_messages = 0
        self.given_up: list[str] = []
        self.exhausted = False

    def run(self) -> None:
        smtp: smtplib.SMTP | None = None
        t0 = time.monotonic()
        try:
            for i, m in enumerate(self.mail):
                if self.stop.is_set():
                    return
                time.sleep(max(0.0, t0 + i / self.rate - time.monotonic()))
                smtp = self.deliver(smtp, m)
            self.exhausted = True
        finally:
            if smtp is not None:
                with contextlib.suppress(OSError, smtplib.SMTPException):
                    smtp.quit()

    def deliver(self, smtp: smtplib.SMTP | None, m: Mail) -> smtplib.SMTP | None:
        for attempt in range(self.tries):
            if attempt:
                time.sleep(0.2)
            start = time.perf_counter()
            try:
                if smtp is None:
                    smtp = smtplib.SMTP("127.0.0.1", self.port, timeout=60)
                    smtp.ehlo("load.localhost")
                smtp.sendmail(m.sender, [SUPPORT], m.raw)
                self.rec.ok("smtp_message", time.perf_counter() - start)
                self.accepted.append(m.message_id)
                self.retried_messages += attempt > 0
                return smtp
            except smtplib.SMTPResponseException as exc:
                self.rec.error("smtp_message", str(exc.smtp_code))
                if exc.smtp_code >= 500:
                    self.refused[str(exc.smtp_code)] += 1
                    return smtp
                self.failures[f"{exc.smtp_code}"] += 1
            except smtplib.SMTPRecipientsRefused as exc:
                codes = sorted({code for code, _ in exc.recipients.values()})
                self.rec.error("smtp_message", str(codes))
                if all(code >= 500 for code in codes):
                    self.refused[str(codes)] += 1
                    return smtp
                self.failures[str(codes)] += 1
            except (OSError, smtplib.SMTPException) as exc:
                self.rec.error("smtp_message", type(exc).__name__)
                self.failures[type(exc).__name__] += 1
            if smtp is not None:
                with contextlib.suppress(OSError):
                    smtp.close()
            smtp = None
        self.given_up.append(m.message_id)
        return smtp
