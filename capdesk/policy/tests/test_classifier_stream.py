"""`capdesk classify`'s contract (DESIGN.md): one answer line per input line, in order."""

from __future__ import annotations

import io
import json
import os
import select
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from capdesk.policy.classifier.stream import classify_stream, line_batches
from capdesk.policy.loader import get_policy

REQUESTS = [
    {
        "subject": "Is Capgo down?",
        "body": "The console returns 502 for everyone in our team since 10 minutes.",
    },
    {"subject": "Tagihan dobel", "body": "Kak, bulan ini kena tagih dua kali untuk paket Team. Bisa refund?"},
    {"subject": "Feature request", "body": "Please add an export of the device list as CSV."},
]


def _run(stdin: bytes, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "CAPDESK_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "capdesk.settings"}
    return subprocess.run(  # noqa: S603 - our own interpreter running our own command
        [sys.executable, "-m", "capdesk.cli", "classify", *args],
        input=stdin,
        capture_output=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )


def _jsonl(rows: Sequence[object]) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in rows)


class _Trickle:
    """A stdin that hands over one chunk per read, as a pipe does when the writer is slow."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = list(chunks)

    def read1(self, size: int = -1, /) -> bytes:
        return self.chunks.pop(0) if self.chunks else b""


def test_it_answers_each_line_in_order_with_exactly_the_designed_fields(tmp_path):
    result = _run(_jsonl(REQUESTS), tmp_path)
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [list(a) for a in answers] == [["scope", "group", "confidence", "clauses"]] * 3
    assert [a["scope"] for a in answers] == ["incident", "billing", "feature_request"]
    assert [a["group"] for a in answers] == ["incident", "billing_account", "feedback"]
    scopes = get_policy().scopes
    for answer in answers:
        assert 0.0 <= answer["confidence"] <= 1.0
        assert answer["clauses"] == list(scopes[answer["scope"]].clauses)


def test_it_puts_an_error_line_in_place_of_each_bad_line_and_exits_non_zero(tmp_path):
    lines = [
        json.dumps(REQUESTS[0]).encode(),
        b"this is not json",
        b"[1, 2]",
        b'{"subject": "no body"}',
        b'{"subject": 3, "body": "x"}',
        b"",
        json.dumps(REQUESTS[1]).encode(),
    ]
    result = _run(b"\n".join(lines) + b"\n", tmp_path)
    assert result.returncode == 1
    assert b"5 input line(s) were not requests" in result.stderr
    answers = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert len(answers) == len(lines)
    assert answers[0]["scope"] == "incident"
    assert answers[1]["error"].startswith("line 2: not valid JSON")
    assert answers[2]["error"].startswith("line 3: expected a JSON object")
    assert answers[3]["error"] == 'line 4: missing "body"'
    assert answers[4]["error"] == 'line 5: "subject" must be a string'
    assert answers[5]["error"].startswith("line 6: blank line")
    assert answers[6]["scope"] == "billing"


def test_it_answers_a_last_line_that_has_no_newline_and_nothing_for_empty_input(tmp_path):
    assert _run(json.dumps(REQUESTS[2]).encode(), tmp_path).stdout.count(b"\n") == 1
    empty = _run(b"", tmp_path)
    assert (empty.returncode, empty.stdout) == (0, b"")


def test_it_answers_a_line_before_the_next_one_is_written(tmp_path):
    env = {**os.environ, "CAPDESK_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "capdesk.settings"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "capdesk.cli", "classify"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=tmp_path,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(_jsonl([REQUESTS[0]]))
        proc.stdin.flush()
        readable, _, _ = select.select([proc.stdout], [], [], 60)
        assert readable, "no answer within 60 s while stdin stayed open"
        assert json.loads(proc.stdout.readline())["scope"] == "incident"
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)
    assert proc.returncode == 0


def test_it_batches_only_the_lines_that_have_arrived():
    reader = _Trickle([b'{"a": 1}\n{"a"', b': 2}\n{"a": 3}\n', b'{"a": 4}'])
    assert list(line_batches(reader, max_batch=2)) == [
        [b'{"a": 1}'],
        [b'{"a": 2}', b'{"a": 3}'],
        [b'{"a": 4}'],
    ]


def test_it_gives_the_same_answers_whatever_the_batch_size():
    rows = _jsonl(REQUESTS * 7 + ["oops"])
    outputs = []
    for size in (1, 4, 512):
        out = io.BytesIO()
        assert classify_stream(io.BytesIO(rows), out, max_batch=size) == 1
        outputs.append(out.getvalue())
    assert outputs[0] == outputs[1] == outputs[2]
    assert outputs[0].count(b"\n") == 22


def test_it_accepts_windows_line_endings():
    out = io.BytesIO()
    assert classify_stream(io.BytesIO(b"\r\n".join(_jsonl(REQUESTS[:2]).splitlines()) + b"\r\n"), out) == 0
    assert out.getvalue().count(b"\n") == 2
