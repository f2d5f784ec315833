"""Split a Markdown file into its front matter and body (a small, strict YAML subset).

Only what knowledge files use: ``key: value`` lines, quoted or not, and flow lists
``[a, b]`` (or comma-separated values for ``tags``). No YAML dependency for that.
"""

from __future__ import annotations

from dataclasses import dataclass


class FrontMatterError(ValueError):
    """The file's front matter is missing, unclosed or has a line that is not ``key: value``."""


@dataclass(frozen=True)
class Document:
    meta: dict[str, str | list[str]]
    body: str


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def parse(text: str) -> Document:
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise FrontMatterError("no front matter: the file must start with a '---' line")
    try:
        end = next(i for i, line in enumerate(lines[1:], start=1) if line.strip() == "---")
    except StopIteration:
        raise FrontMatterError("front matter is not closed by a '---' line") from None
    meta: dict[str, str | list[str]] = {}
    for number, line in enumerate(lines[1:end], start=2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        if not sep or not key.strip():
            raise FrontMatterError(f"line {number}: expected 'key: value'")
        name = key.strip().lower().replace(" ", "_").replace("-", "_")
        value = value.strip()
        if value.startswith("[") and value.endswith("]"):
            meta[name] = [_unquote(v) for v in value[1:-1].split(",") if v.strip()]
        else:
            meta[name] = _unquote(value)
    return Document(meta=meta, body="\n".join(lines[end + 1 :]).strip() + "\n")


def as_list(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [v.strip() for v in value if v.strip()]
    return [v.strip() for v in value.split(",") if v.strip()]


def as_text(value: str | list[str] | None) -> str:
    if value is None:
        return ""
    return ", ".join(value) if isinstance(value, list) else value
