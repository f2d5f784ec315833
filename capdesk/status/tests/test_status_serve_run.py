"""`capdesk run` publishes the status page and starts status-serve beside the web server."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

START_SECONDS = 120  # a shared, loaded machine: migrations and five Python processes


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback)
        return int(response.status), bytes(response.read())


def _content_type(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback)
        return str(response.headers["Content-Type"])


def test_it_starts_status_serve_as_a_child_of_capdesk_run(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "CAPDESK_DATA_DIR": str(tmp_path / "data"),
        "DJANGO_SETTINGS_MODULE": "capdesk.settings",
    }
    env.pop("DATABASE_URL", None)  # its own SQLite file, never the test database
    env.pop("CAPDESK_STATUS_PUBLISH_DIR", None)
    status_port, web_port = _free_port(), _free_port()
    env["CAPDESK_STATUS_BIND"] = f"127.0.0.1:{status_port}"
    cli = [sys.executable, "-m", "capdesk.cli"]
    subprocess.run([*cli, "migrate", "--no-input", "-v", "0"], env=env, check=True, timeout=START_SECONDS)  # noqa: S603
    desk = subprocess.Popen(  # noqa: S603
        [*cli, "run", "--no-smtp", "--host=127.0.0.1", f"--port={web_port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + START_SECONDS
        answer: tuple[int, bytes] | None = None
        while time.monotonic() < deadline and desk.poll() is None:
            try:
                answer = _get(f"http://127.0.0.1:{status_port}/api/v2/status.json")
                break
            except OSError:
                time.sleep(0.5)
        assert answer is not None, "status-serve did not answer"
        assert answer[0] == 200
        assert b'"indicator":"none"' in answer[1]
        assert (tmp_path / "data" / "status-site" / "manifest.json").exists()
        # The page as the walkthrough saw it on status-serve's port, with its stylesheets.
        page = _get(f"http://127.0.0.1:{status_port}/status/")[1].decode()
        sheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page)
        assert sheets
        for sheet in sheets:
            assert _content_type(f"http://127.0.0.1:{status_port}{sheet}").startswith("text/css"), sheet
    finally:
        os.killpg(desk.pid, signal.SIGTERM)
        try:
            desk.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(desk.pid, signal.SIGKILL)
            desk.wait(timeout=10)
