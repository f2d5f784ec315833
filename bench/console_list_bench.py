"""The console's ticket list against the peer django-helpdesk's list, at the same number of tickets, in one run.

Run: ``.venv/bin/python bench/console_list_bench.py [--tickets 20000] [--reqs 200]``

The peer: ``shared/peers/django_helpdesk/bench.sh`` with ``T`` tickets (its import kept
small with ``--peer-n``); its ``list_json`` is the server-side DataTables endpoint, 25
rows of JSON. Capdesk: a fresh data dir from a snapshot of HEAD, ``T`` tickets made
with ``bulk_create`` (one customer message each, 70 % open like the peer's seed),
waitress on a free port of 127.0.0.1 as ``capdesk run`` starts it, and one staff user
logged in through the console's form, and ``capdesk scheduler`` beside it (as ``capdesk run``
starts them; its first turn takes SQLite's planner statistics and the side counts).
``GET /console/?view=open`` renders a page of 50 rows of HTML plus the side panels. Both
clients are sequential, warmed with 5 requests.
"""

# ruff: noqa: S603  (a benchmark: it runs our own interpreter and the peer harness)

from __future__ import annotations

import argparse
import contextlib
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchkit import log, make_corpus, pct, snapshot_head
from intake_bench import CAPDESK, Desk, run_peer

from capdesk.testing.desk import free_port

USER, PASSWORD = "bench-agent", "bench-agent-pass-4f9c"


def seed(count: int) -> None:
    """Runs in a child with Capdesk's environment: ``count`` tickets, one message each, and a staff user."""
    import django

    django.setup()
    from datetime import timedelta

    from django.contrib.auth.models import User
    from django.utils import timezone

    from capdesk.tickets.models import Message, Queue, Status, Ticket

    queue, _ = Queue.objects.get_or_create(slug="support", defaults={"name": "Support"})
    statuses = [
        Status.NEW,
        Status.OPEN,
        Status.OPEN,
        Status.PENDING,
        Status.OPEN,
        Status.ON_HOLD,
        Status.OPEN,
        Status.SOLVED,
        Status.SOLVED,
        Status.CLOSED,
    ]  # 70 % open, as the peer's seed
    now = timezone.now()
    for start in range(0, count, 2000):
        batch = Ticket.objects.bulk_create(
            [
                Ticket(
                    subject=f"Seeded ticket {i}: bundle upload fails on channel production",
                    requester_email=f"user{i % 500}@example{i % 150}.com",
                    channel="email",
                    status=statuses[i % 10],
                    queue=queue,
                    created_at=now - timedelta(minutes=count - i),
                    next_deadline=now + timedelta(minutes=i % 5000) if statuses[i % 10] != "solved" else None,
                )
                for i in range(start, min(count, start + 2000))
            ]
        )
        Message.objects.bulk_create(
            [
                Message(
                    ticket=t,
                    author_kind="customer",
                    author_email=t.requester_email,
                    body_text="Seeded description " * 10,
                    body_html="<p>" + "Seeded description " * 10 + "</p>",
                )
                for t in batch
            ]
        )
    User.objects.create_user(USER, "agent@liveupdate.example", PASSWORD, is_staff=True)
    print(Ticket.objects.filter(status__in=("new", "open", "pending", "on_hold")).count())


def _wait_for_first_turn(db: Path) -> None:
    """Until the scheduler has counted the side panel (its first turn has run), for up to 60 s."""
    import sqlite3

    for _ in range(300):
        with contextlib.closing(sqlite3.connect(db, timeout=5)) as conn:
            try:
                if conn.execute("SELECT count(*) FROM console_opencounts").fetchone()[0]:
                    return
            except sqlite3.OperationalError:
                pass
        time.sleep(0.2)
    raise RuntimeError("the scheduler did not run its first turn in 60 s; see scheduler.log")


def measure_capdesk(desk: Desk, src: Path, reqs: int) -> dict[str, float]:
    import requests

    port = free_port()
    logfile = open(desk.data_dir / "web.log", "wb")  # noqa: SIM115 (lives as long as the child)
    web = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "waitress",
            f"--listen=127.0.0.1:{port}",
            "--threads=8",
            "--ident=capdesk",
            "--call",
            "capdesk.wsgi:served",
        ],
        env=desk.env,
        cwd=src,
        start_new_session=True,
        stdout=logfile,
        stderr=logfile,
    )
    desk.children.append(web)
    # And the scheduler, as `capdesk run` starts it beside the web server: on its first turn it
    # takes SQLite's planner statistics and counts the side panel's open tickets, then keeps at it
    # (every 5 minutes and every 30 s) while the requests run, as on a live desk.
    scheduler_log = open(desk.data_dir / "scheduler.log", "wb")  # noqa: SIM115 (lives as long as the child)
    desk.children.append(
        subprocess.Popen(
            [*CAPDESK, "scheduler"],
            env=desk.env,
            cwd=src,
            start_new_session=True,
            stdout=scheduler_log,
            stderr=scheduler_log,
        )
    )
    _wait_for_first_turn(desk.data_dir / "capdesk.sqlite3")
    base = f"http://127.0.0.1:{port}"
    s = requests.Session()
    for _ in range(150):  # up to ~30 s for the server to import Django
        try:
            s.get(f"{base}/console/login/", timeout=5).raise_for_status()
            break
        except requests.RequestException:
            if web.poll() is not None:
                raise RuntimeError("waitress died; see web.log") from None
            time.sleep(0.2)
    page = s.get(f"{base}/console/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, "no CSRF token on the login page"
    r = s.post(
        f"{base}/console/login/",
        data={"username": USER, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
        headers={"Referer": base + "/console/login/"},
        allow_redirects=False,
        timeout=10,
    )
    assert r.status_code == 302, f"login failed: {r.status_code}"
    url = f"{base}/console/?view=open"
    rows = len(set(re.findall(r'href="/console/tickets/(CAP-\d+)/"', s.get(url, timeout=60).text)))
    page = _timed(s, url, reqs, {})
    # The queue's data: the rows alone, as htmx asks for them when a filter changes.
    data = _timed(s, url, reqs, {"HX-Request": "true"})
    return {
        "rows_on_page": rows,
        "p50": page["p50"],
        "p95": page["p95"],
        "mean": page["mean"],
        "errors": page["errors"] + data["errors"],
        "data_p50": data["p50"],
        "data_p95": data["p95"],
    }


def _timed(s: Any, url: str, reqs: int, headers: dict[str, str]) -> dict[str, float]:
    """``reqs`` sequential GETs after 5 warm-up ones: p50, p95, mean in ms, and the non-200 answers."""
    lat, bad = [], 0
    for i in range(5 + reqs):
        t = time.perf_counter()
        resp = s.get(url, timeout=60, headers=headers)
        ms = (time.perf_counter() - t) * 1000
        if i >= 5:
            lat.append(ms)
            bad += resp.status_code != 200
    return {"p50": pct(lat, 50), "p95": pct(lat, 95), "mean": statistics.fmean(lat), "errors": bad}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_seed":
        seed(int(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=20000, help="T, tickets in each database")
    parser.add_argument("--reqs", type=int, default=200)
    parser.add_argument("--peer-n", type=int, default=200, help="messages the peer imports before seeding")
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))
    work = args.work or Path(tempfile.mkdtemp(prefix="list-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    src, sha = snapshot_head(work)
    corpus = make_corpus(work / f"corpus-s1-n{args.peer_n}", args.peer_n, 1)
    peer_args = argparse.Namespace(seed=1, peer_t=args.tickets, peer_reqs=args.reqs, peer_creates=5)
    peer = run_peer(corpus, args.peer_n, peer_args)

    import intake_bench

    intake_bench.SRC = src
    desk = Desk(Path(tempfile.mkdtemp(prefix="capdesk-", dir=work)))
    desk.capdesk("migrate", "--no-input")
    log(f"capdesk: seeding {args.tickets} tickets")
    done = subprocess.run(
        [sys.executable, __file__, "_seed", str(args.tickets)],
        env={**desk.env, "PYTHONPATH": str(src)},
        cwd=src,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    open_count = int(done.stdout.strip().splitlines()[-1])
    try:
        log("capdesk: measuring GET /console/?view=open")
        cap = measure_capdesk(desk, src, args.reqs)
    finally:
        desk.stop()
    p50, p95 = float(peer.get("list_json_p50", "nan")), float(peer.get("list_json_p95", "nan"))
    print(f"Capdesk code: HEAD {sha}; T={args.tickets}, {args.reqs} sequential requests after 5 warm-up\n")
    print("| metric | capdesk `/console/?view=open` | peer `list_json` | ratio capdesk/peer |")
    print("|---|---|---|---|")
    print(f"| open tickets in the DB | {open_count} | {peer.get('list_open_tickets_shown', '?')} | |")
    print(f"| rows in one response | {cap['rows_on_page']} (HTML) | 25 (JSON) | |")
    print(f"| p50, ms | {cap['p50']:.1f} | {p50:.1f} | {cap['p50'] / p50:.2f} |")
    print(f"| p95, ms | {cap['p95']:.1f} | {p95:.1f} | {cap['p95'] / p95:.2f} |")
    print(f"| rows only (htmx), p50, ms | {cap['data_p50']:.1f} | {p50:.1f} | {cap['data_p50'] / p50:.2f} |")
    print(f"| rows only (htmx), p95, ms | {cap['data_p95']:.1f} | {p95:.1f} | {cap['data_p95'] / p95:.2f} |")
    print(f"| errors | {cap['errors']} | {peer.get('list_json_errors', '?')} | |")
    if peer.get("exit_status") != "0":
        print(f"\npeer bench.sh failed: {peer.get('error')}")


if __name__ == "__main__":
    main()
