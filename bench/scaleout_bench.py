"""Scale-out: one against two ``capdesk db_worker --batch`` processes draining one PostgreSQL backlog.

Run: ``.venv/bin/python bench/scaleout_bench.py [--count 10000] [--working-tree]``

Issue 8, point 7. One run does, in this order:

1. a throwaway PostgreSQL cluster (as ``.ci/run`` starts one: the ``postgres`` OS user,
   a temp dir, a free port on 127.0.0.1, fsync off), stopped and deleted at the end;
2. the corpus: ``/work/shared/bench/make_corpus.py --count N`` (RFC 5322 messages);
3. for 1 worker, then 2 workers: a fresh database, ``capdesk migrate``, the backlog
   stored by ``intake.actions.receive(channel="email")`` in a child process (each call
   stores the request and enqueues its task in one transaction), then that many
   ``capdesk db_worker --batch`` processes started together and timed until all exit;
4. a check in a child process reading the database through the ORM: every request
   processed or quarantined, none attempted twice, no request with two customer
   messages or two tickets, one task result that did the work per request.

It exits non-zero if a check fails or two workers were not faster than one.
"""

# ruff: noqa: S603  (a benchmark: it runs our own interpreter, git, tar and PostgreSQL's tools)

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchkit import ROOT, capdesk_env, log, make_corpus, snapshot_head

from capdesk.testing.desk import BATCH_WORKER, CAPDESK
from capdesk.testing.postgres import ThrowawayPostgres

DRAIN_TIMEOUT = 3600.0  # seconds a drain may take, whatever N is
SUPPORT = "support@liveupdate.example"  # == make_corpus.SUPPORT_ADDR


def desk_env(database_url: str, data_dir: Path, src: Path) -> dict[str, str]:
    return {**capdesk_env(data_dir, SUPPORT, src), "DATABASE_URL": database_url}


def capdesk(env: dict[str, str], src: Path, *args: str, timeout: float = 900) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "capdesk.cli", *args],
        env=env,
        cwd=src,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode:
        raise RuntimeError(f"capdesk {' '.join(args)} failed: {done.stderr[-2000:]}")
    return done.stdout


def drain(env: dict[str, str], src: Path, workers: int, logs: Path) -> float:
    """Start ``workers`` batch workers together; seconds until the last one exits."""
    children: list[subprocess.Popen[bytes]] = []
    try:
        t0 = time.perf_counter()
        for i in range(workers):
            with open(logs / f"worker-{workers}-{i}.log", "wb") as logfile:
                children.append(
                    subprocess.Popen(
                        [*CAPDESK, *BATCH_WORKER, "--worker-id", f"scaleout-{workers}-{i}"],
                        env=env,
                        cwd=src,
                        stdout=logfile,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        deadline = time.monotonic() + DRAIN_TIMEOUT
        for child in children:
            child.wait(timeout=max(1.0, deadline - time.monotonic()))
        wall = time.perf_counter() - t0
        codes = [c.returncode for c in children]
        if any(codes):
            raise RuntimeError(f"a worker failed (exit {codes}); see {logs}")
        return wall
    finally:
        for child in children:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()


def run_pass(
    pg: ThrowawayPostgres, workers: int, n: int, corpus: Path, src: Path, work: Path
) -> dict[str, Any]:
    url = pg.createdb(f"scaleout_w{workers}_{secrets.token_hex(3)}")
    data_dir = Path(tempfile.mkdtemp(prefix=f"w{workers}-", dir=work))
    env = desk_env(url, data_dir, src)
    log(f"{workers} worker(s): migrate")
    capdesk(env, src, "migrate", "--no-input")
    log(f"{workers} worker(s): storing a backlog of {n} requests")
    t0 = time.perf_counter()
    child([sys.executable, __file__, "_load", str(corpus), str(n)], env, src)
    load_wall = time.perf_counter() - t0
    log(f"{workers} worker(s): backlog stored in {load_wall:.1f} s; draining")
    wall = drain(env, src, workers, data_dir)
    log(f"{workers} worker(s): drained in {wall:.1f} s; checking")
    result = json.loads(child([sys.executable, __file__, "_check", str(n)], env, src))
    return {"workers": workers, "load_wall": load_wall, "drain_wall": wall, **result}


def child(argv: list[str], env: dict[str, str], src: Path) -> str:
    done = subprocess.run(argv, env=env, cwd=src, capture_output=True, text=True, timeout=DRAIN_TIMEOUT)
    if done.returncode:
        raise RuntimeError(f"{argv[2]} failed: {done.stderr[-3000:]}")
    return done.stdout


# --- run in a child process with Capdesk's environment ------------------------------------


def load(corpus: Path, n: int) -> None:
    """Store the first ``n`` corpus messages as the SMTP receiver would, without a worker running."""
    import django

    django.setup()
    from capdesk.intake.actions import receive

    for path in sorted(corpus.glob("*.eml"))[:n]:
        receive(channel="email", raw=path.read_bytes())


def check(n: int) -> None:
    """Exactly-once, from the rows: printed as JSON; a violation is listed, not hidden."""
    import django

    django.setup()
    print(json.dumps(exactly_once_report(n)))


def exactly_once_report(n: int) -> dict[str, Any]:
    """The evidence that every stored request was processed once and only once.

    Shared with ``capdesk/intake/tests/test_scaleout_postgres.py``, which asserts on it.
    """
    from django.db.models import Count, Min
    from django_tasks_db.models import DBTaskResult

    from capdesk.intake.models import InboundRequest
    from capdesk.tickets.models import Message, Ticket

    requests = InboundRequest.objects.filter(channel="email")
    states = Counter(requests.values_list("state", flat=True))
    attempts = Counter(requests.values_list("attempts", flat=True))
    # A request's customer message carries its id as source: two would be a double run.
    messages_twice = (
        Message.objects.filter(source__isnull=False, author_kind=Message.Author.CUSTOMER)
        .values("source")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    # The request that opened a ticket is the source of its first customer message.
    openers = Counter(
        Message.objects.filter(author_kind=Message.Author.CUSTOMER)
        .values("ticket")
        .annotate(first=Min("id"))
        .values_list("first", flat=True)
    )
    opening_sources = Counter(Message.objects.filter(id__in=list(openers)).values_list("source", flat=True))
    tickets_twice = sum(1 for source, c in opening_sources.items() if source is not None and c > 1)
    # ``process_inbound`` returns the ids of the requests that call processed (its own and
    # the pending ones it took along): a request in two lists was done twice.
    work_done = Counter(
        request_id
        for result in DBTaskResult.objects.filter(task_path__endswith="process_inbound").values_list(
            "return_value", flat=True
        )
        for request_id in result or []
    )
    ran_twice = sum(1 for c in work_done.values() if c > 1)
    task_states = Counter(
        DBTaskResult.objects.filter(task_path__endswith="process_inbound").values_list("status", flat=True)
    )
    stored = requests.count()
    return {
        "stored": stored,
        "expected": n,
        "states": dict(states),
        "attempts": {str(k): v for k, v in sorted(attempts.items())},
        "tickets": Ticket.objects.count(),
        "customer_messages_with_source": Message.objects.filter(
            source__isnull=False, author_kind=Message.Author.CUSTOMER
        ).count(),
        "requests_with_two_messages": messages_twice,
        "requests_opening_two_tickets": tickets_twice,
        "requests_worked_twice_by_tasks": ran_twice,
        "requests_worked_by_a_task": len(work_done),
        "task_states": dict(task_states),
    }


def violations(report: dict[str, Any]) -> list[str]:
    found = []
    if report["stored"] != report["expected"]:
        found.append(f"stored {report['stored']} of {report['expected']}")
    if report["states"].get("pending", 0):
        found.append(f"{report['states']['pending']} still pending")
    if set(report["attempts"]) - {"1"}:
        found.append(f"attempts per request {report['attempts']} (expected all 1)")
    for key in (
        "requests_with_two_messages",
        "requests_opening_two_tickets",
        "requests_worked_twice_by_tasks",
    ):
        if report[key]:
            found.append(f"{key}: {report[key]}")
    if report["requests_worked_by_a_task"] != report["stored"]:
        found.append(f"a task did the work for {report['requests_worked_by_a_task']} of {report['stored']}")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "capdesk-scaleout-bench")
    parser.add_argument(
        "--working-tree", action="store_true", help="Run the working tree, not a snapshot of HEAD."
    )
    parser.add_argument("--json", type=Path, help="Also write every number to this file.")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    src, sha = (ROOT, "working tree") if args.working_tree else snapshot_head(args.work)
    corpus = make_corpus(args.work / f"corpus-{args.count}-{args.seed}", args.count, args.seed)
    pg = ThrowawayPostgres()

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    try:
        pg.start()
        log(f"PostgreSQL on 127.0.0.1:{pg.port} (data in {pg.dir}); code: {sha}")
        passes = [run_pass(pg, k, args.count, corpus, src, args.work) for k in (1, 2)]
    finally:
        pg.stop()
    one, two = passes
    speedup = one["drain_wall"] / two["drain_wall"]
    print(f"code {sha}, N={args.count}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print("| workers | backlog stored (s) | drain wall (s) | requests/s | states | tickets | violations |")
    print("|---|---|---|---|---|---|---|")
    failed = False
    for p in passes:
        found = violations(p)
        failed = failed or bool(found)
        print(
            f"| {p['workers']} | {p['load_wall']:.1f} | {p['drain_wall']:.1f} | {args.count / p['drain_wall']:.0f} "
            f"| {p['states']} | {p['tickets']} | {'; '.join(found) or 'none'} |"
        )
    print(f"two workers / one worker speed-up: {speedup:.2f}x")
    if args.json:
        args.json.write_text(json.dumps({"sha": sha, "passes": passes, "speedup": speedup}, indent=2))
    if speedup <= 1.0:
        print("FAILED: two workers were not faster than one")
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_load":
        load(Path(sys.argv[2]), int(sys.argv[3]))
    elif len(sys.argv) > 1 and sys.argv[1] == "_check":
        check(int(sys.argv[2]))
    else:
        sys.exit(main())
