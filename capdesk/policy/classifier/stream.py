"""``capdesk classify``'s contract: JSON Lines in, one JSON line out per line in, in order.

In: ``{"subject": str, "body": str}`` per line (other keys are ignored). Out, per line:
``{"scope", "group", "confidence", "clauses"}``, or ``{"error": "line N: ..."}`` in
the place of a line that is not such an object (not JSON, not an object, a field
missing or not a string, a blank line), so output line N always answers input line N.
The caller learns that errors happened from the count returned (the command exits 1).

Lines are classified in batches (one model call per batch is what makes it fast),
but a batch is only what has already arrived: the reader never waits for more input
while it holds complete lines, so a program that writes one line and waits for the
answer gets it at once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import BinaryIO, Protocol

from capdesk.policy.classifier import Labels, labels
from capdesk.policy.classifier.text import prepare

DEFAULT_BATCH = 512
_READ_SIZE = 1 << 16


class ChunkReader(Protocol):
    def read1(self, size: int = ..., /) -> bytes: ...


def line_batches(reader: ChunkReader, max_batch: int) -> Iterator[list[bytes]]:
    """Complete lines as they arrive, at most ``max_batch`` at a time; a last unterminated line too."""
    pending = b""
    while chunk := reader.read1(_READ_SIZE):
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for start in range(0, len(lines), max_batch):
            yield lines[start : start + max_batch]
    if pending.strip():
        yield [pending]


def parse_request(line: bytes, number: int) -> tuple[str, str] | str:
    """The (subject, body) of one input line, or the error message that replaces its answer."""
    if not line.strip():
        return f"line {number}: blank line, expected a JSON object"
    try:
        value = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return f"line {number}: not valid JSON ({exc})"
    if not isinstance(value, dict):
        return f"line {number}: expected a JSON object with subject and body, got {type(value).__name__}"
    for field in ("subject", "body"):
        if field not in value:
            return f'line {number}: missing "{field}"'
        if not isinstance(value[field], str):
            return f'line {number}: "{field}" must be a string'
    return value["subject"], value["body"]


def answer_lines(table: Labels, parsed: list[tuple[str, str] | str]) -> list[str]:
    texts = [prepare(*item) for item in parsed if isinstance(item, tuple)]
    predictions = iter(table.predict(texts))
    out = []
    for item in parsed:
        if isinstance(item, str):
            out.append(json.dumps({"error": item}, ensure_ascii=False))
            continue
        index, confidence = next(predictions)
        answer = {
            "scope": table.scopes[index],
            "group": table.groups[index],
            "confidence": round(confidence, 4),
            "clauses": list(table.clauses[index]),
        }
        out.append(json.dumps(answer))
    return out


def classify_stream(reader: ChunkReader, writer: BinaryIO, *, max_batch: int = DEFAULT_BATCH) -> int:
    """Answer every line of ``reader`` on ``writer``; return how many lines were errors."""
    table = labels()
    errors = 0
    number = 0
    for batch in line_batches(reader, max_batch):
        parsed: list[tuple[str, str] | str] = []
        for line in batch:
            number += 1
            parsed.append(parse_request(line.rstrip(b"\r"), number))
        errors += sum(isinstance(item, str) for item in parsed)
        writer.write(("\n".join(answer_lines(table, parsed)) + "\n").encode("utf-8"))
        writer.flush()
    return errors
