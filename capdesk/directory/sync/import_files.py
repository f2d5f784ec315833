"""Reading ``directory import`` files into rows that remember their line, for line-numbered errors.

Two formats (the fields of each kind are described in ``importer.py``):

- **JSON**: one object ``{"organizations": [...], "people": [...], "projects": [...],
  "bindings": [...]}`` (any key may be left out), each list holding one object per row.
- **CSV**: one kind per file, a header row naming the fields, then one row per line.
  The kind is ``--kind``, or else the file's name: ``organizations.csv``,
  ``people.csv``, ``projects.csv``, ``bindings.csv``. Empty cells mean "not given".
"""

from __future__ import annotations

import bisect
import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from capdesk.directory.sync.summary import KINDS, Kind


class FileError(ValueError):
    """A file cannot be read at all (not the format it claims, unknown kind)."""


@dataclass(frozen=True)
class Row:
    """One row of an import file: its kind, where it was (file, line), and its fields."""

    kind: Kind
    source: str
    line: int
    fields: dict[str, Any]


class _LocatedDict(dict[str, Any]):
    """A JSON object that knows the line it started on."""

    line = 0


def _load_json_with_lines(text: str) -> Any:
    """``json.loads``, but every object records its line: the pure-Python scanner, with a hook on objects.

    The standard library exposes no positions; its pure-Python scanner takes its
    object parser from the decoder, so wrapping that one function is enough.
    """
    line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    decoder = json.JSONDecoder()
    parse_object: Any = json.decoder.JSONObject  # type: ignore[attr-defined]

    def located(s_and_end: tuple[str, int], *args: Any) -> tuple[Any, int]:
        value, end = parse_object(s_and_end, *args)
        result = _LocatedDict(value)
        result.line = bisect.bisect_right(line_starts, s_and_end[1] - 1)
        return result, end

    decoder.parse_object = located  # type: ignore[attr-defined]
    decoder.scan_once = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]
    return decoder.decode(text)


def read_json(path: Path, label: str) -> list[Row]:
    try:
        document = _load_json_with_lines(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise FileError(f"{label}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise FileError(f"{label}: line {exc.lineno}: not valid JSON: {exc.msg}") from None
    if not isinstance(document, dict):
        raise FileError(f"{label}: expected an object with {', '.join(KINDS)}")
    unknown = sorted(set(document) - set(KINDS))
    if unknown:
        raise FileError(f"{label}: unknown key(s) {', '.join(unknown)}; expected {', '.join(KINDS)}")
    rows = []
    for kind in KINDS:
        items = document.get(kind, [])
        if not isinstance(items, list):
            raise FileError(f"{label}: {kind} must be a list")
        for index, item in enumerate(items):
            line = getattr(item, "line", 0)
            if not isinstance(item, dict):
                raise FileError(f"{label}: {kind}[{index}] is not an object")
            rows.append(Row(kind=kind, source=label, line=line, fields=dict(item)))
    return rows


def kind_for(path: Path, given: str | None) -> Kind:
    name = (given or path.stem).lower()
    for kind in KINDS:
        if name == kind:
            return kind
    raise FileError(
        f"{path.name}: which kind of rows? Pass --kind ({', '.join(KINDS)}) or name the file after the kind"
    )


def read_csv(path: Path, label: str, kind: Kind) -> list[Row]:
    try:
        text = path.read_text(encoding="utf-8-sig")  # a spreadsheet's BOM is not part of the first column
    except UnicodeDecodeError:
        raise FileError(f"{label}: not UTF-8 text") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames:
        raise FileError(f"{label}: empty file; the first line must name the columns")
    rows = []
    start = reader.line_num + 1
    try:
        for record in reader:
            if None in record:
                raise FileError(f"{label}: line {start}: more cells than columns")
            fields = {key.strip(): value for key, value in record.items() if value is not None}
            if any(value.strip() for value in fields.values()):  # blank lines in spreadsheets
                rows.append(Row(kind=kind, source=label, line=start, fields=fields))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise FileError(f"{label}: line {reader.line_num}: {exc}") from None
    return rows


def read_file(path: Path, *, kind: str | None, label: str) -> list[Row]:
    if not path.is_file():
        raise FileError(f"{label}: no such file")
    if path.suffix.lower() == ".json":
        return read_json(path, label)
    if path.suffix.lower() == ".csv":
        return read_csv(path, label, kind_for(path, kind))
    raise FileError(f"{label}: expected a .json or .csv file")
