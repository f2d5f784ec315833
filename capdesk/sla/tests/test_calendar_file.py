"""Calendar files: the TOML DESIGN.md specifies, holidays three ways, and errors that name the file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from capdesk.sla.calendar_file import CalendarError, load_calendar

JAKARTA = """
timezone = "Asia/Jakarta"
holidays = ["2026-12-25", 2026-12-31]
[hours]
mon = "06:00-18:00"
tue = "06:00-12:00, 13:00-18:00"
wed = "06:00-18:00"
thu = "06:00-18:00"
fri = "06:00-18:00"
sat = ""
"""


def write(tmp_path: Path, text: str, name: str = "calendar.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_it_reads_zone_hours_and_holidays(tmp_path: Path) -> None:
    calendar = load_calendar(write(tmp_path, JAKARTA))
    assert calendar.zone.key == "Asia/Jakarta"
    assert calendar.week[0] == ((360, 1080),)
    assert calendar.week[1] == ((360, 720), (780, 1080))
    assert calendar.week[5] == () and calendar.week[6] == ()
    assert calendar.holidays == {date(2026, 12, 25), date(2026, 12, 31)}
    assert not calendar.always_open


def test_it_reads_24_7(tmp_path: Path) -> None:
    calendar = load_calendar(write(tmp_path, 'timezone = "Europe/Paris"\nhours = "24/7"\n'))
    assert calendar.always_open


def test_it_takes_public_holidays_of_a_country(tmp_path: Path) -> None:
    text = 'timezone = "Asia/Jakarta"\nholiday_country = "ID"\n[hours]\nmon = "06:00-18:00"\n'
    calendar = load_calendar(write(tmp_path, text))
    assert calendar.is_holiday(date(2026, 8, 17))  # Indonesia's Independence Day
    assert not calendar.is_holiday(date(2026, 8, 18))


def test_it_takes_holidays_from_an_icalendar_file(tmp_path: Path) -> None:
    write(
        tmp_path,
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:Company\r\n  retreat\r\nDTSTART;VALUE=DATE:20260708\r\n"
        "DTEND;VALUE=DATE:20260710\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nDTSTART:20261224T000000Z\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n",
        "holidays.ics",
    )
    text = 'timezone = "UTC"\nholiday_ics = "holidays.ics"\n[hours]\nmon = "06:00-18:00"\n'
    calendar = load_calendar(write(tmp_path, text))
    assert calendar.holidays == {date(2026, 7, 8), date(2026, 7, 9), date(2026, 12, 24)}


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('[hours]\nmon = "06:00-18:00"\n', "timezone is missing"),
        ('timezone = "Asia/Jakartaa"\n[hours]\nmon = "06:00-18:00"\n', "unknown timezone 'Asia/Jakartaa'"),
        ('timezone = "UTC"\n', "[hours] is missing"),
        ('timezone = "UTC"\n[hours]\nmon = "6-18"\n', "[hours] mon: '6' in '6-18' is not a time like 06:00"),
        ('timezone = "UTC"\n[hours]\nmon = "06:00-25:00"\n', "not a time between 00:00 and 24:00"),
        ('timezone = "UTC"\n[hours]\nmon = "22:00-02:00"\n', "ends before it starts"),
        ('timezone = "UTC"\n[hours]\nmon = "06:00-12:00,11:00-18:00"\n', "ranges overlap"),
        ('timezone = "UTC"\n[hours]\nmonday = "06:00-18:00"\n', "[hours] has 'monday'"),
        ('timezone = "UTC"\n[hours]\nmon = ""\n', "opens on no day at all"),
        (
            'timezone = "UTC"\nholiday = ["2026-12-25"]\n[hours]\nmon = "06:00-18:00"\n',
            "unknown key 'holiday'",
        ),
        (
            'timezone = "UTC"\nholidays = ["25/12/2026"]\n[hours]\nmon = "06:00-18:00"\n',
            "'25/12/2026' is not a date",
        ),
        (
            'timezone = "UTC"\nholiday_country = "XX"\n[hours]\nmon = "06:00-18:00"\n',
            "unknown holiday country",
        ),
        ('timezone = "UTC"\nholiday_ics = "missing.ics"\n[hours]\nmon = "06:00-18:00"\n', "cannot be read"),
        ("timezone = \n", "is not valid TOML"),
    ],
)
def test_it_names_the_file_and_the_reason_for_a_bad_calendar(tmp_path: Path, text: str, reason: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(CalendarError) as caught:
        load_calendar(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert reason in str(caught.value)


def test_it_refuses_recurring_events_in_an_icalendar_file(tmp_path: Path) -> None:
    write(tmp_path, "BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260101\nRRULE:FREQ=YEARLY\nEND:VEVENT\n", "h.ics")
    with pytest.raises(CalendarError, match="recurring events"):
        load_calendar(write(tmp_path, 'timezone = "UTC"\nholiday_ics = "h.ics"\nhours = "24/7"\n'))


def test_it_reports_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CalendarError, match="cannot be read"):
        load_calendar(tmp_path / "nowhere.toml")
