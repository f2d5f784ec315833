"""Issue 8, point 6: a busy SQLite and a restarted PostgreSQL delay requests; they never lose one.

SQLite (skipped on the PostgreSQL run): another connection holds the write lock with
``BEGIN IMMEDIATE`` past the desk's busy timeout (shortened to 1 s here) while mail
arrives, a portal request is filed, and the worker processes a backlog. PostgreSQL
(skipped on the SQLite run, which has no server to restart): a throwaway cluster of
the test's own is restarted while the worker drains a backlog. In every case each
accepted request is processed exactly once, and none is quarantined as bad input.
"""

from __future__ import annotations

import contextlib
import smtplib
import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from capdesk.testing.desk import (
    SUPPORT,
    Desk,
    database_url_of,
    desk_for_tests,
    pending_count,
    running_task_ids,
    started_task_ids,
)
from capdesk.testing.postgres import ThrowawayPostgres, bindir
from capdesk.testing.traffic import (
    Browser,
    MailLoader,
    Recorder,
    generated_mail,
    people_file,
    sign_in_all,
)

FAULT_ENV = {"CAPDESK_SQLITE_BUSY_TIMEOUT_SECONDS": "1", "CAPDESK_STALLED_AFTER_SECONDS": "2"}


def on_sqlite() -> bool:
    return connection.vendor == "sqlite"


sqlite_only = pytest.mark.skipif(not on_sqlite(), reason="SQLite's write lock; the PostgreSQL run has none")


@contextlib.contextmanager
def write_lock(database: Path) -> Iterator[None]:
    """Hold SQLite's write lock from another connection, as a long writer would."""
    db = sqlite3.connect(database, isolation_level=None, timeout=30)
    try:
        db.execute("BEGIN IMMEDIATE")
        yield
    finally:
        db.execute("ROLLBACK")
        db.close()


def stored(database: Path, key: str) -> tuple[int, int]:
    """(rows, repeat deliveries counted on them) for an idempotency key, with or without <>."""
    with contextlib.closing(sqlite3.connect(database, timeout=30)) as db:
        rows, duplicates = db.execute(
            "SELECT COUNT(*), COALESCE(SUM(duplicates), 0) FROM intake_inboundrequest"
            " WHERE idempotency_key IN (?, ?)",
            (key, f"<{key}>"),
        ).fetchone()
        return int(rows), int(duplicates)


def finish(desk: Desk, accepted: list[str]) -> dict[str, object]:
    """Stop the desk, let the stalled sweep take what a failed task left, run the worker dry, check."""
    desk.stop()
    time.sleep(2.5)  # CAPDESK_STALLED_AFTER_SECONDS, plus a margin
    desk.drain()
    return desk.check(accepted)


@pytest.fixture(scope="module")
def sqlite_desk() -> Iterator[Desk]:
    """One desk for the SQLite cases: its database is a file of its own, not the test database."""
    if not on_sqlite():
        pytest.skip("SQLite only")
    with tempfile.TemporaryDirectory(prefix="capdesk-db-faults-") as tmp:
        desk = desk_for_tests(Path(tmp))
        desk.env.update(FAULT_ENV)
        desk.write_mail_to_files()
        desk.start()
        try:
            yield desk
        finally:
            desk.stop()


@sqlite_only
def test_it_answers_451_to_mail_while_sqlite_is_locked_and_stores_the_retry_once(sqlite_desk: Desk) -> None:
    desk = sqlite_desk
    assert desk.sqlite_path is not None
    desk.wait_until_up()
    (mail,) = generated_mail(1, "locked-smtp")
    key = mail.message_id.strip("<>")
    with smtplib.SMTP("127.0.0.1", desk.smtp_port, timeout=60) as smtp:
        with write_lock(desk.sqlite_path):
            with pytest.raises(smtplib.SMTPDataError) as refused:
                smtp.sendmail(mail.sender, [SUPPORT], mail.raw)
            assert refused.value.smtp_code == 451
            assert stored(desk.sqlite_path, key) == (0, 0)
        smtp.sendmail(mail.sender, [SUPPORT], mail.raw)
    assert stored(desk.sqlite_path, key) == (1, 0)  # stored by the retry, and not half before it


@sqlite_only
def test_it_answers_503_with_retry_after_and_the_typed_text_to_a_portal_request_while_sqlite_is_locked(
    sqlite_desk: Desk, tmp_path: Path
) -> None:
    desk = sqlite_desk
    assert desk.sqlite_path is not None
    desk.wait_until_up()
    (address,) = people_file(1, tmp_path / "directory.json", prefix="lockeduser")
    desk.capdesk("directory", "import", str(tmp_path / "directory.json"))
    rec = Recorder()
    browser = Browser([desk.web_port], rec)
    assert sign_in_all([browser], [address], desk.data_dir / "mail") == [True], rec.table()
    status, page, _ = browser.request("form", "GET", "/portal/requests/new/")
    assert status == 200
    key = uuid_from(page)
    form = {
        "csrfmiddlewaretoken": browser.csrf(page),
        "idempotency_key": key,
        "project": "",
        "severity": "normal",
        "subject": "Channel override ignored",
        "body": "The beta channel override is ignored on iOS 17 since yesterday.",
    }
    with write_lock(desk.sqlite_path):
        status, page, headers = browser.request("file_locked", "POST", "/portal/requests/new/", form)
        assert status == 503, page[:2000]
        assert headers.get("Retry-After", "").isdigit()
        assert b"The beta channel override is ignored on iOS 17 since yesterday." in page
        assert key.encode() in page  # sent again with the same key: never filed twice
        assert stored(desk.sqlite_path, f"portal:{key}") == (0, 0)
    status, _, _ = browser.request("file_again", "POST", "/portal/requests/new/", form)
    assert status == 302
    assert stored(desk.sqlite_path, f"portal:{key}") == (1, 0)


def uuid_from(page: bytes) -> str:
    from capdesk.testing.traffic import IDEMPOTENCY_FIELD

    match = IDEMPOTENCY_FIELD.search(page)
    assert match is not None
    return match.group(1).decode()


@sqlite_only
def test_it_retries_the_workers_processing_after_sqlite_was_locked_and_quarantines_nothing(
    sqlite_desk: Desk,
) -> None:
    desk = sqlite_desk
    assert desk.sqlite_path is not None
    desk.wait_until_up()
    stop, rec = threading.Event(), Recorder()
    loader = MailLoader(desk.smtp_port, generated_mail(40, "locked-worker"), 40.0, stop, rec)
    loader.start()
    deadline = time.monotonic() + 60
    while not started_task_ids(desk) and time.monotonic() < deadline:
        time.sleep(0.01)
    claimed = started_task_ids(desk)
    assert claimed, "the worker never claimed a task"
    with write_lock(desk.sqlite_path):
        time.sleep(3)  # past the 1 s busy timeout, and past the worker's own retries
    loader.join(timeout=120)
    assert len(loader.accepted) == 40, (rec.table(), loader.given_up)
    time.sleep(2)  # the worker takes up the backlog again, by itself
    assert "worker-0 exited" not in desk.logs(tail=10**7), "the worker died of a locked database"
    report = finish(desk, loader.accepted)  # the last case: the module's desk stops here
    assert report["problems"] == [], report
    assert report["states"] == {"processed": report["stored"]}, report  # none quarantined


@pytest.mark.skipif(on_sqlite(), reason="a PostgreSQL restart: the CI run on PostgreSQL has the server")
@pytest.mark.skipif(bindir() is None, reason="needs PostgreSQL's server programs")
def test_it_processes_a_backlog_exactly_once_across_a_postgresql_restart(db: None, tmp_path: Path) -> None:
    with ThrowawayPostgres() as pg:
        pg.copy_schema_from(database_url_of(connection.settings_dict))  # the suite's migrated test DB
        desk = Desk(tmp_path, database_url=pg.url)
        desk.env.update(FAULT_ENV)
        stop, rec = threading.Event(), Recorder()
        try:
            desk.start()
            worker = desk.children()["worker"]
            loader = MailLoader(desk.smtp_port, generated_mail(60, "pg-restart"), 60.0, stop, rec)
            loader.start()
            deadline = time.monotonic() + 60
            while not running_task_ids(desk) and time.monotonic() < deadline:
                time.sleep(0.01)
            pg.restart()
            loader.join(timeout=120)  # mail refused while the server was away is retried
            assert len(loader.accepted) == 60, (rec.table(), loader.given_up)
            deadline = time.monotonic() + 60
            while pending_count(desk) and time.monotonic() < deadline:
                time.sleep(1)
            assert desk.children().get("worker") == worker, "the worker died instead of reconnecting"
        finally:
            stop.set()
        report = finish(desk, loader.accepted)
    assert report["problems"] == [], report
    assert report["states"] == {"processed": 60}, report
