"""`capdesk sla deadline` prints exactly one ISO 8601 UTC instant, or a clear error."""

from __future__ import annotations

import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

JAKARTA = """timezone = "Asia/Jakarta"
holidays = ["2026-12-25"]
[hours]
mon = "06:00-18:00"
tue = "06:00-18:00"
wed = "06:00-18:00"
thu = "06:00-18:00"
fri = "06:00-18:00"
"""


@pytest.fixture
def calendar_file(tmp_path: Path) -> Path:
    path = tmp_path / "jakarta.toml"
    path.write_text(JAKARTA, encoding="utf-8")
    return path


def deadline(*args: str) -> str:
    out = StringIO()
    call_command("sla", "deadline", *args, stdout=out)
    return out.getvalue()


def test_it_prints_the_business_deadline_in_utc_with_a_z(calendar_file: Path) -> None:
    # Thursday 24 December 17:00 WIB, 12 business hours, Christmas Friday: Monday 17:00 WIB.
    printed = deadline(
        "--calendar", str(calendar_file), "--start", "2026-12-24T17:00:00+07:00", "--business-minutes", "720"
    )
    assert printed == "2026-12-28T10:00:00Z\n"


def test_it_prints_plain_elapsed_minutes_with_minutes(calendar_file: Path) -> None:
    printed = deadline("--calendar", str(calendar_file), "--start", "2026-12-24T17:00:00Z", "--minutes", "90")
    assert printed == "2026-12-24T18:30:00Z\n"


def test_it_keeps_seconds_and_fractions_of_the_start(calendar_file: Path) -> None:
    printed = deadline(
        "--calendar", str(calendar_file), "--start", "2026-06-08T03:00:07.5Z", "--business-minutes", "1"
    )
    assert printed == "2026-06-08T03:01:07.500000Z\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2026-12-24T17:00:00", "--minutes", "5"], "has no UTC offset"),
        (["--start", "yesterday", "--minutes", "5"], "is not an ISO 8601 date and time"),
        (["--start", "2026-12-24T17:00:00Z", "--business-minutes", "-5"], "cannot be negative"),
        (["--start", "2026-12-24T17:00:00Z", "--business-minutes", "1.5"], "is not a whole number"),
        (["--start", "9999-12-31T17:00:00Z", "--business-minutes", "6000"], "after the year 9999"),
        (["--start", "9999-12-31T17:00:00Z", "--minutes", "6000"], "after the year 9999"),
    ],
)
def test_it_explains_bad_arguments(calendar_file: Path, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        deadline("--calendar", str(calendar_file), *args)


def test_it_names_the_calendar_file_when_it_is_wrong(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('timezone = "Mars/Olympus"\n[hours]\nmon = "06:00-18:00"\n', encoding="utf-8")
    with pytest.raises(CommandError, match=rf"^{bad}: unknown timezone 'Mars/Olympus'"):
        deadline("--calendar", str(bad), "--start", "2026-12-24T17:00:00Z", "--minutes", "5")


def test_it_works_as_the_capdesk_command_with_only_the_deadline_on_stdout(calendar_file: Path) -> None:
    capdesk = Path(sys.executable).parent / "capdesk"
    done = subprocess.run(  # noqa: S603  (our own entry point, fixed arguments)
        [
            str(capdesk),
            "sla",
            "deadline",
            "--calendar",
            str(calendar_file),
            "--start",
            "2026-03-27T17:00:00+07:00",
            "--business-minutes",
            "120",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, "2026-03-30T00:00:00Z\n")
    failed = subprocess.run(  # noqa: S603
        [
            str(capdesk),
            "sla",
            "deadline",
            "--calendar",
            "/nonexistent.toml",
            "--start",
            "2026-03-27T17:00:00Z",
            "--minutes",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert failed.returncode != 0 and failed.stdout == ""
    assert "/nonexistent.toml: cannot be read" in failed.stderr
