"""A throwaway PostgreSQL cluster that a test may restart, on a free port of 127.0.0.1.

The suite's own PostgreSQL (started by .ci/run) belongs to another user and must not
go away under the other tests, so a test that restarts the server starts its own, as
.ci/run does: a temp dir, fsync off, owned by ``postgres`` when we run as root
(PostgreSQL refuses to run as root).
"""

# ruff: noqa: S603  (PostgreSQL's own programs, arguments of our making)

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

from capdesk.testing.desk import free_port

PG_ROOT = Path("/usr/lib/postgresql")


def bindir() -> Path | None:
    """The newest installed server version's bin dir, or None."""
    found = sorted(PG_ROOT.glob("*/bin"), key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    return found[-1] if found and (found[-1] / "pg_ctl").is_file() else None


class ThrowawayPostgres:
    """``initdb``, ``start``, ``restart``, ``stop`` and delete; ``url`` names its one database."""

    def __init__(self) -> None:
        found = bindir()
        if found is None:
            raise RuntimeError("no PostgreSQL server under /usr/lib/postgresql")
        self.bin = found
        self.dir = Path(tempfile.mkdtemp(prefix="capdesk-test-pg-"))
        self.port = free_port()
        self.password = secrets.token_hex(12)
        self.url = f"postgres://capdesk:{self.password}@127.0.0.1:{self.port}/capdesk"
        self.started = False

    def _as_owner(self, *argv: str, timeout: float = 120) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        done = subprocess.run([*prefix, *argv], cwd=self.dir, capture_output=True, text=True, timeout=timeout)
        if done.returncode:
            log = (self.dir / "server.log").read_text() if (self.dir / "server.log").is_file() else ""
            raise RuntimeError(f"{argv[0]} failed: {done.stdout}{done.stderr}{log[-2000:]}")

    def start(self) -> ThrowawayPostgres:
        pwfile = self.dir / "pwfile"
        pwfile.write_text(self.password + "\n")
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
            shutil.chown(pwfile, "postgres")
        self._as_owner(
            str(self.bin / "initdb"),
            "-D",
            str(self.dir / "data"),
            "-U",
            "capdesk",
            f"--pwfile={pwfile}",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        pwfile.unlink()
        self._pg_ctl("start")
        self.started = True
        self._as_owner(
            str(self.bin / "createdb"), "-h", str(self.dir), "-p", str(self.port), "-U", "capdesk", "capdesk"
        )
        return self

    def _pg_ctl(self, action: str) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._as_owner(
            str(self.bin / "pg_ctl"),
            action,
            "-D",
            str(self.dir / "data"),
            "-w",
            "-t",
            "60",
            "-m",
            "fast",
            "-l",
            str(self.dir / "server.log"),
            "-o",
            options,
        )

    def copy_schema_from(self, url: str) -> None:
        """Load another database's tables and rows (a migrated, empty test database) into ours.

        Seconds, where ``capdesk migrate`` from nothing takes a minute on a loaded machine.
        """
        dump = subprocess.run(
            [str(self.bin / "pg_dump"), "--no-owner", "--no-privileges", "--dbname", url],
            capture_output=True,
            check=True,
            timeout=300,
        ).stdout
        subprocess.run(
            [str(self.bin / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "--dbname", self.url],
            input=dump,
            capture_output=True,
            check=True,
            timeout=300,
        )

    def createdb(self, name: str) -> str:
        """Another empty database in this cluster (a bench's fresh one per pass); returns its URL."""
        self._as_owner(
            str(self.bin / "createdb"), "-h", str(self.dir), "-p", str(self.port), "-U", "capdesk", name
        )
        return self.url.rsplit("/", 1)[0] + f"/{name}"

    def restart(self) -> None:
        """Stop (fast: every session is cut) and start again on the same port."""
        self._pg_ctl("restart")

    def stop(self) -> None:
        if self.started:
            try:
                self._pg_ctl("stop")
            finally:
                self.started = False
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> ThrowawayPostgres:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
