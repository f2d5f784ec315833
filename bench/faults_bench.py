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
"""

# ruff: noqa: S603, S607  (a benchmark: it runs our own interpreter, git and tar)

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from email.utils import parseaddr
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MAKE_CORPUS = Path("/work/shared/bench/make_corpus.py")
SUPPORT = "support@liveupdate.example"  # == make_corpus.SUPPORT_ADDR
CAPDESK = [sys.executable, "-m", "capdesk.cli"]
STALL_SWEEP_AGE = 125.0  # seconds: retry_stalled takes requests untouched for 2 minutes, plus a margin
DRAIN_TIMEOUT = 600.0
MAX_TRIES_PER_MESSAGE = (
    200  # a message is retried for at most ~40 s (0.2 s apart), as an MTA would for longer
)


def log(message: str) -> None:
    print(f"# {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def snapshot_head(work: Path) -> tuple[Path, str]:
    """``git archive HEAD`` into the work dir: other engineers edit the working tree during a run."""
    sha = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    dest = work / f"src-{sha}"
    if not (dest / "capdesk").is_dir():
        dest.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest, sha


def free_port() -> int:
    """A random free port between 20000 and 30000 (the house range for throwaway servers)."""
    for _ in range(50):
        port = random.randint(20000, 30000)  # noqa: S311 (not a secret)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port between 20000 and 30000")


class Desk:
    """``capdesk run`` in its own process group on a fresh SQLite data dir."""

    def __init__(self, data_dir: Path, src: Path) -> None:
        self.data_dir = data_dir
        self.src = src
        self.web_port = free_port()
        self.smtp_port = free_port()
        self.env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        self.env.update(
            CAPDESK_DATA_DIR=str(data_dir),
            CAPDESK_SUPPORT_ADDRESS=SUPPORT,
            CAPDESK_SMTP_HOST="127.0.0.1",
            CAPDESK_SMTP_PORT=str(self.smtp_port),
            EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
            CAPDESK_LOG_LEVEL="WARNING",
            DJANGO_SETTINGS_MODULE="capdesk.settings",
            PYTHONPATH=str(src),
        )
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def capdesk(self, *args: str, timeout: float = 600) -> str:
        done = subprocess.run(
            [*CAPDESK, *args], env=self.env, cwd=self.src, capture_output=True, text=True, timeout=timeout
        )
        if done.returncode:
            raise RuntimeError(f"capdesk {' '.join(args)} failed: {done.stderr[-2000:]}")
        return done.stdout

    def start(self) -> None:
        self.starts += 1
        with open(self.data_dir / f"run-{self.starts}.log", "wb") as logfile:
            self.process = subprocess.Popen(
                [*CAPDESK, "run", "--host", "127.0.0.1", "--port", str(self.web_port)],
                env=self.env,
                cwd=self.src,
                stdout=logfile,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.wait_until_up()

    def wait_until_up(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"capdesk run exited with {self.process.returncode}; see {self.data_dir}")
            if healthy(self.web_port) and smtp_answers(self.smtp_port):
                return
            time.sleep(0.2)
        raise RuntimeError(f"capdesk run did not come up in {timeout:.0f} s; see {self.data_dir}")

    def children(self) -> dict[str, int]:
        """The run's child processes by role, read from /proc (their parent is the run process)."""
        assert self.process is not None
        found: dict[str, int] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except (OSError, IndexError, ValueError):
                continue
            if ppid != self.process.pid:
                continue
            words = [a.decode(errors="replace") for a in argv]
            role = next((r for r in ("waitress", "db_worker", "smtpd", "scheduler") if r in words), None)
            if role == "waitress" or (role is None and any("waitress" in w for w in words)):
                role = "web"
            if role:
                found[role] = int(entry.name)
        return found

    def kill_group(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill_group()
        # A child that outlived its parent (it should not) is killed with the group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)


def healthy(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/healthz")
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except OSError:
        return False


def smtp_answers(port: int) -> bool:
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
            return smtp.noop()[0] == 250
    except (OSError, smtplib.SMTPException):
        return False


class Loader(threading.Thread):
    """Delivers messages in order at a fixed rate; a message is retried until a 250 or a 5xx."""

    def __init__(self, port: int, corpus: Path, rate: float, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.port, self.corpus, self.rate, self.stop = port, corpus, rate, stop
        self.accepted: list[str] = []  # Message-IDs that got a 250
        self.refused: Counter[str] = Counter()  # permanent refusals, by code
        self.failures: Counter[str] = Counter()  # broken sessions and 4xx, each followed by a retry
        self.retried_messages = 0
        self.given_up: list[str] = []

    def run(self) -> None:
        msgs = [json.loads(line) for line in (self.corpus / "manifest.jsonl").read_text().splitlines()]
        smtp: smtplib.SMTP | None = None
        t0 = time.monotonic()
        try:
            for i, m in enumerate(msgs):
                if self.stop.is_set():
                    break
                time.sleep(max(0.0, t0 + i / self.rate - time.monotonic()))
                raw = (self.corpus / m["file"]).read_bytes()
                smtp = self.deliver(smtp, m, raw)
        finally:
            if smtp is not None:
                with contextlib.suppress(OSError, smtplib.SMTPException):
                    smtp.quit()

    def deliver(self, smtp: smtplib.SMTP | None, m: dict[str, Any], raw: bytes) -> smtplib.SMTP | None:
        for attempt in range(MAX_TRIES_PER_MESSAGE):
            if attempt:
                time.sleep(0.2)
            try:
                if smtp is None:
                    smtp = smtplib.SMTP("127.0.0.1", self.port, timeout=30)
                    smtp.ehlo("faults.localhost")
                smtp.sendmail(parseaddr(m["from"])[1], [SUPPORT], raw)
                self.accepted.append(m["message_id"])
                self.retried_messages += attempt > 0
                return smtp
            except smtplib.SMTPResponseException as exc:
                if exc.smtp_code >= 500:
                    self.refused[str(exc.smtp_code)] += 1
                    return smtp
                self.failures[f"{exc.smtp_code}"] += 1
            except smtplib.SMTPRecipientsRefused as exc:
                codes = {code for code, _ in exc.recipients.values()}
                if all(code >= 500 for code in codes):
                    self.refused[str(sorted(codes))] += 1
                    return smtp
                self.failures[str(sorted(codes))] += 1
            except (OSError, smtplib.SMTPException) as exc:
                self.failures[type(exc).__name__] += 1
            if smtp is not None:
                with contextlib.suppress(OSError):
                    smtp.close()
            smtp = None
        self.given_up.append(m["message_id"])
        return smtp


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
        choices = ["db_worker"] * 4 + ["smtpd"] * 3 + ["web"] * 2 + ["scheduler"]
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
            os.kill(roles[target], signal.SIGKILL)
            log(f"t={at}s SIGKILL {target} (pid {roles[target]})")
        else:
            log(f"t={at}s {target} not running (being restarted); skipped")
            continue
        kills.append({"at": at, "target": target})


def pending_ages(desk: Desk) -> tuple[int, float]:
    """(pending requests, seconds since the newest of them was received or last attempted)."""
    out = subprocess.run(
        [sys.executable, __file__, "_pending"],
        env=desk.env,
        cwd=desk.src,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    pending, age = json.loads(out.stdout)
    return int(pending), float(age)


def run(args: argparse.Namespace) -> int:
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    src, sha = (ROOT, "working tree") if args.working_tree else snapshot_head(work)
    n = int(args.seconds * args.rate) + 50
    corpus = work / f"corpus-{n}-{args.seed}"
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
    data_dir = Path(tempfile.mkdtemp(prefix="faults-", dir=work))
    desk = Desk(data_dir, src)
    rng = random.Random(args.seed)  # noqa: S311 (reproducible chaos, not a secret)
    stop = threading.Event()
    log(f"code {sha}; data dir {data_dir}; migrate")
    desk.capdesk("migrate", "--no-input")
    try:
        desk.start()
        log(f"desk up: web 127.0.0.1:{desk.web_port}, smtp 127.0.0.1:{desk.smtp_port}")
        loader = Loader(desk.smtp_port, corpus, args.rate, stop)
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
            pending, age = pending_ages(desk)
            if pending == 0 or (pending == last[0] and age > 20):
                break  # done, or only requests whose task died with a worker are left
            last = (pending, age)
            time.sleep(5)
        desk.stop()
        pending_before_sweep, age = pending_ages(desk)
        if pending_before_sweep:
            wait = max(0.0, STALL_SWEEP_AGE - age)
            log(f"{pending_before_sweep} pending after the drain; waiting {wait:.0f} s for the stalled sweep")
            time.sleep(wait)
        desk.capdesk("scheduler", "--once")
        desk.capdesk("db_worker", "--batch", "--interval", "0", "--no-startup-delay", "--no-reload")
    finally:
        stop.set()
        desk.stop()
    (data_dir / "accepted.json").write_text(json.dumps(loader.accepted))
    stats = json.loads(desk.capdesk("stats", "--json"))
    report = json.loads(
        subprocess.run(
            [sys.executable, __file__, "_check", str(data_dir / "accepted.json")],
            env=desk.env,
            cwd=src,
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        ).stdout
    )
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
    problems = [
        k
        for k in (
            "accepted_missing",
            "accepted_pending",
            "requests_with_two_messages",
            "requests_opening_two_tickets",
        )
        if result[k]
    ]
    if stats["pending"]:
        problems.append("pending")
    if problems:
        print(f"FAILED: {problems}")
        return 1
    return 0


# --- run in a child process with Capdesk's environment ------------------------------------


def child_pending() -> None:
    import django

    django.setup()
    from django.db.models import Max
    from django.utils import timezone

    from capdesk.intake.models import InboundRequest

    pending = InboundRequest.objects.filter(state=InboundRequest.State.PENDING)
    newest = pending.aggregate(r=Max("received_at"), a=Max("last_attempt_at"))
    touched = max((t for t in (newest["r"], newest["a"]) if t is not None), default=None)
    age = (timezone.now() - touched).total_seconds() if touched else 0.0
    print(json.dumps([pending.count(), age]))


def child_check(accepted_file: Path) -> None:
    """Every accepted Message-ID: stored once, processed, one customer message, at most one ticket opened."""
    import django

    django.setup()
    from django.db.models import Count, Min

    from capdesk.intake.models import InboundRequest
    from capdesk.tickets.models import Message

    accepted = {mid.strip("<>") for mid in json.loads(accepted_file.read_text())}
    rows = {
        key.strip("<>"): (pk, state, attempts)
        for key, pk, state, attempts in InboundRequest.objects.filter(channel="email").values_list(
            "idempotency_key", "pk", "state", "attempts"
        )
    }
    customer = Message.objects.filter(author_kind=Message.Author.CUSTOMER, source__isnull=False)
    twice = set(
        customer.values("source").annotate(n=Count("id")).filter(n__gt=1).values_list("source", flat=True)
    )
    firsts = customer.values("ticket").annotate(first=Min("id")).values_list("first", flat=True)
    openers = Counter(Message.objects.filter(id__in=list(firsts)).values_list("source", flat=True))
    print(
        json.dumps(
            {
                "stored": len(rows),
                "accepted_missing": sum(1 for mid in accepted if mid not in rows),
                "stored_without_a_250": sum(1 for key in rows if key not in accepted),
                "states": dict(Counter(state for _, state, _ in rows.values())),
                "accepted_pending": sum(1 for mid in accepted if mid in rows and rows[mid][1] == "pending"),
                "attempts": {str(k): v for k, v in sorted(Counter(a for _, _, a in rows.values()).items())},
                "requests_with_two_messages": len(twice),
                "requests_opening_two_tickets": sum(1 for c in openers.values() if c > 1),
            }
        )
    )


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
    if sys.argv[1:2] == ["_pending"]:
        child_pending()
    elif sys.argv[1:2] == ["_check"]:
        child_check(Path(sys.argv[2]))
    else:
        sys.exit(main())
