"""The status page and summary.json under wrk, the desk beside nginx serving the same bytes.

Run (as root, so Debian's wrk and nginx can be installed when missing)::

    .venv/bin/python bench/status_bench.py [--duration 10] [--connections 20] [--threads 2]
        [--server waitress|gunicorn] [--gunicorn-lib DIR] [--nginx-workers auto]

One run, in this order:

1. a fresh data dir: ``capdesk migrate`` and ``capdesk demo``;
2. the desk: ``capdesk run --no-smtp`` (waitress, worker and scheduler, as shipped), or
   gunicorn over the same WSGI app when ``--server gunicorn`` (gunicorn is not one of the
   desk's dependencies: install it apart with ``pip install --target DIR gunicorn`` and
   pass ``--gunicorn-lib DIR``);
3. /status/ and /api/v2/summary.json fetched once from the desk and written as static
   files under a temporary root that an nginx on another loopback port serves: the floor;
4. for each document, wrk against the desk then against nginx, quiet; then the same
   while a background process posts an incident update every second (render on
   change: every update moves the page version, so the desk re-renders once per second).

The machine is shared and small (wrk and the servers share its cores), so only the
ratio desk/nginx measured in the same run means anything. Everything started here is
stopped on exit, including on Ctrl-C. The target (issue 6) is desk >= 50 % of nginx.
"""

# ruff: noqa: S603, S607  (a benchmark: it runs our own interpreter, wrk, nginx and apt-get)
from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


def start_desk(args: argparse.Namespace, procs: Processes, env: dict[str, str], port: int, tmp: Path) -> None:
    logfile = open(tmp / "desk.log", "wb")  # noqa: SIM115 (kept open for the child's life)
    if args.server == "gunicorn":
        if not args.gunicorn_lib:
            sys.exit("--server gunicorn needs --gunicorn-lib DIR (pip install --target DIR gunicorn)")
        env = {**env, "PYTHONPATH": os.pathsep.join([args.gunicorn_lib, str(ROOT)])}
        command = [
            sys.executable, "-m", "gunicorn", f"--bind=127.0.0.1:{port}", f"--workers={args.gunicorn_workers}",
            "--worker-class=gthread", f"--threads={args.gunicorn_threads}", "capdesk.wsgi:application",
        ]  # fmt: skip
    else:
        command = [*CAPDESK, "run", "--no-smtp", "--host=127.0.0.1", f"--port={port}"]
    desk = procs.start(command, env=env, cwd=ROOT, stdout=logfile, stderr=subprocess.STDOUT)
    wait_until_up(f"http://127.0.0.1:{port}/healthz", desk)


def start_nginx(
    args: argparse.Namespace, procs: Processes, desk: str, port: int, tmp: Path
) -> dict[str, int]:
    """The same bytes as static files; returns each document's size."""
    root = tmp / "www"
    sizes = {}
    for path in DOCUMENTS:
        body = fetch(desk + path)
        target = root / path.lstrip("/")
        if path.endswith("/"):
            target = target / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
        sizes[path] = len(body)
    for folder in [tmp, *[p for p in root.rglob("*") if p.is_dir()], root]:
        folder.chmod(0o755)  # nginx's workers run as another user
    user = "user root;" if os.geteuid() == 0 else ""
    conf = tmp / "nginx.conf"
    conf.write_text(NGINX_CONF.format(user=user, workers=args.nginx_workers, tmp=tmp, port=port, root=root))
    server = procs.start([nginx_binary(), "-c", str(conf), "-e", str(tmp / "nginx-error.log")])
    wait_until_up(f"http://127.0.0.1:{port}/api/v2/summary.json", server)
    for path in DOCUMENTS:
        assert fetch(f"http://127.0.0.1:{port}{path}") == (root / path.lstrip("/") / ("index.html" if path.endswith("/") else "")).read_bytes()  # fmt: skip
    return sizes


def measure(
    args: argparse.Namespace, desk: str, static: str, label: str
) -> list[tuple[str, str, Result, Result]]:
    rows = []
    for path in DOCUMENTS:
        log(f"{label}: wrk {path} on the desk, then on nginx")
        rows.append((label, path, wrk(desk + path, args), wrk(static + path, args)))
    return rows


def table(rows: list[tuple[str, str, Result, Result]]) -> str:
    lines = [
        "| load | document | desk req/s | nginx req/s | desk/nginx | desk p50 / p99 ms | nginx p50 / p99 ms | errors (desk, nginx) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, path, d, n in rows:
        ratio = d.requests_per_second / n.requests_per_second if n.requests_per_second else 0.0
        lines.append(
            f"| {label} | `{path}` | {d.requests_per_second:,.0f} | {n.requests_per_second:,.0f} | "
            f"{ratio:.1%} | {d.p50_ms:.1f} / {d.p99_ms:.1f} | {n.p50_ms:.2f} / {n.p99_ms:.2f} | "
            f"{d.errors}, {n.errors} |"
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
        desk_port, nginx_port = free_port(), free_port()
        start_desk(args, procs, env, desk_port, tmp)
        desk, static = f"http://127.0.0.1:{desk_port}", f"http://127.0.0.1:{nginx_port}"
        sizes = start_nginx(args, procs, desk, nginx_port, tmp)
        log(f"desk {desk} ({args.server}), nginx {static}; bytes {sizes}")

        rows = measure(args, desk, static, "quiet")
        seconds = args.duration * 2 * len(DOCUMENTS) + 10
        updater = procs.start(
            [sys.executable, "-c", UPDATER, str(seconds)], env=env, cwd=ROOT, stdout=subprocess.PIPE
        )
        time.sleep(3)  # the incident exists and updates flow before wrk starts
        rows += measure(args, desk, static, "1 update/s")
        out, _ = updater.communicate(timeout=seconds + 60)
        log(f"the updater posted {out.decode().strip()} incident updates")
        print(
            f"Server: {args.server}; wrk -t{args.threads} -c{args.connections} -d{args.duration}s --latency; "
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
