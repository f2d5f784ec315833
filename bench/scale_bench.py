"""The console's queue and search at a million tickets and five million messages, on SQLite and PostgreSQL.

Run: ``.venv/bin/python bench/scale_bench.py [--tickets 1000000] [--messages 5000000] [--db sqlite,postgres]``

Generation is raw SQL in large batches (SQLite: ``executemany`` with the journal off;
PostgreSQL: ``COPY``), with the full-text index dropped during the load and then made by
``console.search_index.ensure_search_index``, as the app makes it after a migration.
Measurement is in-process: Django's test ``Client``, logged in as a staff agent, asks
for the whole console page (``GET /console/?...``: list, side counts, filter choices,
template) after 3 warm-up requests; each case runs ``--reqs`` times or ``--budget``
seconds, whichever ends first. The code measured is the working tree.

PostgreSQL is a throwaway 15 started as user ``postgres`` on a temp dir, 127.0.0.1, a
random port, fsync off; removed at exit unless ``--pgdata`` names a directory to keep
(then a later run with the same ``--pgdata`` and ``--reuse`` skips generation).
"""

# ruff: noqa: S106, S311, S603, S607, S608, SIM905, B023  (a benchmark: seeded data, our own commands and SQL; closures run in their loop turn)

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchkit import pct

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")

COMMON = (
    "the app update bundle channel ios android build capacitor live version error after upload release "
    "please help we our users device production plugin fails cli login new old does not work when "
    "download install rollback staging manifest checksum encryption key native code store review"
).split()
INDONESIAN = "tolong aplikasi pembaruan tidak bisa sudah gagal kami pengguna versi terima kasih".split()
NO_HIT = "zqxjvw"


def log(msg: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


# --- text --------------------------------------------------------------------------------


class Text:
    """Pseudo-random support prose: common words, a Zipf tail of 60,000 made-up words for rare hits."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        syllables = ["ka", "lo", "mi", "ren", "tu", "sa", "vo", "ne", "pi", "dar", "gel", "hu", "zo", "bri"]
        made = sorted({"".join(rng.choices(syllables, k=rng.randint(4, 6))) for _ in range(130_000)})
        rng.shuffle(made)
        # Two disjoint lists: the tail of the sentences' vocabulary, and the words that end
        # each message (Pareto-drawn), so a word far down the second list has a known few hits.
        self.tail, self.rare = made[:60_000], made[60_000:120_000]
        vocab = COMMON + INDONESIAN + self.tail
        weights = [1.0 / (i + 1) ** 1.05 for i in range(len(vocab))]
        total, acc, cum = sum(weights), 0.0, []
        for w in weights:
            acc += w / total
            cum.append(acc)
        self.vocab, self.cum = vocab, cum
        # Bodies are drawn from a pool of sentences (fast), each with a tail word of its own.
        self.sentences = [
            " ".join(rng.choices(vocab, cum_weights=cum, k=rng.randint(6, 14))) for _ in range(50_000)
        ]

    def subject(self) -> str:
        return " ".join(
            self.rng.choices(self.vocab, cum_weights=self.cum, k=self.rng.randint(4, 9))
        ).capitalize()

    def body(self) -> str:
        r = self.rng
        s = self.sentences
        n = r.randint(2, 5)
        parts = [s[r.randrange(50_000)].capitalize() + "." for _ in range(n)]
        parts.append(self.rare[int(r.paretovariate(0.9)) % len(self.rare)])
        return " ".join(parts)

    def rare_word(self) -> str:
        """A word of the Pareto list that ends about 20 messages in a million."""
        return self.rare[300]


# --- generation --------------------------------------------------------------------------


def _defaults(model: Any, given: list[str], connection: Any) -> dict[str, Any]:
    """DB values for every column the generator does not set (so a new nullable/defaulted column does not break it)."""
    out = {}
    for field in model._meta.concrete_fields:
        if field.column not in given and not field.primary_key:
            out[field.column] = field.get_db_prep_save(field.get_default(), connection)
    return out


def generate(tickets: int, messages: int, seed: int) -> dict[str, Any]:
    from django.contrib.auth.models import User
    from django.db import connection, transaction

    from capdesk.console import search_index
    from capdesk.directory.models import Organization, Project
    from capdesk.policy.types import Outcome
    from capdesk.tickets.models import Message, Queue, Ticket

    rng = random.Random(seed)
    text = Text(rng)
    started = time.monotonic()
    sqlite = connection.vendor == "sqlite"
    now = datetime.now(UTC).replace(microsecond=0)

    queues = [
        Queue.objects.get_or_create(slug=s, defaults={"name": s.title()})[0]
        for s in ("support", "billing", "sales", "product")
    ]
    orgs = Organization.objects.bulk_create(
        [Organization(name=f"Org {i:03d} {text.subject()[:30]}") for i in range(400)]
    )
    projects = Project.objects.bulk_create(
        [
            Project(app_id=f"com.bench.org{o.pk}.app{j}", name=f"App {j}", organization=o)
            for o in orgs
            for j in range(3)
        ]
    )
    # No passwords: hashing 26 of them costs more than the queues; the bench logs in with force_login.
    agents = User.objects.bulk_create(
        [
            User(username=f"agent{i}", email=f"agent{i}@bench.example", is_staff=True, password="!")
            for i in range(25)
        ]
    )
    User.objects.create(username="bench", email="bench@bench.example", is_staff=True, password="!")
    # Organizations follow a Zipf law too: a few big customers file most tickets.
    org_cum, acc = [], 0.0
    ow = [1.0 / (i + 1) for i in range(len(orgs))]
    for w in ow:
        acc += w / sum(ow)
        org_cum.append(acc)
    outcomes = [o.value for o in Outcome] + [""]
    outcome_w = [40, 8, 5, 5, 6, 6, 2, 10, 2, 10, 6]
    severities, severity_w = ["urgent", "high", "normal", "low"], [3, 15, 62, 20]

    def as_db(dt: datetime | None) -> Any:
        if dt is None:
            return None
        return str(dt.replace(tzinfo=None)) if sqlite else dt

    # The load goes without the search index: it is made afterwards in one pass, as after a migration.
    with connection.cursor() as cursor:
        if sqlite:
            for fts, _source, _column in search_index.SQLITE_TABLES:
                for suffix in ("ai", "ad", "au"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
        else:
            cursor.execute("DROP INDEX IF EXISTS console_ticket_subject_fts")
            cursor.execute("DROP INDEX IF EXISTS console_message_body_fts")
            cursor.execute("DROP INDEX IF EXISTS console_message_vector_fts")
            cursor.execute("ALTER TABLE tickets_message DROP COLUMN IF EXISTS search_vector")

    t_cols = [
        "id", "subject", "organization_id", "project_id", "requester_email", "channel", "status", "severity",
        "scope", "outcome", "queue_id", "assignee_id", "created_at", "updated_at", "next_deadline",
    ]  # fmt: skip
    m_cols = [
        "id",
        "ticket_id",
        "author_kind",
        "author_email",
        "public",
        "body_text",
        "body_html",
        "created_at",
    ]
    t_extra = _defaults(Ticket, t_cols, connection)
    m_extra = _defaults(Message, m_cols, connection)
    t_all, m_all = t_cols + list(t_extra), m_cols + list(m_extra)
    t_tail, m_tail = tuple(t_extra.values()), tuple(m_extra.values())

    span = timedelta(days=3 * 365).total_seconds()
    per_ticket = messages / tickets

    def rows() -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
        message_id = 0
        batch_t: list[tuple[Any, ...]] = []
        batch_m: list[tuple[Any, ...]] = []
        for i in range(1, tickets + 1):
            age = 1.0 - i / tickets  # 1 = oldest
            created = now - timedelta(seconds=span * age + rng.random() * 60)
            # 70 % open overall: the newest 70 % nearly all open, the oldest 30 % nearly all solved.
            is_open = (rng.random() < 0.97) if age < 0.7 else (rng.random() < 0.03)
            if is_open:
                status = rng.choices(["new", "open", "pending", "on_hold"], weights=[10, 60, 20, 10])[0]
                deadline = (
                    None
                    if status in ("pending", "on_hold") and rng.random() < 0.7
                    else (now + timedelta(hours=rng.uniform(-24 * 30, 72)))
                )
                assignee = None if rng.random() < 0.35 else agents[rng.randrange(25)].pk
            else:
                status = "solved" if rng.random() < 0.6 else "closed"
                deadline = None
                assignee = agents[rng.randrange(25)].pk
            org = orgs[min(len(orgs) - 1, _bisect(org_cum, rng.random()))]
            project = (
                projects[(org.pk - orgs[0].pk) * 3 + rng.randrange(3)].pk if rng.random() < 0.8 else None
            )
            email = f"user{rng.randrange(20)}@org{org.pk}.example"
            batch_t.append(
                (
                    i, text.subject(), org.pk, project, email, "email", status,
                    rng.choices(severities, weights=severity_w)[0], "", rng.choices(outcomes, weights=outcome_w)[0],
                    queues[rng.randrange(4)].pk, assignee, as_db(created), as_db(created), as_db(deadline),
                    *t_tail,
                )
            )  # fmt: skip
            # Messages: 1 to 2*per_ticket-1 each (the mean is per_ticket), until the total is reached.
            left = messages - message_id
            n = min(left, rng.randint(1, max(1, round(2 * per_ticket - 1)))) if i < tickets else left
            for k in range(n):
                message_id += 1
                body = text.body()
                batch_m.append(
                    (
                        message_id, i, "customer" if k % 2 == 0 else "agent", email, True, body,
                        f"<p>{body}</p>", as_db(created + timedelta(minutes=37 * k)), *m_tail,
                    )
                )  # fmt: skip
            if len(batch_t) >= 20_000:
                yield batch_t, batch_m
                batch_t, batch_m = [], []
        if batch_t:
            yield batch_t, batch_m

    raw = connection.connection if connection.connection else None
    connection.ensure_connection()
    raw = connection.connection
    loaded = time.monotonic()
    if sqlite:
        raw.execute("PRAGMA foreign_keys=OFF")
        raw.execute("PRAGMA journal_mode=OFF")
        raw.execute("PRAGMA synchronous=OFF")
        raw.execute("PRAGMA cache_size=-400000")
        t_sql = f"INSERT INTO tickets_ticket ({', '.join(t_all)}) VALUES ({', '.join('?' * len(t_all))})"
        m_sql = f"INSERT INTO tickets_message ({', '.join(m_all)}) VALUES ({', '.join('?' * len(m_all))})"
        done = 0
        for bt, bm in rows():
            raw.execute("BEGIN")
            raw.executemany(t_sql, bt)
            raw.executemany(m_sql, bm)
            raw.execute("COMMIT")
            done += len(bt)
            if done % 100_000 == 0:
                log(f"  {done} tickets")
    else:
        with transaction.atomic(), connection.cursor() as cursor:
            pg = cursor.cursor
            done = 0
            for bt, bm in rows():
                with pg.copy(f"COPY tickets_ticket ({', '.join(t_all)}) FROM STDIN") as copy:
                    for row in bt:
                        copy.write_row(row)
                with pg.copy(f"COPY tickets_message ({', '.join(m_all)}) FROM STDIN") as copy:
                    for row in bm:
                        copy.write_row(row)
                done += len(bt)
                if done % 100_000 == 0:
                    log(f"  {done} tickets")
            for sql in connection.ops.sequence_reset_sql(_NoStyle(), [Ticket, Message]):
                cursor.execute(sql)
    rows_s = time.monotonic() - loaded
    log(f"rows loaded in {rows_s:.0f} s; building the search index")
    t = time.monotonic()
    if sqlite:
        raw.execute("PRAGMA journal_mode=WAL")
        raw.execute("PRAGMA foreign_keys=ON")
    else:
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '1GB'")
    search_index.ensure_search_index(connection)
    fts_s = time.monotonic() - t
    t = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    log(f"search index {fts_s:.0f} s, ANALYZE {time.monotonic() - t:.0f} s")
    return {
        "tickets": tickets,
        "messages": messages,
        "rows_s": round(rows_s, 1),
        "search_index_s": round(fts_s, 1),
        "total_s": round(time.monotonic() - started, 1),
        "rare_word": text.rare_word(),
    }


class _NoStyle:
    def __getattr__(self, name: str) -> Callable[[str], str]:
        return lambda x: x


def _bisect(cum: list[float], x: float) -> int:
    import bisect

    return bisect.bisect_left(cum, x)


# --- measurement -------------------------------------------------------------------------


def _timed(call: Callable[[], object], reqs: int, budget: float) -> dict[str, Any]:
    lat: list[float] = []
    t_end = time.monotonic() + budget
    while len(lat) < reqs and time.monotonic() < t_end:
        t = time.perf_counter()
        assert call() is not False
        lat.append((time.perf_counter() - t) * 1000)
    return {
        "n": len(lat),
        "p50": round(pct(lat, 50), 1),
        "p95": round(pct(lat, 95), 1),
        "max": round(max(lat), 1),
    }


def _replay(connection: Any, statements: list[tuple[str, Any]]) -> None:
    """The page's SQL again, each statement run and read to the end: the page's data without Python or the template."""
    with connection.cursor() as cursor:
        for sql, params in statements:
            if sql.lstrip().upper().startswith(("SELECT", "WITH")):
                cursor.execute(sql, params)
                cursor.fetchall()


def measure(reqs: int, budget: float, rare: str, warm: int, kinds: list[str]) -> list[dict[str, Any]]:
    from django.contrib.auth.models import User
    from django.db import connection
    from django.db.models import Count
    from django.test import Client

    from capdesk.console import side_counts
    from capdesk.tickets.models import Ticket

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username="bench"))
    big_org = (
        Ticket.objects.filter(status="open")
        .values("organization_id")
        .annotate(n=Count("id"))
        .order_by("-n")[:1]
    )[0]["organization_id"]
    small_org = Ticket.objects.order_by("-organization_id").values_list("organization_id", flat=True)[0]
    cases = [
        ("queue", "open, first page", "view=open"),
        ("queue", "open, biggest organization", f"view=open&organization={big_org}"),
        ("queue", "open, smallest organization", f"view=open&organization={small_org}"),
        ("queue", "unassigned", "view=unassigned"),
        ("queue", "breaching soon", "view=breaching"),
        ("queue", "open, urgent, billing queue", "view=open&severity=urgent&queue=billing"),
        ("search", "common word (update)", "view=all&q=update"),
        ("search", f"rare word ({rare})", f"view=all&q={rare}"),
        ("search", "two words (rollback channel)", "view=all&q=rollback+channel"),
        ("search", f"no hits ({NO_HIT})", f"view=all&q={NO_HIT}"),
        ("search", "common word, open view (bundle)", "view=open&q=bundle"),
    ]
    results = []
    for kind, name, qs in [c for c in cases if c[0] in kinds]:
        url = f"/console/?{qs}"
        # As `capdesk scheduler` does every side_counts.INTERVAL seconds, in its own process: the
        # pages read that snapshot and never count 700,000 open tickets themselves.
        t = time.perf_counter()
        side_counts.refresh()
        refresh_ms = (time.perf_counter() - t) * 1000
        for _ in range(warm):
            assert client.get(url).status_code == 200
        seen: list[tuple[str, Any]] = []

        def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            seen.append((sql, params))
            return execute(sql, params, many, context)

        # execute_wrapper, not CaptureQueriesContext: the request closes and reopens the connection.
        with connection.execute_wrapper(record):
            resp = client.get(url)
        rows = resp.content.count(b'<tr data-href="')
        page = _timed(lambda: client.get(url).status_code == 200, reqs, budget)
        data = _timed(lambda: _replay(connection, seen), reqs, budget)
        result = {"kind": kind, "case": name, "url": url, "rows": rows, "queries": len(seen)}
        result |= {f"page_{k}": v for k, v in page.items()} | {f"data_{k}": v for k, v in data.items()}
        if qs == "view=open":
            result["side_counts_ms"] = round(refresh_ms, 1)
        results.append(result)
        log(
            f"  {kind:6} {name:34} page n={page['n']:3} p50={page['p50']:8.1f} p95={page['p95']:8.1f} | "
            f"data p50={data['p50']:8.1f} p95={data['p95']:8.1f} ms ({len(seen)} queries)"
        )
    return results


def child(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from capdesk.tickets.models import Ticket

    t = time.monotonic()
    call_command("migrate", verbosity=0, interactive=False)
    migrate_s = time.monotonic() - t
    gen: dict[str, Any] = {}
    if not Ticket.objects.exists():
        log(f"{connection.vendor}: generating {args.tickets} tickets, {args.messages} messages")
        gen = generate(args.tickets, args.messages, args.seed)
    else:
        gen = {"reused": True, "rare_word": Text(random.Random(args.seed)).rare_word()}
        log(f"{connection.vendor}: reusing the data; migrate took {migrate_s:.0f} s")
    gen["migrate_s"] = round(migrate_s, 1)
    log(f"{connection.vendor}: measuring")
    # As a serving process does once its WSGI application is built (capdesk.wsgi.served).
    from capdesk.core.heap import freeze_startup_objects

    freeze_startup_objects()
    results = measure(args.reqs, args.budget, gen["rare_word"], args.warm, args.cases.split(","))
    print(json.dumps({"db": connection.vendor, "generation": gen, "results": results}))


# --- PostgreSQL --------------------------------------------------------------------------


class Postgres:
    """A throwaway PostgreSQL 15 on 127.0.0.1, run as the ``postgres`` user."""

    def __init__(self, datadir: Path | None) -> None:
        self.keep = datadir is not None
        self.dir = datadir or Path(tempfile.mkdtemp(prefix="scale-pg-"))
        self.port = random.randint(20000, 30000)
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/capdesk"

    def _as_pg(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["runuser", "-u", "postgres", "--", *cmd],
            check=check,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def start(self) -> None:
        fresh = not (self.dir / "PG_VERSION").exists()
        self.dir.mkdir(parents=True, exist_ok=True)
        shutil.chown(self.dir, "postgres", "postgres")
        os.chmod(self.dir, 0o700)
        if fresh:
            self._as_pg(
                str(PG_BIN / "initdb"), "-D", str(self.dir), "-U", "postgres", "--auth=trust", "-E", "UTF8"
            )
        opts = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c shared_buffers=1GB -c max_wal_size=8GB -c checkpoint_timeout=30min "
            "-c maintenance_work_mem=1GB -c work_mem=32MB -c unix_socket_directories=''"
        )
        self._as_pg(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.dir),
            "-o",
            opts,
            "-l",
            str(self.dir / "log"),
            "-w",
            "-t",
            "60",
            "start",
        )
        if fresh:
            self._as_pg(str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "capdesk")

    def stop(self) -> None:
        self._as_pg(
            str(PG_BIN / "pg_ctl"), "-D", str(self.dir), "-m", "fast", "-w", "-t", "60", "stop", check=False
        )
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)


def run_child(env: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    cmd = [
        sys.executable,
        __file__,
        "_child",
        "--tickets",
        str(args.tickets),
        "--messages",
        str(args.messages),
    ]
    cmd += [
        "--reqs",
        str(args.reqs),
        "--budget",
        str(args.budget),
        "--seed",
        str(args.seed),
        "--warm",
        str(args.warm),
        "--cases",
        args.cases,
    ]
    done = subprocess.run(
        cmd,
        env=env | {"PYTHONPATH": str(args.src)},
        cwd=args.src,
        stdout=subprocess.PIPE,
        text=True,
        timeout=3600,
    )
    if done.returncode:
        raise RuntimeError(f"child failed with {done.returncode}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def report(runs: list[dict[str, Any]]) -> None:
    sha = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    print(f"\nCapdesk working tree at {sha}")
    for run in runs:
        print(f"\n{run['db']}: generation {json.dumps(run['generation'])}\n")
        print("| | case | rows | queries | page n | page p50 ms | page p95 ms | data p50 ms | data p95 ms |")
        print("|---|---|---|---|---|---|---|---|---|")
        for r in run["results"]:
            print(
                f"| {r['kind']} | {r['case']} | {r['rows']} | {r['queries']} | {r['page_n']} | {r['page_p50']} | "
                f"{r['page_p95']} | {r['data_p50']} | {r['data_p95']} |"
            )
            if "side_counts_ms" in r:
                print(
                    f"| | the side counts, counted by the scheduler every 30 s (not on a page) | | | 1 | "
                    f"{r['side_counts_ms']} | | | |"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", nargs="?", default="run", choices=["run", "_child"])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--messages", type=int, default=5_000_000)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--reqs", type=int, default=200)
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per case at most")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cases", default="queue,search", help="which kinds of case to measure")
    parser.add_argument("--warm", type=int, default=3, help="warm-up requests per case")
    parser.add_argument(
        "--src", type=Path, default=ROOT, help="the Capdesk code to measure (default: this tree)"
    )
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="SQLite data dir (default: a new one in /tmp)"
    )
    parser.add_argument(
        "--pgdata", type=Path, default=None, help="keep PostgreSQL here (default: a temp dir, removed)"
    )
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if args.mode == "_child":
        child(args)
        return
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))
    base = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    base |= {"DJANGO_SETTINGS_MODULE": "capdesk.settings", "EMAIL_BACKEND": "dummy", "PYTHONPATH": str(ROOT)}
    runs = []
    for db in args.db.split(","):
        if db == "sqlite":
            data = args.data_dir or Path(tempfile.mkdtemp(prefix="scale-sqlite-"))
            runs.append(run_child(base | {"CAPDESK_DATA_DIR": str(data)}, args))
        elif db == "postgres":
            pg = Postgres(args.pgdata)
            data = Path(tempfile.mkdtemp(prefix="scale-pgside-"))
            try:
                pg.start()
                runs.append(run_child(base | {"CAPDESK_DATA_DIR": str(data), "DATABASE_URL": pg.url}, args))
            finally:
                pg.stop()
                shutil.rmtree(data, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(runs, indent=1))
    report(runs)


if __name__ == "__main__":
    main()
