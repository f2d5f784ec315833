"""Intake while the outgoing mail relay is slow: one worker for every queue against `capdesk run`'s
two (intake's, and the outbound queue's), alternating, in one run.

Run: ``.venv/bin/python bench/relay_bench.py [--count 300] [--rate 10] [--connect-ms 150]
[--delay-ms 50] [--rounds 2] [--pass LABEL=REV:LAYOUT ...]``

Most requests get a reply by email. With one worker for every queue, the worker that
decides requests also sends the replies, so a relay that takes D ms to accept a message
costs intake D ms per reply. ``capdesk run`` now gives the outbound queue a worker of
its own (capdesk/core/queues.py). Each pass, on a fresh SQLite desk:

- a loopback SMTP relay in this process (aiosmtpd) that answers each session's EHLO
  after ``--connect-ms`` and each DATA after ``--delay-ms``: to a provider's relay in
  another region, a session (TCP, EHLO, STARTTLS, AUTH) costs a few round trips of tens
  of milliseconds, and each message (MAIL, RCPT, DATA) a few more; the desk's
  ``EMAIL_BACKEND`` is Django's SMTP backend;
- ``capdesk smtpd`` and the pass's workers: ``single`` is one ``capdesk worker`` for
  every queue, ``run`` is ``capdesk run``'s pair (``--exclude-queues outbound`` and
  ``--queue-name outbound``);
- the corpus sent over SMTP on one connection at ``--rate`` messages a second, as
  mail arrives through a day (a burst would queue every request ahead of every reply);
- then, from the desk's rows: intake latency (``processed_at - received_at`` of each
  request), each reply's wait in the outbox (``sent_at - created_at``), and the time
  until the last reply reached the relay.

A pass's code is a ``git archive`` of its revision, so an earlier revision (before the
outbound queue, or before the outbox stopped holding the write lock across a send)
runs side by side with the current one.
"""

# ruff: noqa: S603  (a benchmark: it runs our own interpreter)

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import smtplib
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from benchkit import capdesk_env, log, make_corpus, snapshot

from capdesk.testing.desk import free_port

SUPPORT = "support@liveupdate.example"  # == make_corpus.SUPPORT_ADDR
CAPDESK = [sys.executable, "-m", "capdesk.cli"]
WAIT_LIMIT = 900.0  # seconds a pass may take after the last 250, whatever N is
LAYOUTS = {
    "single": [["--queue-name", "*"]],
    "run": [["--queue-name", "*", "--exclude-queues", "outbound"], ["--queue-name", "outbound"]],
}


class SlowRelay:
    """aiosmtpd handler: accepts everything; each session's EHLO answered after ``connect``
    seconds (a remote relay's TCP, TLS and AUTH round trips), each DATA after ``delay``."""

    def __init__(self, connect: float, delay: float) -> None:
        self.connect = connect
        self.delay = delay
        self.received = 0
        self.lock = threading.Lock()

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ):
        await asyncio.sleep(self.connect)
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(self.delay)
        with self.lock:
            self.received += 1
        return "250 Message accepted for delivery"


def percentiles(db: sqlite3.Connection, sql: str) -> dict[str, float]:
    values = sorted(float(v) for (v,) in db.execute(sql))
    if not values:
        return {"p50": 0.0, "p95": 0.0, "max": 0.0}
    return {
        "p50": values[len(values) // 2],
        "p95": values[min(len(values) - 1, int(len(values) * 0.95))],
        "max": values[-1],
    }


def counts(data_dir: Path) -> tuple[int, int, int]:
    """(inbound, pending, emails not yet sent), read straight from SQLite."""
    db = sqlite3.connect(f"file:{data_dir / 'capdesk.sqlite3'}?mode=ro", uri=True, timeout=20)
    try:
        inbound, pending = db.execute(
            "SELECT COUNT(*), COALESCE(SUM(state = 'pending'), 0) FROM intake_inboundrequest"
        ).fetchone()
        (unsent,) = db.execute("SELECT COUNT(*) FROM notify_outboundemail WHERE state = 'queued'").fetchone()
        return int(inbound), int(pending), int(unsent)
    finally:
        db.close()


def one_pass(
    src: Path, layout: str, corpus: Path, msgs: list[dict[str, str]], relay_port: int, work: Path, rate: float
) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix=f"relay-{layout}-", dir=work))
    env = capdesk_env(data_dir, SUPPORT, src)
    env.update(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(relay_port),
        EMAIL_TIMEOUT="30",
    )
    subprocess.run([*CAPDESK, "migrate", "--no-input"], env=env, cwd=src, check=True, capture_output=True)
    children: list[subprocess.Popen[bytes]] = []

    def spawn(*args: str, stdout: int | None = None) -> subprocess.Popen[bytes]:
        log_file = open(data_dir / f"{args[0]}-{len(children)}.log", "wb")  # noqa: SIM115 (lives as long as the child)
        child = subprocess.Popen(
            [*CAPDESK, *args],
            env=env,
            cwd=src,
            start_new_session=True,
            stdout=stdout or log_file,
            stderr=log_file,
        )
        children.append(child)
        return child

    try:
        smtpd = spawn("smtpd", "--host", "127.0.0.1", "--port", "0", stdout=subprocess.PIPE)
        assert smtpd.stdout is not None
        port = 0
        deadline = time.monotonic() + 60
        while not port and time.monotonic() < deadline and smtpd.poll() is None:
            if match := re.search(rb"on 127\.0\.0\.1:(\d+)", smtpd.stdout.readline()):
                port = int(match.group(1))
        if not port:
            raise RuntimeError("capdesk smtpd did not start")
        for i, queues in enumerate(LAYOUTS[layout]):
            spawn("worker", *queues, "--interval", "0.1", "--no-startup-delay", "--worker-id", f"relay-{i}")
        t0 = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
            for i, m in enumerate(msgs):
                time.sleep(max(0.0, t0 + i / rate - time.perf_counter()))
                smtp.sendmail(parseaddr(m["from"])[1], [SUPPORT], (corpus / m["file"]).read_bytes())
        accepted = time.perf_counter() - t0
        intake_done = mail_done = None
        deadline = time.monotonic() + WAIT_LIMIT
        while time.monotonic() < deadline:
            inbound, pending, unsent = counts(data_dir)
            now = time.perf_counter() - t0
            if intake_done is None and inbound >= len(msgs) and not pending:
                intake_done = now
            if intake_done is not None and not unsent:
                mail_done = now
                break
            time.sleep(0.05)
        db = sqlite3.connect(data_dir / "capdesk.sqlite3")
        (sent,) = db.execute("SELECT COUNT(*) FROM notify_outboundemail WHERE state = 'sent'").fetchone()
        intake = percentiles(
            db, "SELECT (julianday(processed_at) - julianday(received_at)) * 86400 FROM intake_inboundrequest"
        )
        outbox = percentiles(
            db,
            "SELECT (julianday(sent_at) - julianday(created_at)) * 86400 FROM notify_outboundemail "
            "WHERE sent_at IS NOT NULL",
        )
        db.close()
    finally:
        for child in children:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
        for child in children:
            child.wait(timeout=30)
    return {
        "accepted_s": accepted,
        "intake_s": intake_done,
        "mail_s": mail_done,
        "sent": sent,
        "intake_latency": intake,
        "outbox_wait": outbox,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--rate", type=float, default=10.0, help="messages sent a second")
    parser.add_argument(
        "--connect-ms", type=float, default=150.0, help="the relay's wait before each EHLO reply"
    )
    parser.add_argument(
        "--delay-ms", type=float, default=50.0, help="the relay's wait before each DATA's 250"
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--pass",
        dest="passes",
        action="append",
        help="LABEL=REV:LAYOUT (layout single or run); default: HEAD:single and HEAD:run",
    )
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="relay-bench-"))
    corpus = make_corpus(work / f"corpus-s1-n{args.count}", args.count, 1)
    with open(corpus / "manifest.jsonl", encoding="utf-8") as f:
        msgs = [json.loads(line) for _, line in zip(range(args.count), f, strict=False)]
    specs = args.passes or ["single=HEAD:single", "run=HEAD:run"]
    passes = []
    for spec in specs:
        label, _, rest = spec.partition("=")
        rev, _, layout = rest.rpartition(":")
        src, sha = snapshot(work, rev)
        passes.append((f"{label} ({sha}, {layout})", src, layout))
    relay = SlowRelay(args.connect_ms / 1000, args.delay_ms / 1000)
    relay_port = free_port()
    controller = Controller(relay, hostname="127.0.0.1", port=relay_port)
    controller.start()
    results: dict[str, list[dict[str, Any]]] = {label: [] for label, _, _ in passes}
    try:
        for round_ in range(1, args.rounds + 1):
            for label, src, layout in passes:
                log(f"round {round_}: {label}")
                results[label].append(one_pass(src, layout, corpus, msgs, relay_port, work, args.rate))
                log(f"  {results[label][-1]}")
    finally:
        controller.stop()
    n = args.count
    print(
        f"N = {n} sent at {args.rate:g}/s, relay: {args.connect_ms:.0f} ms a session, {args.delay_ms:.0f} ms "
        f"a message; {args.rounds} rounds "
        "alternating; each cell: the runs in order\n"
    )
    print(
        "| pass | intake latency p50 / p95 / max, s | reply's wait in the outbox p50 / p95, s "
        "| last reply at the relay, s after the first message | replies sent |"
    )
    print("|---|---|---|---|---|")
    for label, runs in results.items():
        latency = "; ".join(
            f"{r['intake_latency']['p50']:.2f} / {r['intake_latency']['p95']:.2f} / {r['intake_latency']['max']:.2f}"
            for r in runs
        )
        wait = "; ".join(f"{r['outbox_wait']['p50']:.2f} / {r['outbox_wait']['p95']:.2f}" for r in runs)
        mail = "; ".join(f"{r['mail_s']:.1f}" if r["mail_s"] else "not all" for r in runs)
        print(f"| {label} | {latency} | {wait} | {mail} | {', '.join(str(r['sent']) for r in runs)} |")


if __name__ == "__main__":
    main()
