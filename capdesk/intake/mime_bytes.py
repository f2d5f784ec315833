"""The exact bytes of a MIME part, cut out of the message as it arrived.

The email package parses into objects and writes them out anew, refolding headers
and re-encoding bodies. A forwarded message kept as an attachment must be the bytes
the sender's client wrote (a signature inside it still verifies; agents download what
was sent), so its bytes are cut from the raw message along the same boundaries the
parser followed. A caller checks the cut against the parsed tree and falls back to
the email package's serialisation when they disagree.
"""

from __future__ import annotations

import re

_HEADER_END = re.compile(rb"\r?\n\r?\n")


def split_head(raw: bytes) -> tuple[bytes, bytes]:
    """(header block, body) of an entity: the body starts after the first empty line (RFC 5322 2.1)."""
    for newline in (b"\r\n", b"\n"):
        if raw.startswith(newline):  # no headers at all (RFC 2046 5.1.1 allows a part without any)
            return b"", raw[len(newline) :]
    match = _HEADER_END.search(raw)
    if match is None:
        return raw, b""
    return raw[: match.start()], raw[match.end() :]


def multipart_children(raw: bytes, boundary: str) -> list[bytes]:
    """The bytes of each body part of a multipart entity, in order (RFC 2046 5.1.1).

    The line break before a delimiter line belongs to the delimiter, not to the part.
    With no close delimiter (a truncated message) the last part runs to the end, as the
    email package reads it too.
    """
    _, body = split_head(raw)
    delimiter = re.compile(
        rb"^--" + re.escape(boundary.encode("utf-8", "surrogateescape")) + rb"(--)?[ \t]*(?:\r?\n|\Z)",
        re.MULTILINE,
    )
    children: list[bytes] = []
    start: int | None = None
    for match in delimiter.finditer(body):
        if start is not None:
            children.append(_without_last_newline(body[start : match.start()]))
        if match.group(1):  # the close delimiter: what follows is the epilogue
            return children
        start = match.end()
    if start is not None:
        children.append(body[start:])
    return children


def _without_last_newline(chunk: bytes) -> bytes:
    for newline in (b"\r\n", b"\n"):
        if chunk.endswith(newline):
            return chunk[: -len(newline)]
    return chunk
