"""Email intake, Capdesk against the peer django-helpdesk, side by side in one run.

Run: ``.venv/bin/python bench/intake_bench.py [--count 2000] [--count-8bit 500] [--directory] [--workers2]``

The machine is shared and noisy, so only ratios measured in the same run mean
anything. One run does, in this order:

1. the corpus: ``make_corpus.py --count N --seed S`` (and ``--legacy-cte 8bit`` for
   the robustness pass), into a work directory;
2. the peer: ``shared/peers/django_helpdesk/bench.sh`` with the same corpus (its
   import is one ``manage.py get_email`` over a local directory); the list and API
   parts are kept tiny (``--peer-t``/``--peer-reqs``/``--peer-creates``) unless asked;
3. Capdesk: a fresh data dir, ``capdesk migrate``, ``capdesk smtpd`` on a free port of
   127.0.0.1 and the workers as ``capdesk run`` starts them (intake's, and the outbound
   queue's that delivers the replies); every corpus message is delivered over real
   SMTP in file order on one connection, then we wait (bounded) until nothing is pending.

4. the floor, before and after the Capdesk passes: stdlib ``email`` parse plus one bare
   autocommitted ``sqlite3`` INSERT per message into a WAL database, same files;
5. Capdesk straight through the intake function (no SMTP, no worker process): in one
   process, ``smtpd.store_message`` (``intake.receive``) then the worker's task, either
   one message at a time or all received first and the tasks run after.

``--workers2`` adds an SMTP pass with two ``worker`` processes, as ``capdesk run
--workers 2`` starts them (each request is still processed once: its row is re-checked
under the write lock).

Capdesk's numbers are checked against the manifest in a child process
(``_check``) that reads Capdesk's database through the ORM.
"""

# ruff: noqa: S603, S607  (a benchmark: it runs our own interpreter, git, tar and the peer harness)

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import smtplib
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from benchkit import ROOT, SHARED, capdesk_env, log, make_corpus, snapshot

PEER_BENCH = SHARED / "peers" / "django_helpdesk" / "bench.sh"
PEER_PY = SHARED / "peers" / "django_helpdesk" / "peer.py"
SUPPORT = "support@liveupdate.example"  # == make_corpus.SUPPORT_ADDR
CAPDESK = [sys.executable, "-m", "capdesk.cli"]
PROCESS_TIMEOUT = 900.0  # seconds the worker may take after the last 250, whatever N is
STALL_TIMEOUT = 60.0  # seconds without one request leaving "pending" before we give up waiting
SRC = ROOT  # the code Capdesk runs from; a snapshot of --rev (HEAD) unless --working-tree


def manifest(corpus: Path, n: int) -> list[dict[str, Any]]:
    with open(corpus / "manifest.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for _, line in zip(range(n), f, strict=False)]


def expected_threading(msgs: list[dict[str, Any]]) -> dict[str, int]:
    """From the manifest alone: threadable replies (as the peer counts them) and those Capdesk should thread.

    Capdesk joins a reply to a ticket only when it comes from that ticket's requester
    (a stranger who knows a Message-ID must not write into someone else's ticket), so
    the second number replays the batch in file order with that rule.
    """
    mids = {m["message_id"] for m in msgs}
    threadable = sum(1 for m in msgs if m["kind"] == "reply" and m["in_reply_to"] in mids)
    ticket_of: dict[str, str] = {}  # message_id -> the message_id that opened its ticket
    requester: dict[str, str] = {}  # opening message_id -> requester address
    same_sender = 0
    for m in msgs:
        if m["kind"] == "autoreply":
            continue
        opener = ticket_of.get(m["in_reply_to"] or "")
        if m["kind"] == "reply" and opener and requester[opener] == m["from"].lower():
            ticket_of[m["message_id"]] = opener
            same_sender += 1
        else:
            ticket_of[m["message_id"]] = m["message_id"]
            requester[m["message_id"]] = m["from"].lower()
    return {"threadable": threadable, "threadable_same_sender": same_sender}


# --- the peer -------------------------------------------------------------------------


def run_peer(corpus: Path, n: int, args: argparse.Namespace) -> dict[str, str]:
    """``bench.sh`` with the same corpus; a run the peer aborts still reports what it left behind."""
    env = dict(
        os.environ,
        N=str(n),
        CORPUS=str(corpus),
        SEED=str(args.seed),
        T=str(args.peer_t),
        REQS=str(args.peer_reqs),
        CREATES=str(args.peer_creates),
    )
    home = Path(env.setdefault("PEER_HOME", str(Path.home() / ".cache" / "peer-django-helpdesk")))
    log(f"peer: N={n} T={args.peer_t} REQS={args.peer_reqs} CREATES={args.peer_creates} {PEER_BENCH}")
    done = subprocess.run(["bash", str(PEER_BENCH)], env=env, capture_output=True, text=True, timeout=1800)
    metrics = _metric_lines(done.stdout)
    metrics["exit_status"] = str(done.returncode)
    if done.returncode != 0:
        tail = [ln for ln in done.stderr.splitlines() if ln.strip()][-3:]
        metrics["error"] = " / ".join(tail)[-300:]
        # bench.sh stops at the failed import; count what it did before dying.
        metrics["import_failed_left_in_dir"] = str(sum(1 for _ in (home / "maildir").glob("*")))
        check = subprocess.run(
            [
                str(home / "venv" / "bin" / "python"),
                str(PEER_PY),
                "import-check",
                str(corpus / "manifest.jsonl"),
                str(n),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        metrics.update(_metric_lines(check.stdout))
    return metrics


def _metric_lines(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) == 3:
            out[parts[0]] = parts[1]
    return out


# --- Capdesk --------------------------------------------------------------------------


class Desk:
    """One fresh Capdesk data dir with ``capdesk smtpd`` and ``capdesk run``'s workers running."""

    def __init__(self, data_dir: Path, workers: int = 1) -> None:
        self.data_dir = data_dir
        self.workers = workers
        self.env = capdesk_env(data_dir, SUPPORT, SRC)
        self.children: list[subprocess.Popen[bytes]] = []
        self.port = 0

    def capdesk(self, *args: str, timeout: float = 600) -> str:
        done = subprocess.run(
            [*CAPDESK, *args], env=self.env, cwd=SRC, capture_output=True, text=True, timeout=timeout
        )
        if done.returncode:
            raise RuntimeError(f"capdesk {' '.join(args)} failed: {done.stderr[-2000:]}")
        return done.stdout

    def start(self, *, worker: bool = True) -> None:
        smtpd = self._spawn("smtpd", "--host", "127.0.0.1", "--port", "0")
        assert smtpd.stdout is not None
        deadline = time.monotonic() + 60
        line = b""
        while time.monotonic() < deadline and smtpd.poll() is None:
            line = smtpd.stdout.readline()
            if match := re.search(rb"on 127\.0\.0\.1:(\d+)", line):
                self.port = int(match.group(1))
                break
        if not self.port:
            raise RuntimeError(f"capdesk smtpd did not start: {line!r}")
        if worker:
            self.start_worker()

    def start_worker(self) -> None:
        # As `capdesk run --workers N` starts them: N for intake, each claiming its own tasks,
        # and one for the outbound queue (the replies' delivery; a revision before that queue
        # has no task on it).
        for i in range(1, self.workers + 1):
            self._spawn(
                "worker",
                *("--queue-name", "*", "--exclude-queues", "outbound"),
                *("--interval", "0.1", "--no-startup-delay", "--worker-id", f"bench-{i}"),
            )
        self._spawn(
            "worker",
            *("--queue-name", "outbound"),
            *("--interval", "0.1", "--no-startup-delay", "--worker-id", "bench-outbound"),
        )

    def _spawn(self, *args: str) -> subprocess.Popen[bytes]:
        logfile = open(self.data_dir / f"{args[0]}-{len(self.children)}.log", "wb")  # noqa: SIM115 (lives as long as the child)
        child = subprocess.Popen(
            [*CAPDESK, *args],
            env=self.env,
            cwd=SRC,
            start_new_session=True,
            stdout=subprocess.PIPE if args[0] == "smtpd" else logfile,
            stderr=logfile,
        )
        self.children.append(child)
        return child

    def stop(self) -> None:
        for child in self.children:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
        for child in self.children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
        self.children.clear()

    def counts(self) -> tuple[int, int]:
        """(inbound, pending), read straight from SQLite: cheap enough to poll without stealing the worker's CPU."""
        db = sqlite3.connect(f"file:{self.data_dir / 'capdesk.sqlite3'}?mode=ro", uri=True, timeout=20)
        try:
            row = db.execute(
                "SELECT COUNT(*), COALESCE(SUM(state = 'pending'), 0) FROM intake_inboundrequest"
            ).fetchone()
        finally:
            db.close()
        return int(row[0]), int(row[1])


def directory_file(msgs: list[dict[str, Any]], path: Path) -> Path:
    """Every corpus sender as a person in one paid (Team, active) organization, as app developers."""
    org = "00000000-0000-4000-8000-00000000be4c"
    senders = sorted({m["from"].lower() for m in msgs})
    path.write_text(
        json.dumps(
            {
                "organizations": [
                    {"capgo_id": org, "name": "Bench Org", "plan": "team", "subscription_status": "active"}
                ],
                "people": [
                    {"capgo_id": str(uuid.uuid5(uuid.NAMESPACE_URL, a)), "emails": [a]} for a in senders
                ],
                "bindings": [
                    {
                        "person": str(uuid.uuid5(uuid.NAMESPACE_URL, a)),
                        "organization": org,
                        "role": "app_developer",
                    }
                    for a in senders
                ],
            }
        )
    )
    return path


def run_capdesk(
    corpus: Path,
    n: int,
    work: Path,
    *,
    eightbit: bool,
    directory: bool,
    split: bool = False,
    workers: int = 1,
) -> dict[str, Any]:
    msgs = manifest(corpus, n)
    data_dir = Path(tempfile.mkdtemp(prefix="capdesk-", dir=work))
    desk = Desk(data_dir, workers)
    log(f"capdesk: data dir {data_dir}; migrate")
    desk.capdesk("migrate", "--no-input")
    if directory:
        desk.capdesk("directory", "import", str(directory_file(msgs, data_dir / "directory.json")))
    try:
        desk.start(worker=not split)
        log(f"capdesk: smtpd on 127.0.0.1:{desk.port}; delivering {n} messages")
        result = deliver(desk, corpus, msgs, eightbit=eightbit, split=split)
        stats = json.loads(desk.capdesk("stats", "--json"))
    finally:
        desk.stop()
    check = subprocess.run(
        [sys.executable, __file__, "_check", str(corpus / "manifest.jsonl"), str(n)],
        env={**desk.env, "PYTHONPATH": str(SRC)},
        cwd=SRC,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if check.returncode:
        raise RuntimeError(f"check failed: {check.stderr[-2000:]}")
    return {**result, "stats": stats, **json.loads(check.stdout), **expected_threading(msgs)}


def deliver(
    desk: Desk, corpus: Path, msgs: list[dict[str, Any]], *, eightbit: bool, split: bool
) -> dict[str, Any]:
    """Send every message in file order on one connection; wait until the worker has done them all.

    With ``split`` the worker starts only after the last 250, so acceptance and
    processing are timed apart (no contention for SQLite's single writer).
    """
    refused: Counter[str] = Counter()
    options = ["BODY=8BITMIME"] if eightbit else []
    t0 = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", desk.port, timeout=60) as smtp:
        smtp.ehlo("bench.localhost")
        for m in msgs:
            raw = (corpus / m["file"]).read_bytes()
            try:
                smtp.sendmail(parseaddr(m["from"])[1], [SUPPORT], raw, mail_options=options)
            except smtplib.SMTPResponseException as exc:
                refused[f"{exc.smtp_code}"] += 1
        t_accepted = time.perf_counter()
    if split:
        desk.start_worker()
    inbound, pending = desk.counts()
    backlog_at_accept = pending
    deadline = time.monotonic() + PROCESS_TIMEOUT
    last_progress, last_pending = time.monotonic(), pending
    while (pending or inbound < len(msgs) - sum(refused.values())) and time.monotonic() < deadline:
        time.sleep(0.1)
        inbound, pending = desk.counts()
        if pending != last_pending:
            last_progress, last_pending = time.monotonic(), pending
        elif time.monotonic() - last_progress > STALL_TIMEOUT:
            log(
                f"capdesk: {pending} pending and no progress for {STALL_TIMEOUT:.0f} s; see {desk.data_dir}/*.log"
            )
            break
    t_done = time.perf_counter()
    return {
        "delivered": len(msgs),
        "refused": dict(refused),
        "smtp_wall": t_accepted - t0,
        "processing_wall": t_done - t_accepted,
        "end_to_end_wall": t_done - t0,
        "backlog_at_last_250": backlog_at_accept,
        "pending_at_end": pending,
        "timed_out": pending > 0,
    }


def check(manifest_path: Path, n: int) -> None:
    """Runs in a child with Capdesk's environment: compare the database with the manifest."""
    import django

    django.setup()
    from capdesk.intake.models import InboundRequest
    from capdesk.notify.models import OutboundEmail
    from capdesk.tickets.models import Attachment, Message, Ticket

    msgs = manifest(manifest_path.parent, n)
    rows = {
        key.strip("<>"): (state, reason, ticket)
        for key, state, reason, ticket in InboundRequest.objects.filter(channel="email").values_list(
            "idempotency_key", "state", "reason", "ticket_id"
        )
    }
    mid = {m["message_id"]: m["message_id"].strip("<>") for m in msgs}
    missing = [m["message_id"] for m in msgs if mid[m["message_id"]] not in rows]
    threaded = wrong = 0
    for m in msgs:
        if m["kind"] != "reply" or m["in_reply_to"] not in mid:
            continue
        mine, parent = rows.get(mid[m["message_id"]]), rows.get(mid[m["in_reply_to"]])
        if mine and parent and mine[2] and mine[2] == parent[2]:
            threaded += 1
    openers = Counter(t for _, (_, _, t) in rows.items() if t)
    on_existing = sum(c - 1 for c in openers.values())
    auto_kinds = Counter(
        m["kind"]
        for m in msgs
        if rows.get(mid[m["message_id"]], ("", "", 0))[1].startswith("automatic message ignored")
    )
    quarantine = Counter(
        re.sub(r"\d+", "N", reason)[:120] for state, reason, _ in rows.values() if state == "quarantined"
    )
    wrong = sum(
        1 for m in msgs if m["kind"] == "autoreply" and rows.get(mid[m["message_id"]], ("", "", 0))[2]
    )
    result = {
        "inbound": len(rows),
        "states": dict(Counter(state for state, _, _ in rows.values())),
        "tickets": Ticket.objects.count(),
        "messages": Message.objects.count(),
        "attachments": Attachment.objects.count(),
        "outbox": OutboundEmail.objects.count(),
        "outbox_states": dict(Counter(OutboundEmail.objects.values_list("state", flat=True))),
        "outcomes": dict(Counter(Ticket.objects.values_list("outcome", flat=True))),
        "replies_threaded": threaded,
        "on_existing_tickets": on_existing,
        "autoreplies_in_batch": sum(1 for m in msgs if m["kind"] == "autoreply"),
        "ignored_automatic_by_kind": dict(auto_kinds),
        "autoreplies_with_ticket": wrong,
        "quarantined": dict(quarantine),
        "missing": len(missing),
        "missing_examples": missing[:5],
    }
    print(json.dumps(result))


# --- the floor and the direct pass ------------------------------------------------------


def run_floor(corpus: Path, n: int, work: Path) -> dict[str, Any]:
    """The least any desk must do: stdlib ``email`` parse and one bare INSERT per message.

    Same files, same order; SQLite in WAL mode with ``synchronous=NORMAL`` (Capdesk's and
    the peer's setting), one autocommitted INSERT per message, so each is durable the way
    a 250 or the peer's import is. No threading, no auto-reply check, no ticket.
    """
    import email
    import email.policy

    msgs = manifest(corpus, n)
    path = Path(tempfile.mkdtemp(prefix="floor-", dir=work)) / "floor.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(
        "CREATE TABLE message (id INTEGER PRIMARY KEY, message_id TEXT UNIQUE, sender TEXT, subject TEXT, body TEXT)"
    )
    t0, c0 = time.perf_counter(), time.process_time()
    for m in msgs:
        raw = (corpus / m["file"]).read_bytes()
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        body = msg.get_body(("plain", "html"))
        db.execute(
            "INSERT INTO message (message_id, sender, subject, body) VALUES (?, ?, ?, ?)",
            (
                str(msg["Message-ID"]),
                str(msg["From"]),
                str(msg["Subject"]),
                body.get_content() if body else "",
            ),
        )
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    stored = db.execute("SELECT COUNT(*) FROM message").fetchone()[0]
    db.close()
    return {"wall": wall, "cpu": cpu, "stored": stored}


def run_direct(corpus: Path, n: int, work: Path, mode: str) -> dict[str, Any]:
    """What the SMTP receiver calls after DATA (``smtpd.store_message``: ``intake.receive`` keyed
    by Message-ID), then the worker's task, called in one process: no SMTP, no polling.

    ``each``: receive one message, then run its task (what a worker keeping up does).
    ``backlog``: receive all, then run the tasks in order as a worker catching up does: each
    takes the pending requests after it along, and the tasks of those it wrote are skipped.
    """
    data_dir = Path(tempfile.mkdtemp(prefix=f"direct-{mode}-", dir=work))
    desk = Desk(data_dir)
    desk.capdesk("migrate", "--no-input")
    env = {**desk.env, "PYTHONPATH": str(SRC)}
    done = subprocess.run(
        [sys.executable, __file__, "_direct", str(corpus / "manifest.jsonl"), str(n), mode],
        env=env,
        cwd=SRC,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if done.returncode:
        raise RuntimeError(f"direct pass failed: {done.stderr[-2000:]}")
    timing = json.loads(done.stdout)
    checked = subprocess.run(
        [sys.executable, __file__, "_check", str(corpus / "manifest.jsonl"), str(n)],
        env=env,
        cwd=SRC,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if checked.returncode:
        raise RuntimeError(f"check failed: {checked.stderr[-2000:]}")
    stats = json.loads(desk.capdesk("stats", "--json"))
    return {**timing, "stats": stats, **json.loads(checked.stdout), **expected_threading(manifest(corpus, n))}


def direct(manifest_path: Path, n: int, mode: str) -> None:
    """Runs in a child with Capdesk's environment: the timed loop of ``run_direct``."""
    import django

    django.setup()
    from capdesk.intake.smtpd import store_message
    from capdesk.intake.tasks import process_inbound

    corpus = manifest_path.parent
    raws = [(corpus / m["file"]).read_bytes() for m in manifest(corpus, n)]
    # Load the classifier and the policy before the clock starts, as a running worker has.
    from capdesk.policy.classifier import classify

    classify("warm up", "the model loads once per process")
    t0, c0 = time.perf_counter(), time.process_time()
    if mode == "each":
        for raw in raws:
            process_inbound.call(store_message(raw).request.pk)
    else:
        ids = [store_message(raw).request.pk for raw in raws]
        t_received = time.perf_counter() - t0
        done: set[int] = set()
        for pk in ids:
            # A task whose request an earlier batch took along was recorded as done by that
            # batch (tasks.reconcile_taken_along); the worker never runs it, so neither does this.
            if pk not in done:
                done.update(process_inbound.call(pk) or [])
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    out = {"wall": wall, "cpu": cpu}
    if mode != "each":
        out["receive_wall"] = t_received
    print(json.dumps(out))


# --- report ---------------------------------------------------------------------------


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "n/a"


def table(n: int, cap: dict[str, Any], peer: dict[str, str]) -> list[str]:
    smtp_rate = n / cap["smtp_wall"]
    e2e_rate = (n - cap["stats"]["pending"]) / cap["end_to_end_wall"]
    peer_rate = float(peer.get("import_rate", "nan"))
    threadable = cap["threadable"]
    peer_left = int(peer.get("import_failed_left_in_dir", "0") or 0)
    peer_done, peer_stopped = n - peer_left, peer_left > 0
    rows = [
        ("messages delivered", n, peer.get("import_messages", n), ""),
        ("SMTP acceptance (to the last 250), msg/s", f"{smtp_rate:.1f}", "—", ""),
        (
            "end to end (to nothing pending) / peer import, msg/s",
            f"{e2e_rate:.1f}",
            f"{peer_rate:.1f}" + (f" (over the {peer_done} it did before stopping)" if peer_stopped else ""),
            "n/a" if peer_stopped else ratio(e2e_rate, peer_rate),
        ),
        (
            "processing after the last 250 (worker), msg/s",
            f"{(n - cap['backlog_at_last_250'] + cap['backlog_at_last_250']) / cap['processing_wall']:.1f}"
            if cap["backlog_at_last_250"] == n
            else "— (worker ran during delivery)",
            "—",
            "",
        ),
        (
            "wall, s",
            f"{cap['end_to_end_wall']:.2f} (SMTP {cap['smtp_wall']:.2f})",
            peer.get("import_wall", "?"),
            "",
        ),
        ("tickets created", cap["tickets"], peer.get("import_tickets_created", "?"), ""),
        ("replies threadable (parent in batch)", threadable, peer.get("import_replies_threadable", "?"), ""),
        ("… of them from the ticket's requester (Capdesk's rule)", cap["threadable_same_sender"], "—", ""),
        (
            "replies threaded onto the parent's ticket",
            cap["replies_threaded"],
            f"{peer.get('import_followups_created', '?')} (follow-ups on existing tickets)",
            "",
        ),
        (
            "auto-replies in batch / ignored (no ticket)",
            f"{cap['autoreplies_in_batch']} / {cap['ignored_automatic_by_kind'].get('autoreply', 0)}",
            f"{peer.get('import_autoreplies_in_batch', '?')} / 0 (each a ticket)",
            "",
        ),
        (
            "quarantined (Capdesk) / failed, left in dir (peer)",
            sum(cap["quarantined"].values()),
            peer.get("import_failed_left_in_dir", "?"),
            "",
        ),
        ("messages missing (lost)", cap["missing"], peer.get("import_messages_missing_in_db", "?"), ""),
        ("attachments stored", cap["attachments"], peer.get("import_attachments_stored", "?"), ""),
    ]
    out = ["| metric | capdesk | peer | ratio capdesk/peer |", "|---|---|---|---|"]
    out += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return out


def side_by_side(
    n: int,
    smtp: dict[str, Any],
    direct_passes: dict[str, dict[str, Any]],
    peer: dict[str, str],
    floors: list[dict[str, Any]],
) -> list[str]:
    """One table: Capdesk over SMTP and straight through ``intake``, the peer and the floor."""
    peer_rate = float(peer.get("import_rate", "nan") or "nan")
    floor_rate = max((f["stored"] / f["wall"] for f in floors), default=float("nan"))
    passes: list[tuple[str, dict[str, Any], float]] = [
        (
            "Capdesk over SMTP, worker running (end to end)",
            smtp,
            (n - smtp["stats"]["pending"]) / smtp["end_to_end_wall"],
        )
    ]
    names = {
        "each": "Capdesk direct: receive + task, one by one",
        "backlog": "Capdesk direct: receive all, then tasks",
    }
    for mode, d in direct_passes.items():
        passes.append((names[mode], d, (n - d["stats"]["pending"]) / d["wall"]))
    out = [
        "| pass | msg/s | x peer | % of floor | tickets | replies threaded (of threadable / same sender) "
        "| auto-replies without ticket | quarantined | lost |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r, rate in passes:
        cpu = f", CPU {r['cpu'] / n * 1000:.1f} ms/msg" if "cpu" in r else ""
        out.append(
            f"| {name} | **{rate:.1f}** ({(r.get('wall') or r['end_to_end_wall']):.1f} s{cpu}) "
            f"| {ratio(rate, peer_rate)} | {100 * rate / floor_rate:.1f} % | {r['tickets']} "
            f"| {r['replies_threaded']} ({r['threadable']} / {r['threadable_same_sender']}) "
            f"| {r['ignored_automatic_by_kind'].get('autoreply', 0)} of {r['autoreplies_in_batch']} "
            f"| {sum(r['quarantined'].values())} | {r['missing']} |"
        )
    out.append(
        f"| peer: django-helpdesk `get_email` | **{peer_rate:.1f}** ({peer.get('import_wall', '?')} s) | 1.00 "
        f"| {100 * peer_rate / floor_rate:.1f} % | {peer.get('import_tickets_created', '?')} "
        f"| {peer.get('import_followups_created', '?')} ({peer.get('import_replies_threadable', '?')} / —) "
        f"| 0 of {peer.get('import_autoreplies_in_batch', '?')} | {peer.get('import_failed_left_in_dir', '?')} "
        f"| {peer.get('import_messages_missing_in_db', '?')} |"
    )
    for i, f in enumerate(floors):
        rate = f["stored"] / f["wall"]
        out.append(
            f"| floor ({'before' if i == 0 else 'after'} Capdesk): stdlib parse + one INSERT "
            f"| **{rate:.1f}** ({f['wall']:.2f} s, CPU {f['cpu'] / n * 1000:.2f} ms/msg) "
            f"| {ratio(rate, peer_rate)} | {100 * rate / floor_rate:.1f} % | — | — | — | — | {n - f['stored']} |"
        )
    return out


def details(cap: dict[str, Any], peer: dict[str, str]) -> list[str]:
    lines = [
        f"- Capdesk states: {cap['states']}; outcomes: {cap['outcomes']}; messages {cap['messages']}; "
        f"outbox rows {cap['outbox']} {cap['outbox_states']}; SMTP refusals {cap['refused'] or 'none'}; "
        f"backlog at the last 250: {cap['backlog_at_last_250']}; timed out: {cap['timed_out']}",
        f"- Capdesk ignored as automatic, by corpus kind: {cap['ignored_automatic_by_kind']}; "
        f"auto-replies that got a ticket: {cap['autoreplies_with_ticket']}",
    ]
    if cap["quarantined"]:
        lines.append(f"- Capdesk quarantine reasons: {cap['quarantined']}")
    if peer.get("exit_status", "0") != "0":
        lines.append(f"- peer bench.sh exit status {peer['exit_status']}: {peer.get('error', '')}")
    return lines


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_check":
        check(Path(sys.argv[2]), int(sys.argv[3]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_direct":
        direct(Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--count", type=int, default=2000, help="messages in the main run (the peer's default)"
    )
    parser.add_argument(
        "--count-8bit", type=int, default=500, help="messages in the raw 8-bit run; 0 skips it"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--directory",
        action="store_true",
        help="also run with every sender imported into the directory (verify_sender path)",
    )
    parser.add_argument(
        "--split",
        action="store_true",
        help="also run with the worker started after the last 250: acceptance and processing apart",
    )
    parser.add_argument(
        "--workers2",
        action="store_true",
        help="also run over SMTP with two worker processes (as `capdesk run --workers 2`)",
    )
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--no-floor", action="store_true", help="skip the stdlib-parse + bare-INSERT floor")
    parser.add_argument(
        "--no-direct", action="store_true", help="skip the passes straight through the intake function"
    )
    parser.add_argument("--peer-t", type=int, default=0, help="peer's T (tickets for its list test)")
    parser.add_argument("--peer-reqs", type=int, default=5)
    parser.add_argument("--peer-creates", type=int, default=5)
    parser.add_argument("--work", type=Path, default=None, help="work dir (default: a new temp dir)")
    parser.add_argument("--json", type=Path, default=None, help="also write every raw number here")
    parser.add_argument(
        "--working-tree",
        action="store_true",
        help="run Capdesk from the working tree instead of a snapshot of --rev",
    )
    parser.add_argument(
        "--rev", default="HEAD", help="the git revision Capdesk runs from (a snapshot); default HEAD"
    )
    args = parser.parse_args()
    # A SIGTERM (timeout, Ctrl-C from a wrapper) must still run the finally that stops our servers.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))
    work = args.work or Path(tempfile.mkdtemp(prefix="intake-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    global SRC
    if args.working_tree:
        revision = "working tree"
    else:
        SRC, sha = snapshot(work, args.rev)
        revision = f"{args.rev} {sha}"
    log(f"capdesk from {SRC} ({revision}); work dir {work}")
    print(f"Capdesk code: {revision}")
    # (title, messages, 8-bit corpus, senders in the directory, worker after the last 250, workers)
    runs: list[tuple[str, int, bool, bool, bool, int]] = [
        ("quoted-printable corpus, senders unknown", args.count, False, False, False, 1)
    ]
    if args.split:
        runs.append(
            (
                "same, worker started after the last 250 (acceptance and processing apart)",
                args.count,
                False,
                False,
                True,
                1,
            )
        )
    if args.workers2:
        runs.append(("same, two worker processes", args.count, False, False, False, 2))
    if args.directory:
        runs.append(("quoted-printable corpus, senders in the directory", args.count, False, True, False, 1))
    if args.count_8bit:
        runs.append(
            ("raw 8-bit corpus (--legacy-cte 8bit), senders unknown", args.count_8bit, True, False, False, 1)
        )
    report: dict[str, Any] = {}
    for title, n, eightbit, directory, split, workers in runs:
        corpus = make_corpus(
            work / f"corpus-s{args.seed}-n{n}{'-8bit' if eightbit else ''}", n, args.seed, eightbit=eightbit
        )
        peer: dict[str, str] = {}
        if directory or split or workers > 1:
            peer = report[runs[0][0]]["peer"]  # same corpus; the peer's run 1 numbers stand
        elif not args.no_peer:
            peer = run_peer(corpus, n, args)
        main_run = not (eightbit or directory or split or workers > 1)
        floors = [run_floor(corpus, n, work)] if main_run and not args.no_floor else []
        cap = run_capdesk(
            corpus, n, work, eightbit=eightbit, directory=directory, split=split, workers=workers
        )
        direct_passes: dict[str, dict[str, Any]] = {}
        if main_run and not args.no_direct:
            for mode in ("each", "backlog"):
                log(f"capdesk: straight through the intake function ({mode}), {n} messages")
                direct_passes[mode] = run_direct(corpus, n, work, mode)
        if floors:
            floors.append(run_floor(corpus, n, work))  # again at the end: the machine's load drifts
        report[title] = {"capdesk": cap, "peer": peer, "direct": direct_passes, "floor": floors}
        print(f"\n### {title}, N={n}\n")
        print("\n".join(table(n, cap, peer)))
        print()
        print("\n".join(details(cap, peer)))
        if direct_passes or floors:
            print()
            print("\n".join(side_by_side(n, cap, direct_passes, peer, floors)))
        sys.stdout.flush()
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, default=str))


if __name__ == "__main__":
    main()
