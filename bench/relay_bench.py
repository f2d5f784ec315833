"""Intake while the outgoing mail relay is slow: one worker for every queue against `capdesk run`'s
two (intake's, and the outbound queue's), alternating, in one run.

Run: ``.venv/bin/python bench/relay_bench.py [--count 500] [--delay-ms 50] [--rounds 3]
[--pass LABEL=REV:LAYOUT ...]``

Most requests get a reply by email. With one worker for every queue, the worker that
decides requests also sends the replies, so a relay that takes D ms to accept a message
holds intake up by D ms per reply. ``capdesk run`` now gives the outbound queue a worker
of its own (capdesk/core/queues.py). Each pass, on a fresh SQLite desk:

- a loopback SMTP relay in this process (aiosmtpd) that answers each DATA after
  ``--delay-ms``, as a remote relay with TLS would; the desk's ``EMAIL_BACKEND`` is
  Django's SMTP backend pointed at it;
- ``capdesk smtpd`` and the pass's workers: ``single`` is one ``capdesk worker`` for
  every queue, ``run`` is ``capdesk run``'s pair (``--exclude-queues outbound`` and
  ``--queue-name outbound``);
- the corpus sent over SMTP on one connection, in file order; then timed until nothing
  is pending (intake done) and until every queued email reached the relay (mail done).

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
    """aiosmtpd handler: accepts everything, answering each DATA after ``delay`` seconds."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.received = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(self.delay)
        with self.lock:
            self.received += 1
        return "250 Message accepted for delivery"


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
    src: Path, layout: str, corpus: Path, msgs: list[dict[str, str]], relay_port: int, work: Path
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
            for m in msgs:
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
        (sent,) = (
            sqlite3.connect(data_dir / "capdesk.sqlite3")
            .execute("SELECT COUNT(*) FROM notify_outboundemail WHERE state = 'sent'")
            .fetchone()
        )
    finally:
        for child in children:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
        for child in children:
            child.wait(timeout=30)
    return {"accepted_s": accepted, "intake_s": intake_done, "mail_s": mail_done, "sent": sent}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--delay-ms", type=float, default=50.0, help="the relay's wait before each 250")
    parser.add_argument("--rounds", type=int, default=3)
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
    relay = SlowRelay(args.delay_ms / 1000)
    relay_port = free_port()
    controller = Controller(relay, hostname="127.0.0.1", port=relay_port)
    controller.start()
    results: dict[str, list[dict[str, Any]]] = {label: [] for label, _, _ in passes}
    try:
        for round_ in range(1, args.rounds + 1):
            for label, src, layout in passes:
                log(f"round {round_}: {label}")
                results[label].append(one_pass(src, layout, corpus, msgs, relay_port, work))
                log(f"  {results[label][-1]}")
    finally:
        controller.stop()
    n = args.count
    print(f"N = {n}, relay delay {args.delay_ms:.0f} ms, {args.rounds} rounds alternating; best (all runs)\n")
    print(
        "| pass | intake end to end, msg/s | SMTP acceptance, msg/s | all replies at the relay, s | replies sent |"
    )
    print("|---|---|---|---|---|")
    for label, runs in results.items():
        intake = [n / r["intake_s"] if r["intake_s"] else 0.0 for r in runs]
        accept = [n / r["accepted_s"] for r in runs]
        mail = [r["mail_s"] or float("inf") for r in runs]
        print(
            f"| {label} | {max(intake):.1f} ({', '.join(f'{v:.1f}' for v in intake)}) "
            f"| {max(accept):.1f} ({', '.join(f'{v:.1f}' for v in accept)}) "
            f"| {min(mail):.1f} ({', '.join(f'{v:.1f}' for v in mail)}) | {runs[-1]['sent']} |"
        )


if __name__ == "__main__":
    main()
