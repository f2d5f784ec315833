"""Faults: SIGKILL the worker, the SMTP receiver, the web server and the whole desk while mail arrives.

Run: ``.venv/bin/python bench/faults_bench.py [--seconds 90] [--rate 10] [--working-tree]``

Issue 8, point 6, on the embedded default (SQLite). One run does, in this order:

1. a fresh ``CAPDESK_DATA_DIR``, ``capdesk migrate``, and ``capdesk run`` on free
   ports of 127.0.0.1 (web, scheduler, one worker, SMTP receiver as child processes);
2. for ``--seconds``: a loader delivers the corpus (``make_corpus.py``) over real SMTP
   at ``--rate`` messages/s, retrying a message like an MTA would when the session
   breaks or answers 4xx; a poller asks ``/healthz`` every 0.2 s; every 4-10 s one
   part is SIGKILLed at a random point (the worker, smtpd, the web server, the
   scheduler, or, at most twice, the whole process group, which is then restarted;
   ``capdesk run`` restarts a single killed child itself);
3. the desk is given time to drain, then stopped (SIGTERM); requests whose task died
   with a killed worker stay pending until the stalled-request sweep, which only
   takes requests untouched for 2 minutes, so we wait for that and run
   ``capdesk scheduler --once`` and a ``capdesk db_worker --batch``;
4. a check through the ORM: every message that got a 250 is stored once and was
   processed exactly once (not pending, no second customer message or ticket for it).

Exits non-zero if any accepted message was lost, left pending or processed twice.
The desk, the SMTP loader and the exactly-once check are shared with the CI variants
(capdesk/testing/desk.py and traffic.py; capdesk/core/tests/test_faults_short.py and
test_db_faults.py).
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchkit import ROOT, make_corpus, snapshot_head

from capdesk.testing.desk import Desk, healthy, log
from capdesk.testing.traffic import MailLoader, Recorder, corpus_mail

STALL_SWEEP_AGE = 125.0  # seconds: retry_stalled takes requests untouched for 2 minutes, plus a margin
DRAIN_TIMEOUT = 600.0
MAX_TRIES_PER_MESSAGE = (
    200  # a message is retried for at most ~40 s (0.2 s apart), as an MTA would for longer
)


class Poller(threading.Thread):
    """Asks ``/healthz`` every 0.2 s: how often the web server was away, and for how long at most."""

    def __init__(self, port: int, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.port, self.stop = port, stop
        self.ok = self.failed = 0
        self.longest_outage = 0.0

    def run(self) -> None:
        down_since: float | None = None
        while not self.stop.is_set():
            if healthy(self.port):
                self.ok += 1
                if down_since is not None:
                    self.longest_outage = max(self.longest_outage, time.monotonic() - down_since)
                    down_since = None
            else:
                self.failed += 1
                down_since = down_since or time.monotonic()
            self.stop.wait(0.2)


def chaos(desk: Desk, seconds: float, rng: random.Random) -> list[dict[str, Any]]:
    """Kill one part every 4-10 s at a random point; the whole group at most twice, then restart it."""
    kills: list[dict[str, Any]] = []
    group_kills = 0
    end = time.monotonic() + seconds
    while True:
        time.sleep(min(rng.uniform(4, 10), max(0.0, end - time.monotonic())))
        if time.monotonic() >= end:
            return kills
        if desk.process is not None and desk.process.poll() is not None:
            log(f"capdesk run exited by itself ({desk.process.returncode}); restarting it")
            kills.append({"at": round(seconds - (end - time.monotonic()), 1), "target": "(exited by itself)"})
            desk.start()
            continue
        roles = desk.children()
        choices = ["worker"] * 4 + ["smtpd"] * 3 + ["web"] * 2 + ["scheduler"]
        if group_kills < 2:
            choices.append("group")
        target = rng.choice(choices)
        at = round(seconds - (end - time.monotonic()), 1)
        if target == "group":
            group_kills += 1
            desk.kill_group()
            log(f"t={at}s SIGKILL capdesk run's whole process group; restarting it")
            desk.start()
        elif target in roles:
            desk.kill_child(target)
            log(f"t={at}s SIGKILL {target} (pid {roles[target]})")
        else:
            log(f"t={at}s {target} not running (being restarted); skipped")
            continue
        kills.append({"at": at, "target": target})


def run(args: argparse.Namespace) -> int:
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    src, sha = (ROOT, "working tree") if args.working_tree else snapshot_head(work)
    n = int(args.seconds * args.rate) + 50
    corpus = make_corpus(work / f"corpus-{n}-{args.seed}", n, args.seed)
    data_dir = Path(tempfile.mkdtemp(prefix="faults-", dir=work))
    desk = Desk(data_dir, src)
    rng = random.Random(args.seed)  # noqa: S311 (reproducible chaos, not a secret)
    stop = threading.Event()
    log(f"code {sha}; data dir {data_dir}; migrate")
    desk.capdesk("migrate", "--no-input")
    try:
        desk.start()
        log(f"desk up: web 127.0.0.1:{desk.web_port}, smtp 127.0.0.1:{desk.smtp_port}")
        rec = Recorder()
        loader = MailLoader(desk.smtp_port, corpus_mail(corpus), args.rate, stop, rec, MAX_TRIES_PER_MESSAGE)
        poller = Poller(desk.web_port, stop)
        loader.start()
        poller.start()
        t0 = time.monotonic()
        kills = chaos(desk, args.seconds, rng)
        stop.set()
        loader.join(timeout=MAX_TRIES_PER_MESSAGE * 0.5)
        poller.join(timeout=10)
        load_wall = time.monotonic() - t0
        log(f"load over: {len(loader.accepted)} accepted, {len(kills)} kills; waiting for the desk to drain")
        desk.wait_until_up()
        deadline = time.monotonic() + DRAIN_TIMEOUT
        last = (-1, 0.0)
        while time.monotonic() < deadline:
            pending, age = desk.pending()
            if pending == 0 or (pending == last[0] and age > 20):
                break  # done, or only requests whose task died with a worker are left
            last = (pending, age)
            time.sleep(5)
        desk.stop()
        pending_before_sweep, age = desk.pending()
        if pending_before_sweep:
            wait = max(0.0, STALL_SWEEP_AGE - age)
            log(f"{pending_before_sweep} pending after the drain; waiting {wait:.0f} s for the stalled sweep")
            time.sleep(wait)
        desk.drain()
    finally:
        stop.set()
        desk.stop()
    stats = json.loads(desk.capdesk("stats", "--json"))
    report = desk.check(loader.accepted)
    result = {
        "sha": sha,
        "seconds": args.seconds,
        "load_wall": load_wall,
        "rate": args.rate,
        "kills": kills,
        "kills_by_target": dict(Counter(k["target"] for k in kills)),
        "smtp_accepted": len(loader.accepted),
        "smtp_refused": dict(loader.refused),
        "smtp_failures_retried": dict(loader.failures),
        "messages_needing_a_retry": loader.retried_messages,
        "given_up": len(loader.given_up),
        "healthz_ok": poller.ok,
        "healthz_failed": poller.failed,
        "longest_web_outage_s": round(poller.longest_outage, 1),
        "pending_before_sweep": pending_before_sweep,
        "stats": stats,
        **report,
    }
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    problems = list(report["problems"])
    if stats["pending"]:
        problems.append("pending")
    if problems:
        print(f"FAILED: {problems}")
        return 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds", type=float, default=90.0, help="How long mail arrives and parts are killed."
    )
    parser.add_argument("--rate", type=float, default=10.0, help="Messages per second offered over SMTP.")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "capdesk-faults-bench")
    parser.add_argument(
        "--working-tree", action="store_true", help="Run the working tree, not a snapshot of HEAD."
    )
    parser.add_argument("--json", type=Path, help="Also write every number to this file.")
    args = parser.parse_args()

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
