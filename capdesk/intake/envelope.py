"""The SMTP envelope, written on top of the stored message as an MTA's local delivery does.

The envelope says what the message's own headers may not: the address it was really
delivered to (a reply sent with the ticket's reply address only in Bcc, a bounce sent
to a VERP return path) and the sender to return it to, which is null (``MAIL FROM:<>``)
for a bounce or any other message nobody may answer (RFC 5321 4.5.5, RFC 3834 2).
Postfix's local and virtual delivery prepend ``Return-Path`` (MAIL FROM) and
``Delivered-To`` (each RCPT TO); so does the desk, for what it receives itself
(``intake.smtpd``) or is handed with the envelope by a provider (``intake.providers``).

Prepended, never merged: the parser reads the topmost ``Return-Path``, so ours wins over
one the sender wrote or an upstream server added, and the rest of the bytes stay as
they arrived. DKIM still verifies: neither header is one a signer signs (RFC 6376
5.4.1), and a verifier reads signed headers from the bottom up (RFC 6376 5.4.2).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Control characters (CR, LF above all) would end the header line and start another.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


def _path(address: str) -> str:
    """An envelope address without its angle brackets and anything that could break the line."""
    return _UNSAFE.sub("", address).strip().removeprefix("<").removesuffix(">").strip()


def trace_headers(*, sender: str | None, recipients: Iterable[str], newline: bytes = b"\r\n") -> bytes:
    """``Return-Path`` (when ``sender`` is known; "" or "<>" is the null sender), then one
    ``Delivered-To`` per recipient, each line ended with ``newline``."""
    lines = [] if sender is None else [f"Return-Path: <{_path(sender)}>"]
    lines += [f"Delivered-To: {path}" for recipient in recipients if (path := _path(recipient))]
    # RFC 6532: an internationalised address (SMTPUTF8) is written as UTF-8.
    return b"".join(line.encode("utf-8") + newline for line in lines)


def with_envelope(raw: bytes, *, sender: str | None, recipients: Iterable[str]) -> bytes:
    """``raw`` with the envelope's trace headers on top, in the message's own line endings."""
    end = raw.find(b"\n")
    newline = b"\n" if end > 0 and raw[end - 1 : end] != b"\r" else b"\r\n"
    return trace_headers(sender=sender, recipients=recipients, newline=newline) + raw
