"""Email intake's CPU per message, worker and SMTP receiver apart, for two revisions side by side.

Run: ``.venv/bin/python bench/intake_cpu_bench.py --rev 5fd987d --rev HEAD [--count 500] [--rounds 3]``

The throughput bench (``intake_bench.py``) measures wall time against the peer; this one
says where a change moved the CPU, alternating the revisions so that both see the same
machine. Each revision runs from a ``git archive`` of it, on a fresh SQLite data dir:

- worker: ``--count`` corpus messages stored by ``smtpd.store_message`` (untimed), then the
  worker's task called in arrival order (batches of 24, as a worker catching up runs them;
  the tasks of requests an earlier batch wrote are skipped, as the worker skips them), with
  the classifier loaded first; CPU of that loop and queries per message;
- receiver: ``capdesk smtpd`` as a child, the messages sent on one ``smtplib`` connection,
  the child's CPU (``/proc/<pid>/stat``) per message after the first.
"""

# ruff: noqa: S603  (a benchmark: it runs our own interpreter)

from __future__ import annotations

import argparse
import json
import os
import smtplib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchkit import capdesk_env, log, make_corpus, snapshot

from capdesk.testing.desk import free_port

SUPPORT = "support@liveupdate.example"  # == make_corpus.SUPPORT_ADDR


def fresh_desk(src: Path, work: Path, prefix: str) -> dict[str, str]:
    """The environment of a new, migrated SQLite desk running ``src``."""
    env = capdesk_env(Path(tempfile.mkdtemp(prefix=prefix, dir=work)), SUPPORT, src)
    migrate = [sys.executable, "-m", "capdesk.cli", "migrate", "--no-input"]
    subprocess.run(migrate, env=env, cwd=src, check=True, capture_output=True)
    return env


def worker_pass(src: Path, corpus: Path, n: int, work: Path) -> dict[str, float]:
    env = fresh_desk(src, work, "cpu-worker-")
    done = subprocess.run(
        [sys.executable, __file__, "_worker", str(corpus), str(n)],
        env=env,
        cwd=src,
        check=True,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def _worker(corpus: Path, n: int) -> None:
    """Runs in a child with the revision's code and a fresh data dir: the timed worker loop."""
    import django

    django.setup()
    from django.db import connection

    from capdesk.intake.smtpd import store_message
    from capdesk.intake.tasks import process_inbound
    from capdesk.policy.classifier import classify

    raws = [(corpus / m["file"]).read_bytes() for m in _manifest(corpus, n)]
    classify("warm up", "the model loads once per process")
    ids = [store_message(raw).request.pk for raw in raws]
    queries = 0

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        c0 = time.process_time()
        done: set[int] = set()
        for pk in ids:
            if pk not in done:  # the worker skips the tasks a batch settled (tasks.reconcile_taken_along)
                done.update(process_inbound.call(pk) or [])
        cpu = time.process_time() - c0
    print(json.dumps({"cpu_ms": cpu / n * 1000, "queries": queries / n}))


def receiver_pass(src: Path, corpus: Path, n: int, work: Path) -> dict[str, float]:
    port = free_port()
    env = fresh_desk(src, work, "cpu-smtpd-")
    env.update(CAPDESK_SMTP_HOST="127.0.0.1", CAPDESK_SMTP_PORT=str(port))
    raws = [(corpus / m["file"]).read_bytes() for m in _manifest(corpus, n)]
    child = subprocess.Popen(
        [sys.executable, "-m", "capdesk.cli", "smtpd"],
        env=env,
        cwd=src,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        client = _connect(port)
        client.sendmail("sender@example.test", [SUPPORT], raws[0])  # the first store opens the connection
        c0, t0 = _cpu(child.pid), time.perf_counter()
        for raw in raws[1:]:
            client.sendmail("sender@example.test", [SUPPORT], raw)
        wall, cpu = time.perf_counter() - t0, _cpu(child.pid) - c0
        client.quit()
    finally:
        child.terminate()
        child.wait(timeout=30)
    return {"cpu_ms": cpu / (n - 1) * 1000, "msg_s": (n - 1) / wall}


def _connect(port: int) -> smtplib.SMTP:
    deadline = time.monotonic() + 60
    while True:
        try:
            return smtplib.SMTP("127.0.0.1", port, timeout=30)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _manifest(corpus: Path, n: int) -> list[dict[str, str]]:
    with open(corpus / "manifest.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for _, line in zip(range(n), f, strict=False)]


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_worker":
        _worker(Path(sys.argv[2]), int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rev", action="append", required=True, help="a git revision; give two to compare")
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="intake-cpu-"))
    corpus = make_corpus(work / f"corpus-s1-n{args.count}", args.count, 1)
    trees = [snapshot(work, rev) for rev in args.rev]
    results: dict[str, dict[str, list[float]]] = {sha: {} for _, sha in trees}
    for round_ in range(1, args.rounds + 1):
        for src, sha in trees:
            log(f"round {round_}: {sha}")
            for name, measured in (
                ("worker", worker_pass(src, corpus, args.count, work)),
                ("receiver", receiver_pass(src, corpus, args.count, work)),
            ):
                for key, value in measured.items():
                    results[sha].setdefault(f"{name} {key}", []).append(value)
    print(f"N = {args.count}, {args.rounds} rounds alternating; each cell: lowest (all runs)\n")
    keys = list(next(iter(results.values())))
    print("| revision | " + " | ".join(keys) + " |")
    print("|---|" + "---|" * len(keys))
    for sha, cells in results.items():
        shown = []
        for key in keys:
            values = cells[key]
            best = max(values) if key.endswith("msg_s") else min(values)
            shown.append(f"{best:.2f} ({', '.join(f'{v:.2f}' for v in values)})")
        print(f"| {sha} | " + " | ".join(shown) + " |")


if __name__ == "__main__":
    main()
