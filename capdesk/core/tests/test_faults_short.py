"""Issue 8, point 6, and issue 4: the worker and the web server SIGKILLed under load; nothing lost or done twice.

The bounded variant of bench/faults_bench.py: ``capdesk run`` as a child process on the
suite's database, portal users filing requests and mail arriving over SMTP. The worker
is SIGKILLed right after it claimed a task (so it dies holding work), and the web
server while a portal POST is in flight; `capdesk run` restarts both. Clients retry
as theirs would: an MTA after a broken session or a 4xx, a person by sending the same
form again (same idempotency key). Afterwards the stalled-request sweep (its age
shortened by a setting) takes up what the killed worker left, and every request that
got a 250 or a redirect must be stored and processed exactly once.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from capdesk.testing.desk import Desk, desk_for_tests, running_task_ids
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

USERS = 6
MAIL_RATE = 5.0
WORKER_KILLS = 2
WEB_KILLS = 2
KILL_TIMEOUT = 60.0  # seconds to wait for the moment of one kill (a loaded machine is slow)


def kill_worker_holding_a_task(desk: Desk, abandoned: set[str]) -> set[str]:
    """SIGKILL the worker while it holds a claimed task; returns the ids of the tasks it died with.

    A task takes milliseconds, so the worker is stopped (SIGSTOP) first and what it still
    holds read while it cannot finish; it is killed only if it holds something, and resumed
    otherwise. Each kill is then one that counts: ``capdesk run`` gives up on a child that
    exits five times in a minute, and a busy machine would otherwise need many tries.
    """
    deadline = time.monotonic() + KILL_TIMEOUT
    while time.monotonic() < deadline:
        if running_task_ids(desk) - abandoned and (pid := desk.pause_child("worker")) is not None:
            try:
                died_with = running_task_ids(desk) - abandoned
                if died_with:
                    desk.kill_pid(pid)
            finally:
                desk.resume_child(pid)  # a no-op once killed
            if died_with:
                # On PostgreSQL a COMMIT sent just before the stop still completes on the
                # server: only what is still claimed after the kill was died with.
                time.sleep(0.2)
                died_with &= running_task_ids(desk)
                if died_with:
                    return died_with
                desk.wait_until_up()
        time.sleep(0.005)
    raise AssertionError("the worker was never killed while holding a task")


def kill_web_during_a_post(desk: Desk, rec: Recorder) -> None:
    deadline = time.monotonic() + KILL_TIMEOUT
    while time.monotonic() < deadline:
        if rec.in_flight("file_request") and desk.kill_child("web"):
            return
        time.sleep(0.005)
    raise AssertionError("no portal POST was in flight to be cut")


def test_it_processes_every_accepted_request_exactly_once_when_the_worker_and_the_web_server_are_killed(
    transactional_db: None, tmp_path: Path
) -> None:
    desk = desk_for_tests(tmp_path)
    desk.env["CAPDESK_STALLED_AFTER_SECONDS"] = "2"
    mail_dir = desk.write_mail_to_files()
    addresses = people_file(USERS, tmp_path / "directory.json")
    desk.capdesk("directory", "import", str(tmp_path / "directory.json"))
    rec, filed, stop = Recorder(), Filed(), threading.Event()
    abandoned: set[str] = set()
    try:
        desk.start()
        browsers = [Browser([desk.web_port], rec) for _ in addresses]
        assert all(sign_in_all(browsers, addresses, mail_dir)), (rec.table(), desk.logs())
        mail = MailLoader(desk.smtp_port, generated_mail(400, "faults"), MAIL_RATE, stop, rec)
        users = [
            threading.Thread(
                target=user_loop,
                args=(b, i, stop, 2, filed),
                kwargs={"file_every": 1, "tries": 200},  # up to a minute: a restart under load is slow
                daemon=True,
            )
            for i, b in enumerate(browsers)
        ]
        for thread in [*users, mail]:
            thread.start()
        for _ in range(WORKER_KILLS):
            abandoned |= kill_worker_holding_a_task(desk, abandoned)
            desk.wait_until_up()
        for _ in range(WEB_KILLS):
            kill_web_during_a_post(desk, rec)
            time.sleep(0.5)
            desk.wait_until_up()
        time.sleep(2)  # the restarted web server takes the users' repeated POSTs
        stop.set()
        for thread in [*users, mail]:
            thread.join(timeout=60)
    finally:
        stop.set()
        desk.stop()
    time.sleep(2.5)  # CAPDESK_STALLED_AFTER_SECONDS, plus a margin
    desk.drain()
    print(json.dumps(rec.table(), indent=1))
    report = desk.check([*mail.accepted, *filed.accepted])
    assert report["problems"] == [], report
    assert report["states"] == {"processed": report["stored"]}, report
    assert report["attempts"] == {"1": report["stored"]}, report  # a killed attempt rolled back
    assert rec.errors["file_request"], "no POST was cut by a kill"
    assert filed.resubmitted, "no POST had to be sent again"
    assert filed.given_up == 0 and not mail.given_up, (filed.given_up, mail.given_up)
    assert len(abandoned) >= WORKER_KILLS
    # The killed worker's tasks stay claimed (RUNNING) until the 30-minute sweep fails them;
    # their requests were done by the stalled sweep, checked above.
    assert abandoned <= running_task_ids(desk)
