"""The status page and summary.json under wrk: Django, the fast path and status-serve beside nginx.

Run (as root, so Debian's wrk and nginx can be installed when missing)::

    .venv/bin/python bench/status_bench.py [--duration 10] [--connections 20] [--threads 2]
        [--server waitress|gunicorn] [--gunicorn-lib DIR] [--nginx-workers auto]

One run, in this order:

1. a fresh data dir: ``capdesk migrate`` and ``capdesk demo``;
2. the desk as shipped: ``capdesk run --no-smtp`` (waitress with the status fast path in
   front of Django, status-serve, worker and scheduler; ``capdesk run`` publishes the
   snapshot at start and the worker on every change);
3. Django alone: waitress (or gunicorn with ``--server gunicorn``; not a dependency:
   ``pip install --target DIR gunicorn`` and ``--gunicorn-lib DIR``) over
   ``capdesk.wsgi:django_application``, the app without the fast path, on the same data;
4. nginx on another loopback port serving the published folder (``status-site``), the
   same bytes as static files, and following each publish as a CDN sync would;
5. for each document and each server (Django, fast path, status-serve), wrk against it
   then against nginx, quiet; then the same while a background process posts an incident
   update every second. During each wrk run under updates a sampler fetches the document
   every 0.5 s from the server under test and counts the distinct ETags it saw: the
   served bytes must really change with the updates (render on change, not never).

The machine is shared and small (wrk and the servers share its cores), so only the
ratio server/nginx measured in the same run means anything. Everything started here is
stopped on exit, including on Ctrl-C. The target (issue 6) is >= 50 % of nginx.
"""

# ruff: noqa: S603, S607  (a benchmark: it runs our own interpreter, wrk, nginx and apt-get)
from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from capdesk.testing.desk import free_port

ROOT = Path(__file__).resolve().parent.parent
CAPDESK = [sys.executable, "-m", "capdesk.cli"]
DOCUMENTS = ("/status/", "/api/v2/summary.json")
START_TIMEOUT = 60.0
TARGET = 0.5

# The background writer: one incident, then one update a second, bounded by its argument.
UPDATER = """
import sys, time, django
django.setup()
from capdesk.status import actions
from capdesk.status.models import Component
seconds = float(sys.argv[1])
component = Component.objects.order_by("position").first()
incident = actions.open_incident(name="Bench: bundle downloads slow", body="Investigating.",
                                 components={component: "degraded_performance"})
statuses = ["identified", "investigating"]
end = time.monotonic() + seconds
n = 0
while time.monotonic() < end:
    actions.post_incident_update(incident, status=statuses[n % 2], body=f"Update {n}.")
    n += 1
    time.sleep(1.0)
actions.resolve_incident(incident, body="Done.")
print(n)
"""

NGINX_CONF = """
{user}
worker_processes {workers};
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/nginx-body;
    proxy_temp_path {tmp}/nginx-proxy;
    fastcgi_temp_path {tmp}/nginx-fastcgi;
    uwsgi_temp_path {tmp}/nginx-uwsgi;
    scgi_temp_path {tmp}/nginx-scgi;
    types {{ text/html html; application/json json; }}
    server {{
        listen 127.0.0.1:{port};
        root {root};
        index index.html;
        charset utf-8;
    }}
}}
"""


def log(message: str) -> None:
    print(f"# {message}", file=sys.stderr, flush=True)


def ensure_tools() -> None:
    missing = [
        tool for tool in ("wrk", "nginx") if not shutil.which(tool) and not Path(f"/usr/sbin/{tool}").exists()
    ]
    if not missing:
        return
    if os.geteuid() != 0:
        sys.exit(f"missing {missing}: run `apt-get install -y wrk nginx` as root first")
    log(f"installing {missing} from Debian")
    subprocess.run(["apt-get", "install", "-y", *missing], check=True, stdout=subprocess.DEVNULL)


def nginx_binary() -> str:
    return shutil.which("nginx") or "/usr/sbin/nginx"


class Processes:
    """Everything this run starts, stopped (process group and all) when it ends."""

    def __init__(self) -> None:
        self.running: list[subprocess.Popen[bytes]] = []

    def start(self, args: list[str], **kwargs: object) -> subprocess.Popen[bytes]:
        process: subprocess.Popen[bytes] = subprocess.Popen(args, start_new_session=True, **kwargs)  # type: ignore[call-overload]
        self.running.append(process)
        return process

    def stop_all(self) -> None:
        for process in reversed(self.running):
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        for process in reversed(self.running):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)


def wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"{process.args!r} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"{url} did not answer within {START_TIMEOUT:.0f} s")


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback)
        body: bytes = response.read()
        return body


@dataclass
class Result:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(url: str, args: argparse.Namespace) -> Result:
    out = subprocess.run(
        ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", "--latency", url],
        check=True,
        capture_output=True,
        text=True,
        timeout=args.duration + 60,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    percentiles = {
        p: _ms(v, u) for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
    }
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    errors += sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    return Result(rps, percentiles.get("50", 0.0), percentiles.get("99", 0.0), errors)


def start_desk(procs: Processes, env: dict[str, str], port: int, status_port: int, tmp: Path) -> None:
    """``capdesk run`` as shipped: the fast path in waitress, status-serve, worker and scheduler."""
    logfile = open(tmp / "desk.log", "wb")  # noqa: SIM115 (kept open for the child's life)
    env = {**env, "CAPDESK_STATUS_BIND": f"127.0.0.1:{status_port}"}
    command = [*CAPDESK, "run", "--no-smtp", "--host=127.0.0.1", f"--port={port}"]
    desk = procs.start(command, env=env, cwd=ROOT, stdout=logfile, stderr=subprocess.STDOUT)
    wait_until_up(f"http://127.0.0.1:{port}/healthz", desk)
    wait_until_up(f"http://127.0.0.1:{status_port}/api/v2/summary.json", desk)


def start_django(
    args: argparse.Namespace, procs: Processes, env: dict[str, str], port: int, tmp: Path
) -> None:
    """The WSGI app without the fast path: every request through Django (the old numbers)."""
    logfile = open(tmp / "django.log", "wb")  # noqa: SIM115 (kept open for the child's life)
    if args.server == "gunicorn":
        if not args.gunicorn_lib:
            sys.exit("--server gunicorn needs --gunicorn-lib DIR (pip install --target DIR gunicorn)")
        env = {**env, "PYTHONPATH": os.pathsep.join([args.gunicorn_lib, str(ROOT)])}
        command = [
            sys.executable, "-m", "gunicorn", f"--bind=127.0.0.1:{port}", f"--workers={args.gunicorn_workers}",
            "--worker-class=gthread", f"--threads={args.gunicorn_threads}", "capdesk.wsgi:django_application",
        ]  # fmt: skip
    else:
        command = [
            sys.executable, "-m", "waitress", f"--listen=127.0.0.1:{port}", "--threads=8",
            "--ident=capdesk", "capdesk.wsgi:django_application",
        ]  # fmt: skip
    django = procs.start(command, env=env, cwd=ROOT, stdout=logfile, stderr=subprocess.STDOUT)
    wait_until_up(f"http://127.0.0.1:{port}/healthz", django)


def start_nginx(args: argparse.Namespace, procs: Processes, site: Path, port: int, tmp: Path) -> None:
    """nginx over the published folder: the same bytes as static files."""
    for folder in [tmp, *[p for p in site.parents if tmp in p.parents or p == tmp], site]:
        folder.chmod(0o755)  # nginx's workers run as another user
    for folder in [p for p in site.rglob("*") if p.is_dir()]:
        folder.chmod(0o755)
    user = "user root;" if os.geteuid() == 0 else ""
    conf = tmp / "nginx.conf"
    conf.write_text(NGINX_CONF.format(user=user, workers=args.nginx_workers, tmp=tmp, port=port, root=site))
    server = procs.start([nginx_binary(), "-c", str(conf), "-e", str(tmp / "nginx-error.log")])
    wait_until_up(f"http://127.0.0.1:{port}/api/v2/summary.json", server)


class Sampler:
    """Fetches one URL every 0.5 s in a thread and keeps the distinct ETags it saw."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.etags: set[str] = set()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.done.wait(0.5):
            try:
                with urllib.request.urlopen(self.url, timeout=5) as response:  # noqa: S310 (loopback)
                    self.etags.add(response.headers.get("ETag", ""))
            except OSError:
                continue

    def __enter__(self) -> Sampler:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join(10)


Row = tuple[str, str, str, Result, Result, int, int]


def measure(
    args: argparse.Namespace, servers: dict[str, str], static: str, label: str, *, sample: bool
) -> list[Row]:
    rows: list[Row] = []
    for path in DOCUMENTS:
        for name, base in servers.items():
            log(f"{label}: wrk {path} on {name}, then on nginx")
            with Sampler(base + path) as seen:
                tested = wrk(base + path, args)
            with Sampler(static + path) as seen_static:
                floor = wrk(static + path, args)
            versions = (len(seen.etags), len(seen_static.etags)) if sample else (0, 0)
            rows.append((label, path, name, tested, floor, *versions))
    return rows


def table(rows: list[Row]) -> str:
    lines = [
        "| load | document | server | req/s | nginx req/s | server/nginx | p50 / p99 ms | nginx p50 / p99 ms | errors (server, nginx) | versions seen (server, nginx) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for label, path, name, d, n, seen, seen_static in rows:
        ratio = d.requests_per_second / n.requests_per_second if n.requests_per_second else 0.0
        versions = f"{seen}, {seen_static}" if seen or seen_static else "-"
        lines.append(
            f"| {label} | `{path}` | {name} | {d.requests_per_second:,.0f} | {n.requests_per_second:,.0f} | "
            f"{ratio:.1%} | {d.p50_ms:.1f} / {d.p99_ms:.1f} | {n.p50_ms:.2f} / {n.p99_ms:.2f} | "
            f"{d.errors}, {n.errors} | {versions} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--server", choices=("waitress", "gunicorn"), default="waitress")
    parser.add_argument("--gunicorn-lib", default="", help="a folder holding gunicorn (pip install --target)")
    parser.add_argument("--gunicorn-workers", type=int, default=2)
    parser.add_argument("--gunicorn-threads", type=int, default=4)
    parser.add_argument("--nginx-workers", default="auto")
    parser.add_argument(
        "--persistent-sqlite",
        action="store_true",
        help="the same SQLite file through DATABASE_URL, which keeps connections (conn_max_age=60)",
    )
    args = parser.parse_args()
    ensure_tools()

    tmp = Path(tempfile.mkdtemp(prefix="status-bench-"))
    env = {
        **os.environ,
        "CAPDESK_DATA_DIR": str(tmp / "data"),
        "DJANGO_SETTINGS_MODULE": "capdesk.settings",
        "CAPDESK_SMTP_PORT": "0",
    }
    env.pop("DATABASE_URL", None)  # the embedded desk: SQLite in WAL mode in the fresh data dir
    if args.persistent_sqlite:
        # Without DATABASE_URL every request opens SQLite anew (CONN_MAX_AGE 0) and runs its PRAGMAs.
        env["DATABASE_URL"] = f"sqlite:///{tmp / 'data' / 'capdesk.sqlite3'}"
    procs = Processes()

    def on_signal(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        log(f"fresh data dir {tmp / 'data'}: migrate, demo")
        for step in (["migrate", "--no-input"], ["demo"]):
            subprocess.run([*CAPDESK, *step], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        desk_port, status_port, django_port, nginx_port = (free_port() for _ in range(4))
        start_desk(procs, env, desk_port, status_port, tmp)
        start_django(args, procs, env, django_port, tmp)
        servers = {
            f"Django ({args.server})": f"http://127.0.0.1:{django_port}",
            "fast path (waitress)": f"http://127.0.0.1:{desk_port}",
            "status-serve": f"http://127.0.0.1:{status_port}",
        }
        static = f"http://127.0.0.1:{nginx_port}"
        start_nginx(args, procs, tmp / "data" / "status-site", nginx_port, tmp)
        sizes = {}
        for path in DOCUMENTS:
            bodies = {name: fetch(base + path) for name, base in {**servers, "nginx": static}.items()}
            if len(set(bodies.values())) != 1:
                sys.exit(
                    f"{path}: the servers do not serve the same bytes ({ {k: len(v) for k, v in bodies.items()} })"
                )
            sizes[path] = len(bodies["nginx"])
        log(f"servers {servers}, nginx {static}; bytes {sizes}")

        rows = measure(args, servers, static, "quiet", sample=False)
        seconds = args.duration * 2 * len(DOCUMENTS) * len(servers) + 10
        updater = procs.start(
            [sys.executable, "-c", UPDATER, str(seconds)], env=env, cwd=ROOT, stdout=subprocess.PIPE
        )
        time.sleep(3)  # the incident exists and updates flow before wrk starts
        rows += measure(args, servers, static, "1 update/s", sample=True)
        out, _ = updater.communicate(timeout=seconds + 60)
        log(f"the updater posted {out.decode().strip()} incident updates")
        print(
            f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s --latency; "
            f"nginx worker_processes {args.nginx_workers}; {os.cpu_count()} CPUs; "
            f"{'persistent SQLite connections; ' if args.persistent_sqlite else ''}"
            f"bytes: " + ", ".join(f"`{p}` {n:,}" for p, n in sizes.items())
        )
        print()
        print(table(rows))
    finally:
        procs.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
