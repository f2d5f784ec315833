"""`capdesk stats --json`, the intake counters DESIGN.md promises to other tools."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from capdesk.intake import actions
from capdesk.testing.factories import Personas

pytestmark = pytest.mark.django_db
SAMPLES = Path(__file__).parents[2] / "intake" / "tests" / "samples"


def _stats() -> dict[str, object]:
    out = StringIO()
    call_command("stats", "--json", stdout=out)
    return json.loads(out.getvalue())  # type: ignore[no-any-return]


def _email(name: str, sender: str = "") -> int:
    raw = (SAMPLES / name).read_bytes()
    if sender:
        raw = raw.replace(b"dewi@acme.test", sender.encode())
    return actions.receive(channel="email", raw=raw).request.pk


def test_it_counts_what_became_of_each_email(cast: Personas) -> None:
    unknown = _email("plain.eml", sender="andi@gmail.test")
    actions.receive(
        channel="email",
        raw=(SAMPLES / "plain.eml").read_bytes().replace(b"dewi@acme.test", b"andi@gmail.test"),
    )
    held = _email("plain.eml")  # a registered sender, no DKIM signature: held for confirmation
    ooo = _email("auto_replied.eml")
    waiting = _email("plain.eml", sender="budi@gmail.test")
    before = _stats()
    assert (before["inbound"], before["pending"], before["duplicates"]) == (4, 4, 1)
    for pk in (unknown, held, ooo):
        assert actions.process(pk)
    stats = _stats()
    assert stats["pending"] == 1, "budi's email was not processed yet"
    assert stats["ignored"] == 1, "the out-of-office reply opens no ticket"
    assert stats["awaiting_confirmation"] == 1
    assert (stats["tickets"], stats["quarantined"], stats["by_channel"]) == (2, 0, {"email": 4})
    assert actions.process(waiting)
    assert _stats()["pending"] == 0


def test_it_prints_one_line_a_counter_without_json(cast: Personas) -> None:
    out = StringIO()
    call_command("stats", stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split()[0] for line in lines[:3]] == ["inbound", "pending", "tickets"]
    assert any(line.startswith("awaiting_confirmation") for line in lines)


def test_it_says_how_the_outbox_and_the_mail_relay_are_doing(cast: Personas) -> None:
    from capdesk.core import circuits
    from capdesk.notify.actions import queue_email

    for to in ("a@acme.test", "b@acme.test"):
        queue_email(to=to, subject="Hello", body_text="Hi", kind="test")
    outgoing = _stats()["outgoing_mail"]
    assert outgoing == {
        "queued": 2,
        "failed": 0,
        "suppressed": 0,
        "suppressed_addresses": 0,
        "relay": "ok",
        "relay_failing_since": None,
        "relay_retry_at": None,
        "relay_last_error": "",
    }
    circuits.Passage(circuits.MAIL).failed("ConnectionRefusedError: [Errno 111] Connection refused")
    outgoing = _stats()["outgoing_mail"]
    assert isinstance(outgoing, dict)
    assert (outgoing["relay"], outgoing["queued"]) == ("failing", 2)
    assert outgoing["relay_last_error"] == "ConnectionRefusedError: [Errno 111] Connection refused"
    assert outgoing["relay_retry_at"] > outgoing["relay_failing_since"]
