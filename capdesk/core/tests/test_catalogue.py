"""The Indonesian catalogue: every entry translated, none fuzzy, and the compiled .mo in step with the .po."""

from __future__ import annotations

import ast
import gettext
from dataclasses import dataclass, field
from pathlib import Path

from django.utils import translation

from capdesk.tickets.models import Severity, Status

LC_MESSAGES = Path(__file__).resolve().parents[2] / "locale" / "id" / "LC_MESSAGES"


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    plural: str | None = None
    msgstrs: list[str] = field(default_factory=list)
    fuzzy: bool = False
    line: int = 0


def _entries(path: Path) -> list[Entry]:
    """A small .po reader (polib is not a dependency): enough for the files makemessages writes."""
    entries: list[Entry] = []
    current = Entry()
    target: tuple[str, int] | None = None

    def flush() -> None:
        nonlocal current, target
        if current.line:
            entries.append(current)
        current, target = Entry(), None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):  # blank, or an obsolete entry nobody shows
            continue
        if line.startswith("#,"):
            if current.line and target and target[0] == "msgstr":
                flush()
            current.fuzzy = "fuzzy" in line
            continue
        if line.startswith("#"):
            if current.line and target and target[0] == "msgstr":
                flush()
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            assert target is not None, f"{path}:{number}: a continuation with nothing to continue"
            text = ast.literal_eval(line)
        else:
            if keyword in ("msgctxt", "msgid") and target and target[0] == "msgstr":
                flush()
            text = ast.literal_eval(rest)
            if keyword.startswith("msgstr["):
                target = ("msgstr", int(keyword[7:-1]))
                current.msgstrs.append("")
            elif keyword == "msgstr":
                target = ("msgstr", 0)
                current.msgstrs.append("")
            else:
                target = (keyword, 0)
                current.line = current.line or number
                if keyword == "msgctxt":
                    current.msgctxt = ""
                elif keyword == "msgid_plural":
                    current.plural = ""
        name, index = target
        if name == "msgstr":
            current.msgstrs[index] += text
        elif name == "msgctxt":
            current.msgctxt = (current.msgctxt or "") + text
        elif name == "msgid":
            current.msgid += text
        elif name == "msgid_plural":
            current.plural = (current.plural or "") + text
    flush()
    return [e for e in entries if e.msgid]  # the header (msgid "") is metadata


def test_it_has_a_translation_for_every_indonesian_entry():
    entries = _entries(LC_MESSAGES / "django.po")
    assert len(entries) > 500
    untranslated = [f"line {e.line}: {e.msgid!r}" for e in entries if not all(e.msgstrs)]
    assert untranslated == []


def test_it_has_no_fuzzy_indonesian_entry():
    # A fuzzy entry is makemessages' guess from a similar string; gettext ignores it, so the
    # page shows English, and a reviewer who sees msgstr filled in thinks it is translated.
    fuzzy = [f"line {e.line}: {e.msgid!r}" for e in _entries(LC_MESSAGES / "django.po") if e.fuzzy]
    assert fuzzy == []


def test_it_ships_a_compiled_catalogue_that_matches_the_po_file():
    with (LC_MESSAGES / "django.mo").open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)
    stale = []
    for e in _entries(LC_MESSAGES / "django.po"):
        key = e.msgid if e.msgctxt is None else f"{e.msgctxt}\x04{e.msgid}"
        if e.plural is None:
            got = catalogue._catalog.get(key)  # type: ignore[attr-defined]
            if got != e.msgstrs[0]:
                stale.append(e.msgid)
        elif catalogue._catalog.get((key, 0)) != e.msgstrs[0]:  # type: ignore[attr-defined]
            stale.append(e.msgid)
    assert stale == [], "run compilemessages -l id"


def test_it_shows_ticket_statuses_and_severities_in_indonesian():
    with translation.override("id"):
        assert [str(label) for label in Status.labels] == [
            "Baru",
            "Terbuka",
            "Menunggu pelanggan",
            "Ditunda",
            "Selesai",
            "Ditutup",
        ]
        assert [str(label) for label in Severity.labels] == ["Mendesak", "Tinggi", "Normal", "Rendah"]
