"""`capdesk backup` and `capdesk restore` on a real SQLite file: what comes back is what went in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def capdesk(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CAPDESK_DATA_DIR": str(data_dir), "DATABASE_URL": ""}
    return subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, "-m", "capdesk.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def dump(data_dir: Path) -> str:
    result = capdesk(data_dir, "dumpdata", "directory", "tickets", "intake", "--indent", "0")
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="backup/restore is for the embedded SQLite desk; PostgreSQL uses pg_dump",
)
def test_it_restores_exactly_what_it_backed_up(tmp_path: Path) -> None:
    data = tmp_path / "var"
    assert capdesk(data, "migrate", "-v", "0").returncode == 0
    assert capdesk(data, "demo").returncode == 0
    before = dump(data)
    archive = tmp_path / "backup.tar.gz"
    result = capdesk(data, "backup", str(archive))
    assert result.returncode == 0, result.stderr
    assert archive.stat().st_size > 0

    # Lose data after the backup, then restore it.
    assert (
        capdesk(
            data, "shell", "-c", "from capdesk.tickets.models import Ticket; Ticket.objects.all().delete()"
        ).returncode
        == 0
    )
    assert dump(data) != before
    result = capdesk(data, "restore", str(archive))
    assert result.returncode == 0, result.stderr
    assert dump(data) == before


def test_it_refuses_an_archive_that_is_not_a_backup(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.tar.gz"
    bogus.write_bytes(b"not a tarball")
    result = capdesk(tmp_path / "var", "restore", str(bogus))
    assert result.returncode != 0
    assert "cannot restore" in result.stderr
