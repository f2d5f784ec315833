"""RFC 5545 text by hand: escaping and folding are pure functions."""

from datetime import UTC, datetime

from capdesk.status.ical import Event, calendar, escape_text, fold


def test_it_escapes_the_characters_rfc_5545_reserves():
    assert escape_text("a\\b;c,d\r\ne\nf") == "a\\\\b\\;c\\,d\\ne\\nf"


def test_it_folds_at_75_octets_with_a_leading_space():
    line = "DESCRIPTION:" + "x" * 200
    folded = fold(line).split("\r\n")
    assert all(len(part.encode()) <= 75 for part in folded)
    assert all(part.startswith(" ") for part in folded[1:])
    assert "".join(p[1:] if i else p for i, p in enumerate(folded)) == line


def test_it_never_folds_inside_a_multibyte_character():
    line = "SUMMARY:" + "Pemeliharaan basis data — " + "é" * 60
    for part in fold(line).split("\r\n"):
        part.encode().decode()  # each physical line is whole UTF-8
        assert len(part.encode()) <= 75


def test_a_calendar_ends_every_line_with_crlf():
    moment = datetime(2026, 3, 20, 2, 0, tzinfo=UTC)
    event = Event("abc@host", 2, moment, moment, "S", "D", "https://x/y", "CONFIRMED", moment)
    text = calendar([event], name="Maintenance", prodid="-//Test//EN")
    assert "\n" not in text.replace("\r\n", "")
    assert "SEQUENCE:2\r\n" in text and "DTSTART:20260320T020000Z\r\n" in text
