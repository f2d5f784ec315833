"""Turn a request's subject and body into the one string the model reads.

Replies quote earlier mail: that history is about what was asked before, not what is
asked now, so it is cut before features (a reply that only quotes keeps its text).
Digits become 0: versions, ids and times vary endlessly and say nothing about scope.
Only the head of a long body is read: the ask comes first, a pasted log goes on for
pages, and the time to classify must not grow with it.
"""

from __future__ import annotations

import re

MAX_BODY_CHARS = 3000

# "On Tue, 3 Mar 2026 at 10:12, Someone <a@b> wrote:" (Gmail, Apple Mail, Thunderbird),
# its Indonesian "Pada ... menulis:", and a few other clients' languages customers use.
_ATTRIBUTION = re.compile(
    r"^(on\b.{0,250}\bwrote:|pada\b.{0,250}\bmenulis:|le\b.{0,250}\ba écrit\s?:|am\b.{0,250}\bschrieb\b.{0,80}:)$",
    re.IGNORECASE,
)
# Outlook and friends: a separator line, or a "From:" header block with a "Sent:"/"Date:" line below.
_SEPARATOR = re.compile(
    r"^(-{2,}\s*(original message|pesan asli|forwarded message)\s*-{2,}|_{20,})$", re.IGNORECASE
)
_HEADER_FROM = re.compile(r"^(from|dari)\s*:", re.IGNORECASE)
_HEADER_NEXT = re.compile(r"^(sent|date|tanggal|dikirim|to|kepada)\s*:", re.IGNORECASE)
_REPLY_PREFIX = re.compile(r"^\s*((re|fwd?|aw|bls|balas|tr)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_DIGITS = re.compile(r"\d")


def _starts_history(lines: list[str], i: int) -> bool:
    line = lines[i].strip()
    if _SEPARATOR.match(line):
        return True
    # Gmail wraps a long attribution over two lines; join it with the next one.
    following = lines[i + 1].strip() if i + 1 < len(lines) else ""
    if _ATTRIBUTION.match(line) or (
        line[:3].lower() in {"on ", "pad"} and _ATTRIBUTION.match(f"{line} {following}")
    ):
        return True
    if _HEADER_FROM.match(line):
        return any(_HEADER_NEXT.match(nxt.strip()) for nxt in lines[i + 1 : i + 5])
    return False


def strip_quoted(body: str) -> str:
    """The body without quoted history ("> " lines and everything below an attribution line)."""
    lines = body.splitlines()
    kept: list[str] = []
    for i, line in enumerate(lines):
        if _starts_history(lines, i):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    text = "\n".join(kept).strip()
    return text or body.strip()


def strip_reply_prefix(subject: str) -> str:
    return _REPLY_PREFIX.sub("", subject).strip()


def prepare(subject: str, body: str) -> str:
    """The text the model is trained on and asked about: subject, then the new part of the body."""
    text = f"{strip_reply_prefix(subject)}\n{strip_quoted(body)[:MAX_BODY_CHARS]}"
    return _DIGITS.sub("0", text)
