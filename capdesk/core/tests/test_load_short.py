"""Issue 8, point 5, in CI: the embedded desk under portal users and SMTP mail at once, briefly.

The bounded variant of bench/load_bench.py (5 minutes, 50 users, 20 mails/s; numbers in
BENCHMARKS.md): ``capdesk run`` as a child process on the suite's database (a migrated
SQLite file, or PostgreSQL's test copy), 10 users who sign in by magic link and list and
file requests, and 5 mails/s over SMTP, for 15 s. No request may fail, and every
accepted one is processed exactly once. Latencies are printed, not asserted: this
machine's load is not ours to control.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from capdesk.testing.desk import desk_for_tests, pending_count
from capdesk.testing.traffic import (
    Browser,
    Filed,
    MailLoader,
    Recorder,
    generated_mail,
    people_file,
    sign_in_all,
    user_loop,
)

USERS = 10
SECONDS = 15
MAIL_RATE = 5.0
DRAIN_TIMEOUT = 60.0


def test_it_serves_portal_users_and_smtp_mail_at_once_without_an_error_and_processes_each_request_once(
    transactional_db: None, tmp_path: Path
) -> None:
    desk = desk_for_tests(tmp_path)
    mail_dir = desk.write_mail_to_files()
    addresses = people_file(USERS, tmp_path / "directory.json")
    desk.capdesk("directory", "import", str(tmp_path / "directory.json"))
    rec, filed, stop = Recorder(), Filed(), threading.Event()
    try:
        desk.start()
        browsers = [Browser([desk.web_port], rec) for _ in addresses]
        assert all(sign_in_all(browsers, addresses, mail_dir)), (rec.table(), desk.logs())
        mail = MailLoader(
            desk.smtp_port, generated_mail(int(SECONDS * MAIL_RATE) + 20, "load"), MAIL_RATE, stop, rec
        )
        users = [
            threading.Thread(
                target=user_loop, args=(b, i, stop, 1, filed), kwargs={"file_every": 5}, daemon=True
            )
            for i, b in enumerate(browsers)
        ]
        for thread in [*users, mail]:
            thread.start()
        stop.wait(SECONDS)
        stop.set()
        for thread in [*users, mail]:
            thread.join(timeout=60)
        deadline = time.monotonic() + DRAIN_TIMEOUT
        while pending_count(desk) and time.monotonic() < deadline:
            time.sleep(1)
    finally:
        stop.set()
        desk.stop()
    table = rec.table()
    print(json.dumps(table, indent=1))  # p50/p95 per operation, shown with -s or on failure
    assert rec.error_count() == 0, table
    assert table["list_requests"]["ok"] >= USERS, table
    assert len(filed.accepted) >= USERS, table
    assert len(mail.accepted) >= 10, table  # throughput is the bench's to measure, not CI's
    report = desk.check([*mail.accepted, *filed.accepted])
    assert report["problems"] == [], report
    assert report["stored"] == len(mail.accepted) + len(filed.accepted), report
    assert report["states"] == {"processed": report["stored"]}, report
    assert report["attempts"] == {"1": report["stored"]}, report
