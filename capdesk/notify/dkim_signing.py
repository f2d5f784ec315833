"""DKIM signatures on the desk's own mail (RFC 6376), for a relay that does not sign.

Receivers hold Capgo's mail to DMARC: a reply whose From is support@capgo.app must carry
a DKIM signature aligned with capgo.app (or pass SPF aligned), or Gmail and Microsoft
junk or refuse it (5.7.26). An API provider (anymail) signs for the desk; a plain SMTP
relay often does not. With ``CAPDESK_DKIM_SELECTOR`` and ``CAPDESK_DKIM_PRIVATE_KEY``
set, every email the outbox builds is signed, relaxed/relaxed, with rsa-sha256, by
``CAPDESK_DKIM_DOMAIN`` (the support address's domain by default). ``capdesk
dkim-keygen`` makes a key pair and prints the DNS record to publish.
"""

from __future__ import annotations

import quopri
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import dkim  # type: ignore[import-untyped]
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

# The headers signed, when present: what a reader trusts and threads by (SEALED_HEADERS
# are listed once more, RFC 6376 5.4.2). Relays add headers of their own (Received,
# Return-Path), which are not signed.
SIGNED_HEADERS = (
    b"from",
    b"to",
    b"cc",
    b"subject",
    b"date",
    b"message-id",
    b"in-reply-to",
    b"references",
    b"reply-to",
    b"mime-version",
    b"content-type",
    b"content-transfer-encoding",
    b"auto-submitted",
)


SEALED_HEADERS = (
    b"from",
    b"to",
    b"cc",
    b"subject",
    b"reply-to",
    b"date",
    b"message-id",
    b"in-reply-to",
    b"references",
)


class DkimKeyError(ValueError):
    """The configured private key cannot sign."""


@dataclass(frozen=True)
class Signer:
    domain: str
    selector: str
    private_key: bytes = field(repr=False)  # PEM: a secret, kept out of reprs and tracebacks

    def header(self, raw: bytes) -> str:
        """The DKIM-Signature header's value for the message ``raw`` (CRLF line ends), on one line."""
        present = {name.lower() for name in re.findall(rb"^([!-9;-~]+):", raw.split(b"\r\n\r\n", 1)[0], re.M)}
        header = dkim.sign(
            raw,
            self.selector.encode(),
            self.domain.encode(),
            self.private_key,
            canonicalize=(b"relaxed", b"relaxed"),
            # Each signed header present, then once more each a reader trusts, present or
            # not: that seals them, so a relay cannot add a second Subject or a Reply-To.
            include_headers=[name for name in SIGNED_HEADERS if name in present] + list(SEALED_HEADERS),
        )
        name, _, value = header.decode("ascii").partition(":")
        assert name.strip().lower() == "dkim-signature"
        return " ".join(value.split())

    def sign(self, message: Any) -> None:
        """Add a DKIM-Signature to the built MIME message (Django's SafeMIME*), over its bytes as they are sent.

        Text parts Django leaves as 8bit are made quoted-printable first (RFC 6376 5.3): a
        relay that downgrades 8bit for a next hop without 8BITMIME (Postfix does) would
        otherwise change the body under the signature.
        """
        seven_bit(message)
        message["DKIM-Signature"] = self.header(message.as_bytes(linesep="\r\n"))


def seven_bit(message: Any) -> None:
    """Re-encode every 8bit leaf part of ``message`` as quoted-printable, in place."""
    for part in message.walk():
        if part.is_multipart() or str(part.get("Content-Transfer-Encoding", "")).lower() != "8bit":
            continue
        data = part.get_payload(decode=True)
        del part["Content-Transfer-Encoding"]
        part.set_payload(quopri.encodestring(data).decode("ascii"))
        part["Content-Transfer-Encoding"] = "quoted-printable"


def load_key(pem: str) -> bytes:
    """The PEM private key (``\\n`` escapes allowed, as in an environment variable), checked to be RSA."""
    # dkimpy reads the PEM with LF line ends only: a key saved with CRLF would pass the
    # check below and then fail every signature.
    data = pem.replace("\\n", "\n").replace("\r\n", "\n").strip().encode()
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise DkimKeyError("CAPDESK_DKIM_PRIVATE_KEY is not a PEM private key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise DkimKeyError("CAPDESK_DKIM_PRIVATE_KEY must be an RSA key (rsa-sha256)")
    try:  # what the outbox will do with it
        dkim.sign(b"From: a@example.com\r\n\r\nkey check\r\n", b"check", b"example.com", data)
    except dkim.DKIMException:
        raise DkimKeyError("CAPDESK_DKIM_PRIVATE_KEY cannot sign (dkimpy refused it)") from None
    return data


@cache
def _configured(domain: str, selector: str, pem: str) -> Signer:
    return Signer(domain, selector, load_key(pem))


def signer() -> Signer | None:
    """The desk's signer, or None when signing is off (no selector set)."""
    selector = settings.CAPDESK_DKIM_SELECTOR
    if not selector:
        return None
    domain = settings.CAPDESK_DKIM_DOMAIN or settings.CAPDESK_SUPPORT_ADDRESS.rpartition("@")[2]
    return _configured(domain, selector, settings.CAPDESK_DKIM_PRIVATE_KEY)
