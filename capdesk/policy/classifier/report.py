"""Write one block of BENCHMARKS.md's "## Scope classifier" section, leaving the rest of the file alone.

The section holds marked blocks (accuracy, speed), each rewritten by the command or
bench that measures it, so re-running one never clobbers the other or another
engineer's section.
"""

from __future__ import annotations

import re
from pathlib import Path

SECTION = "## Scope classifier"
_INTRO = (
    "The scope classifier (`capdesk/policy/classifier/`): TF-IDF word 1-2 grams and character 3-5 grams, "
    "a logistic regression, one calibration temperature. Each block below is rewritten by the command "
    "named in it."
)


def _markers(block: str) -> tuple[str, str]:
    return f"<!-- classifier:{block}:start -->", f"<!-- classifier:{block}:end -->"


def _section_bounds(text: str) -> tuple[int, int] | None:
    heading = re.search(rf"^{re.escape(SECTION)}[ \t]*$", text, re.MULTILINE)
    if heading is None:
        return None
    following = re.compile(r"^## ", re.MULTILINE).search(text, heading.end())
    return heading.start(), following.start() if following else len(text)


def write_block(path: Path, block: str, content: str) -> None:
    """Replace (or add) the marked ``block`` in the classifier section of ``path``."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    begin, end = _markers(block)
    fresh = f"{begin}\n{content.strip()}\n{end}"
    bounds = _section_bounds(text)
    if bounds is None:
        text = text.rstrip("\n") + f"\n\n{SECTION}\n\n{_INTRO}\n\n{fresh}\n"
    else:
        start, stop = bounds
        section = text[start:stop]
        if begin in section and end in section:
            section = section[: section.index(begin)] + fresh + section[section.index(end) + len(end) :]
        else:
            section = section.rstrip("\n") + f"\n\n{fresh}\n"
        if stop < len(text) and not section.endswith("\n\n"):
            section = section.rstrip("\n") + "\n\n"
        text = text[:start] + section + text[stop:]
    path.write_text(text, encoding="utf-8")
