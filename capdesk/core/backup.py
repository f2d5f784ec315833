"""Backup and restore of the embedded SQLite database, consistent while the desk runs.

SQLite's online backup API copies a live database page by page under its own locks,
so ``capdesk backup`` needs no downtime and never copies a half-written transaction.
Attachments live on disk under MEDIA_ROOT and are archived beside the database.
PostgreSQL deployments use ``pg_dump``/``pg_restore`` (README, "Backup").
"""

from __future__ import annotations

import json
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import connections

FORMAT = 1


class BackupError(Exception):
    """The backup cannot be made or restored; the message says why."""


@dataclass(frozen=True)
class Manifest:
    format: int
    created_at: str
    database: str
    tables: dict[str, int]


def _sqlite_path() -> Path:
    db = settings.DATABASES["default"]
    if db["ENGINE"] != settings.SQLITE_ENGINE:
        raise BackupError("capdesk backup handles the embedded SQLite database; use pg_dump for PostgreSQL")
    return Path(str(db["NAME"]))


def _row_counts(conn: sqlite3.Connection) -> dict[str, int]:
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
    return {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}  # noqa: S608 (names from sqlite_master)


def backup(target: Path) -> Manifest:
    """Write a .tar.gz with a consistent copy of the database, the attachments and a manifest."""
    source = _sqlite_path()
    if not source.exists():
        raise BackupError(f"no database at {source}")
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "capdesk.sqlite3"
        with sqlite3.connect(source) as src, sqlite3.connect(copy) as dst:
            src.backup(dst)
        with sqlite3.connect(copy) as conn:
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError("the copy failed SQLite's integrity check")
            manifest = Manifest(FORMAT, datetime.now(UTC).isoformat(), source.name, _row_counts(conn))
        (Path(tmp) / "manifest.json").write_text(json.dumps(manifest.__dict__, indent=2))
        target.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(target, "w:gz") as tar:
            tar.add(copy, arcname="capdesk.sqlite3")
            tar.add(Path(tmp) / "manifest.json", arcname="manifest.json")
            media = Path(settings.MEDIA_ROOT)
            if media.exists():
                tar.add(media, arcname="files")
    return manifest


def restore(archive: Path) -> Manifest:
    """Replace the database and attachments with those of a backup (the desk must be stopped)."""
    target = _sqlite_path()
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(archive, "r:gz") as tar:
        tar.extractall(tmp, filter="data")  # refuses absolute paths, links out and device files
        meta = json.loads((Path(tmp) / "manifest.json").read_text())
        if meta.get("format") != FORMAT:
            raise BackupError(f"unknown backup format {meta.get('format')!r}")
        manifest = Manifest(**meta)
        restored = Path(tmp) / "capdesk.sqlite3"
        with sqlite3.connect(restored) as conn:
            if _row_counts(conn) != manifest.tables:
                raise BackupError("the archive's database does not match its manifest")
        connections.close_all()
        with sqlite3.connect(restored) as src, sqlite3.connect(target) as dst:
            src.backup(dst)  # writes into the live file's pages, WAL included, under SQLite's locks
        files = Path(tmp) / "files"
        if files.exists():
            media = Path(settings.MEDIA_ROOT)
            media.mkdir(parents=True, exist_ok=True)
            for item in files.rglob("*"):
                if item.is_file():
                    dest = media / item.relative_to(files)
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    dest.write_bytes(item.read_bytes())
    return manifest
