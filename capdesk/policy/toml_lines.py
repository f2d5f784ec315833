"""Find the line of a key in a TOML document, so a policy error can say where it is.

``tomllib`` gives line numbers only for syntax errors; semantic errors (an
unknown clause id, a missing reply) are found after parsing, when positions are
gone. This scans the text once for table headers and ``key =`` lines (skipping
the inside of multi-line strings) and answers with the line whose dotted key
path shares the longest prefix with the path asked for: the key itself if it is
there, else the nearest table it should have been in.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_HEADER = re.compile(r"^\s*\[\[?\s*(?P<key>[^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(
    r"""^\s*(?P<key>(?:[A-Za-z0-9_\-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_\-]+|"[^"]*"|'[^']*'))*)\s*="""
)
_PART = re.compile(r"""\s*(?:(?P<bare>[A-Za-z0-9_\-]+)|"(?P<basic>[^"]*)"|'(?P<literal>[^']*)')\s*(?:\.|$)""")


def split_key(dotted: str) -> tuple[str, ...]:
    """``a."b.c".d`` -> ``("a", "b.c", "d")`` (escapes inside quoted keys are not needed here)."""
    parts = []
    for match in _PART.finditer(dotted):
        parts.append(match.group("bare") or match.group("basic") or match.group("literal") or "")
    return tuple(parts)


def _key_lines(text: str) -> Iterator[tuple[int, tuple[str, ...]]]:
    """Every table header and key line as (line number, full dotted path)."""
    table: tuple[str, ...] = ()
    open_quote: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if open_quote is not None:
            if line.count(open_quote) % 2 == 1:
                open_quote = None
            continue
        header = _HEADER.match(line)
        if header:
            table = split_key(header.group("key"))
            yield number, table
            continue
        key = _KEY.match(line)
        if key:
            yield number, table + split_key(key.group("key"))
            rest = line[key.end() :]
            for quote in ('"""', "'''"):
                if rest.count(quote) % 2 == 1:
                    open_quote = quote
                    break


def line_of(text: str, path: tuple[str, ...]) -> int:
    """The line of ``path`` in ``text``, or of its nearest existing ancestor (1 if none)."""
    best_line, best_depth = 1, 0
    for number, found in _key_lines(text):
        depth = 0
        for have, want in zip(found, path, strict=False):
            if have != want:
                break
            depth += 1
        if depth > best_depth:
            best_line, best_depth = number, depth
            if depth == len(path):
                break
    return best_line
