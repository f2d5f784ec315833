"""Load: portal users signing in by magic link, listing and filing requests, while mail arrives by SMTP.

Run: ``.venv/bin/python bench/load_bench.py [--users 50] [--seconds 300] [--mail-rate 20] [--postgres]``

Issue 8, point 5, bounded. Without ``--postgres``: the embedded default (SQLite,
``capdesk run`` with its 8 web threads, one worker, smtpd and the scheduler). With it:
a throwaway PostgreSQL cluster (``capdesk.testing.postgres``) and two web processes,
``capdesk run`` (web, worker, smtpd, scheduler) plus ``capdesk run --no-smtp --workers 0``
(a second web server) on the same data dir; each user sends its requests to the two
ports in turn (round robin in the client; sessions live in the database). One run:

1. a fresh data dir, ``capdesk migrate``, ``--users`` people imported into the
   directory (one paid organization), the desk on free ports of 127.0.0.1 with
   outgoing mail written as ``.eml`` files;
2. sign-in, before the load (the magic links travel through the same task queue as
   the mail, so they would otherwise wait behind it): every user asks for a link, the
   link is read from the outbox files and redeemed (GET shows a button, POST signs in);
3. for ``--seconds``: each user (a thread with its own ``http.client`` connections and
   cookies) lists its requests, thinks 0.5-1.5 s, and every tenth turn files a new
   one; at the same time one SMTP session offers ``--mail-rate`` messages/s
   (``make_corpus.py``), each tried once: a refusal is an error;
4. latency percentiles and error counts per operation, the backlog at the end of the
   load and how long the worker took to drain it, and the exactly-once check of
   every accepted request (``capdesk.testing.desk.exactly_once``).

The helpers are shared with the CI variant, capdesk/core/tests/test_load_short.py.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchkit import ROOT, make_corpus, snapshot_head

from capdesk.testing.desk import Desk, log
from capdesk.testing.postgres import ThrowawayPostgres
from capdesk.testing.traffic import (
    Browser,
    Filed,
    MailLoader,
    Recorder,
    corpus_mail,
    people_file,
    sign_in_all,
    user_loop,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--mail-rate", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="A throwaway PostgreSQL and two web processes (a second `capdesk run --no-smtp --workers 0`).",
    )
    parser.add_argument(
        "--drain-timeout", type=float, default=600.0, help="Seconds to wait, after the load, for the backlog."
    )
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "capdesk-load-bench")
    parser.add_argument("--working-tree", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    src, sha = (ROOT, "working tree") if args.working_tree else snapshot_head(args.work)
    n = int(args.seconds * args.mail_rate * 1.2) + 100
    corpus = make_corpus(args.work / f"corpus-{n}-{args.seed}", n, args.seed)
    data_dir = Path(tempfile.mkdtemp(prefix="load-", dir=args.work))
    pg = ThrowawayPostgres().start() if args.postgres else None
    url = pg.url if pg else ""
    desks = [Desk(data_dir, src, database_url=url)]
    if pg:
        # Same data dir (one SECRET_KEY, so either process reads the other's sessions), no
        # SMTP receiver and no worker: a second web server (and an idle second scheduler).
        desks.append(Desk(data_dir, src, database_url=url, run_args=["--no-smtp", "--workers", "0"]))
    for desk in desks:
        mail_dir = desk.write_mail_to_files()  # magic links are read from the .eml files
    main_desk = desks[0]
    log(f"code {sha}; data dir {data_dir}; {'PostgreSQL ' + url.split('@')[1] if pg else 'SQLite'}")
    main_desk.capdesk("migrate", "--no-input")
    addresses = people_file(args.users, data_dir / "directory.json")
    main_desk.capdesk("directory", "import", str(data_dir / "directory.json"))
    rec, filed, stop = Recorder(), Filed(), threading.Event()
    threads: list[threading.Thread] = []
    try:
        for desk in desks:
            desk.start()
        ports = [d.web_port for d in desks]
        log(
            f"desk up: web 127.0.0.1:{ports}, smtp 127.0.0.1:{main_desk.smtp_port}; signing in {args.users} users"
        )
        browsers = [Browser(ports, rec) for _ in addresses]
        t0 = time.monotonic()
        signed = sign_in_all(browsers, addresses, mail_dir)
        sign_in_wall = time.monotonic() - t0
        log(
            f"{sum(signed)} of {len(signed)} signed in after {sign_in_wall:.1f} s; load for {args.seconds:.0f} s"
        )
        threads = [
            threading.Thread(target=user_loop, args=(b, i, stop, args.seed, filed), daemon=True)
            for i, b in enumerate(browsers)
            if signed[i]
        ]
        mail = MailLoader(main_desk.smtp_port, corpus_mail(corpus), args.mail_rate, stop, rec, tries=1)
        threads.append(mail)
        t1 = time.monotonic()
        for t in threads:
            t.start()
        stop.wait(args.seconds)
        stop.set()
        for t in threads:
            t.join(timeout=90)
        load_wall = time.monotonic() - t1
        stats_at_end = json.loads(main_desk.capdesk("stats", "--json"))
        t2 = time.monotonic()
        while main_desk.pending()[0] and time.monotonic() - t2 < args.drain_timeout:
            time.sleep(5)
        drain_wall = time.monotonic() - t2
    finally:
        stop.set()
        for desk in desks:
            desk.stop()
    report = main_desk.check([*mail.accepted, *filed.accepted])
    if pg:
        pg.stop()
    result = {
        "sha": sha,
        "database": "postgresql" if pg else "sqlite",
        "web_processes": len(desks),
        "users": args.users,
        "signed_in": sum(signed),
        "sign_in_wall_s": round(sign_in_wall, 1),
        "seconds": args.seconds,
        "load_wall_s": round(load_wall, 1),
        "mail_rate": args.mail_rate,
        "operations": rec.table(),
        "stats_at_end_of_load": stats_at_end,
        "drain_after_load_s": round(drain_wall, 1),
        "exactly_once": report,
    }
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 1 if report["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
