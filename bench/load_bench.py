"""Load: portal users signing in by magic link, listing and filing requests, while mail arrives by SMTP.

Run: ``.venv/bin/python bench/load_bench.py [--users 50] [--seconds 60] [--mail-rate 20] [--working-tree]``

Issue 8, point 5, bounded, on the embedded default (SQLite, ``capdesk run`` with its
default 8 web threads and one worker). One run does, in this order:

1. a fresh data dir, ``capdesk migrate``, ``--users`` people imported into the
   directory (one paid organization), ``capdesk run`` on free ports of 127.0.0.1 with
   outgoing mail written as ``.eml`` files (the default backend);
2. sign-in, before the load (the magic links travel through the same task queue as
   the mail, so they would otherwise wait behind it): every user asks for a link, the
   link is read from the outbox files and redeemed (GET shows a button, POST signs in);
3. for ``--seconds``: each user (a thread with its own ``http.client`` connection and
   cookies) lists its requests, thinks 0.5-1.5 s, and every tenth turn files a new
   one; at the same time one SMTP session offers ``--mail-rate`` messages/s;
4. latency percentiles and error counts per operation, and the worker's backlog at
   the end.
"""

# ruff: noqa: S603  (a benchmark: it runs our own interpreter)

from __future__ import annotations

import argparse
import http.client
import json
import re
import smtplib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from email import message_from_bytes
from email.utils import parseaddr
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from faults_bench import MAKE_CORPUS, ROOT, Desk, log, snapshot_head

CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
IDEMPOTENCY_FIELD = re.compile(rb'name="idempotency_key" value="([^"]+)"')
MAGIC = re.compile(r"/portal/magic/[A-Za-z0-9_\-]+/")


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def ok(self, op: str, seconds: float) -> None:
        with self.lock:
            self.latency[op].append(seconds)

    def error(self, op: str, what: str) -> None:
        with self.lock:
            self.errors[op][what] += 1

    def table(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
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
    """One user: a keep-alive connection, its cookies, and the CSRF token Django gave it."""

    def __init__(self, port: int, rec: Recorder) -> None:
        self.port, self.rec = port, rec
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(
        self, op: str, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        headers = {"Host": f"127.0.0.1:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        t0 = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.rec.error(op, type(exc).__name__)
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            return 0, b""
        elapsed = time.perf_counter() - t0
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        if response.status >= 400:
            self.rec.error(op, str(response.status))
        else:
            self.rec.ok(op, elapsed)
        return response.status, data

    def csrf(self, page: bytes) -> str:
        match = CSRF_FIELD.search(page)
        return match.group(1).decode() if match else ""


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
        time.sleep(0.5)
    return None


def sign_in(browser: Browser, address: str, mail_dir: Path) -> bool:
    status, page = browser.request("sign_in_form", "GET", "/portal/sign-in/")
    if status != 200:
        return False
    form = {"csrfmiddlewaretoken": browser.csrf(page), "email": address}
    status, _ = browser.request("sign_in_submit", "POST", "/portal/sign-in/", form)
    link = find_magic_link(mail_dir, address, timeout=120)
    if link is None:
        browser.rec.error("magic_link_email", "not delivered in 120 s")
        return False
    status, page = browser.request("magic_get", "GET", link)
    status, _ = browser.request("magic_post", "POST", link, {"csrfmiddlewaretoken": browser.csrf(page)})
    return status == 302 and "sessionid" in browser.cookies


def user_loop(browser: Browser, i: int, stop: threading.Event, seed: int) -> None:
    import random

    rng = random.Random(seed * 1000 + i)  # noqa: S311 (think times, not secrets)
    turn = 0
    while not stop.is_set():
        turn += 1
        browser.request("list_requests", "GET", "/portal/requests/")
        if turn % 10 == 0:
            status, page = browser.request("new_request_form", "GET", "/portal/requests/new/")
            key = IDEMPOTENCY_FIELD.search(page)
            form = {
                "csrfmiddlewaretoken": browser.csrf(page),
                "idempotency_key": key.group(1).decode() if key else uuid.uuid4().hex,
                "project": "",
                "severity": "normal",
                "subject": f"Invoice question {i}-{turn}",
                "body": "Our last invoice shows two Team plan charges for the same month; can you check it?",
            }
            status, _ = browser.request("file_request", "POST", "/portal/requests/new/", form)
            if status not in (302, 303):
                browser.rec.error("file_request", f"answered {status} instead of a redirect")
        stop.wait(rng.uniform(0.5, 1.5))


def mail_loop(port: int, corpus: Path, rate: float, stop: threading.Event, rec: Recorder) -> None:
    msgs = [json.loads(line) for line in (corpus / "manifest.jsonl").read_text().splitlines()]
    t0 = time.monotonic()
    smtp: smtplib.SMTP | None = None
    try:
        for i, m in enumerate(msgs):
            if stop.is_set():
                return
            time.sleep(max(0.0, t0 + i / rate - time.monotonic()))
            raw = (corpus / m["file"]).read_bytes()
            start = time.perf_counter()
            try:
                if smtp is None:
                    smtp = smtplib.SMTP("127.0.0.1", port, timeout=60)
                smtp.sendmail(parseaddr(m["from"])[1], ["support@liveupdate.example"], raw)
                rec.ok("smtp_message", time.perf_counter() - start)
            except smtplib.SMTPResponseException as exc:
                rec.error("smtp_message", str(exc.smtp_code))
                smtp = None
            except (OSError, smtplib.SMTPException) as exc:
                rec.error("smtp_message", type(exc).__name__)
                smtp = None
        rec.error("smtp_message", "corpus exhausted before the end")
    finally:
        if smtp is not None:
            smtp.close()


def directory(n: int, path: Path) -> list[str]:
    org = "00000000-0000-4000-8000-00000000104d"
    addresses = [f"loaduser{i}@loadtest.example" for i in range(n)]
    people = [{"capgo_id": str(uuid.uuid5(uuid.NAMESPACE_URL, a)), "emails": [a]} for a in addresses]
    path.write_text(
        json.dumps(
            {
                "organizations": [
                    {"capgo_id": org, "name": "Load Org", "plan": "team", "subscription_status": "active"}
                ],
                "people": people,
                "bindings": [
                    {"person": p["capgo_id"], "organization": org, "role": "app_developer"} for p in people
                ],
            }
        )
    )
    return addresses


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--mail-rate", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "capdesk-load-bench")
    parser.add_argument("--working-tree", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    src, sha = (ROOT, "working tree") if args.working_tree else snapshot_head(args.work)
    n = int(args.seconds * args.mail_rate * 1.2) + 100
    corpus = args.work / f"corpus-{n}-{args.seed}"
    if not (corpus / "manifest.jsonl").is_file():
        subprocess.run(
            [
                sys.executable,
                str(MAKE_CORPUS),
                "--count",
                str(n),
                "--seed",
                str(args.seed),
                "--out",
                str(corpus),
            ],
            check=True,
            timeout=600,
        )
    data_dir = Path(tempfile.mkdtemp(prefix="load-", dir=args.work))
    desk = Desk(data_dir, src)
    desk.env["EMAIL_BACKEND"] = (
        "capdesk.notify.backends.EmlDirectoryBackend"  # magic links are read from files
    )
    desk.env["CAPDESK_MAIL_DIR"] = str(data_dir / "mail")
    log(f"code {sha}; data dir {data_dir}; migrate and import {args.users} people")
    desk.capdesk("migrate", "--no-input")
    addresses = directory(args.users, data_dir / "directory.json")
    desk.capdesk("directory", "import", str(data_dir / "directory.json"))
    rec = Recorder()
    stop = threading.Event()
    threads: list[threading.Thread] = []
    try:
        desk.start()
        log(
            f"desk up: web 127.0.0.1:{desk.web_port}, smtp 127.0.0.1:{desk.smtp_port}; signing in {args.users} users"
        )
        browsers = [Browser(desk.web_port, rec) for _ in addresses]
        signed: list[bool] = [False] * len(addresses)

        def sign(i: int) -> None:
            signed[i] = sign_in(browsers[i], addresses[i], data_dir / "mail")

        t0 = time.monotonic()
        signers = [threading.Thread(target=sign, args=(i,), daemon=True) for i in range(len(addresses))]
        for t in signers:
            t.start()
        for t in signers:
            t.join(timeout=300)
        sign_in_wall = time.monotonic() - t0
        log(
            f"{sum(signed)} of {len(signed)} signed in after {sign_in_wall:.1f} s; load for {args.seconds:.0f} s"
        )
        threads = [
            threading.Thread(target=user_loop, args=(b, i, stop, args.seed), daemon=True)
            for i, b in enumerate(browsers)
            if signed[i]
        ]
        threads.append(
            threading.Thread(
                target=mail_loop, args=(desk.smtp_port, corpus, args.mail_rate, stop, rec), daemon=True
            )
        )
        t1 = time.monotonic()
        for t in threads:
            t.start()
        stop.wait(args.seconds)
        stop.set()
        for t in threads:
            t.join(timeout=90)
        load_wall = time.monotonic() - t1
        stats_at_end = json.loads(desk.capdesk("stats", "--json"))
    finally:
        stop.set()
        desk.stop()
    result = {
        "sha": sha,
        "users": args.users,
        "signed_in": sum(signed),
        "sign_in_wall_s": round(sign_in_wall, 1),
        "seconds": args.seconds,
        "load_wall_s": round(load_wall, 1),
        "mail_rate": args.mail_rate,
        "operations": rec.table(),
        "stats_at_end_of_load": stats_at_end,
    }
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
