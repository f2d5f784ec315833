"""E3 for email: is the From address proven, by DKIM, ARC or a trusted relay's DMARC verdict?

A From header is only a claim. It counts as authenticated when one of these holds:

- a DKIM signature (RFC 6376) verifies and its d= domain aligns with the From domain
  (DMARC relaxed alignment, RFC 7489 3.1.1: same organizational domain), signed not
  too long ago (``CAPDESK_DKIM_MAX_AGE_DAYS``, against replays) and over the whole body;
- an ARC chain (RFC 8617) validates, its first hop was sealed by a domain in
  ``CAPDESK_TRUSTED_ARC_SEALERS``, and that hop recorded ``dmarc=pass`` for the From domain
  (the message was authenticated before a forwarder or list changed it);
- the topmost ``Authentication-Results`` header (RFC 8601) from a relay named in
  ``CAPDESK_TRUSTED_AUTHSERV_IDS`` says ``dmarc=pass`` for the From domain.

DNS goes through dnspython, to ``CAPDESK_DNS_NAMESERVERS`` when set (tests point it at a
local stub; nothing here reaches the network in the suite).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email import policy as email_policy
from email.message import Message
from email.parser import BytesHeaderParser
from functools import partial

import authres  # type: ignore[import-untyped]
import dkim  # type: ignore[import-untyped]
import dns.exception
import dns.nameserver
import dns.rdatatype
import dns.resolver
import publicsuffix2  # type: ignore[import-untyped]
from django.conf import settings

from capdesk.policy.types import Identity

logger = logging.getLogger(__name__)

_ARC_INSTANCE = re.compile(r"^\s*i\s*=\s*(\d+)\s*;", re.IGNORECASE)


@dataclass(frozen=True)
class Authentication:
    """Whether the From domain is proven, how, and why (shown to agents)."""

    authenticated: bool
    method: str  # "dkim", "arc", "dmarc" when authenticated; "" otherwise
    reason: str


def organizational_domain(domain: str) -> str:
    """The registrable domain (RFC 7489 3.2) from the bundled Public Suffix List; no network."""
    domain = domain.strip(".").lower()
    found = publicsuffix2.get_sld(domain, strict=True)
    if found:
        return str(found)
    # A suffix the list does not know (.test, .internal): the PSL's default rule "*" makes the
    # last label the suffix, so the organizational domain is the last two labels.
    return ".".join(domain.split(".")[-2:])


def aligned(signing_domain: str, from_domain: str) -> bool:
    """DMARC relaxed alignment: both names share an organizational domain."""
    return bool(signing_domain) and organizational_domain(signing_domain) == organizational_domain(
        from_domain
    )


def _resolver() -> dns.resolver.Resolver:
    servers: list[str] = settings.CAPDESK_DNS_NAMESERVERS
    if not servers:
        return dns.resolver.get_default_resolver()
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [_nameserver(s) for s in servers]
    return resolver


def _nameserver(value: str) -> dns.nameserver.Nameserver:
    # "192.0.2.53", "192.0.2.53:5353", "[2001:db8::53]:5353" or a bare IPv6 address.
    if value.startswith("["):
        host, _, port = value[1:].partition("]")
        return dns.nameserver.Do53Nameserver(host, int(port.lstrip(":") or 53))
    if value.count(":") == 1:
        host, port = value.split(":")
        return dns.nameserver.Do53Nameserver(host, int(port))
    return dns.nameserver.Do53Nameserver(value, 53)


def txt_lookup(name: bytes, timeout: int = 5) -> bytes | None:
    """dkimpy's ``dnsfunc``: the first TXT record at ``name``, or None when there is none."""
    try:
        answer = _resolver().resolve(
            name.decode("ascii"), dns.rdatatype.TXT, lifetime=timeout, raise_on_no_answer=False
        )
    except (dns.resolver.NXDOMAIN, dns.resolver.NoNameservers):
        return None
    except dns.exception.Timeout as exc:
        raise dkim.DnsTimeoutError(str(exc)) from None
    for rrset in answer.response.answer:
        if rrset.rdtype == dns.rdatatype.TXT:
            return b"".join(next(iter(rrset)).strings)
    return None


def _headers(raw: bytes) -> Message:
    # compat32 keeps header values as they arrived (no RFC 2047 decoding, no refolding).
    return BytesHeaderParser(policy=email_policy.compat32).parsebytes(raw)


def _count(headers: Message, name: str) -> int:
    return len(headers.get_all(name) or [])


def _dkim(raw: bytes, headers: Message, from_domain: str, received_at: datetime) -> Authentication:
    """The first valid, aligned, recent, whole-body DKIM signature; else every signature's failure."""
    signatures = _count(headers, "DKIM-Signature")
    if not signatures:
        return Authentication(False, "", "no DKIM signature")
    failures: list[str] = []
    max_age = settings.CAPDESK_DKIM_MAX_AGE_DAYS * 86400
    for idx in range(signatures):
        verifier = dkim.DKIM(raw, minkey=1024, timeout=5)
        try:
            valid = verifier.verify(idx=idx, dnsfunc=txt_lookup)
        except dkim.DKIMException as exc:
            failures.append(f"{_domain(verifier)}: {exc}")
            continue
        domain = _domain(verifier)
        fields = verifier.signature_fields or {}
        if not valid:
            failures.append(f"{domain}: signature does not verify")
        elif not aligned(domain, from_domain):
            failures.append(f"d={domain} is not aligned with the From domain {from_domain}")
        elif b"l" in fields:
            # l= lets anyone append text below the signed part (RFC 6376 8.2).
            failures.append(f"d={domain}: signs only part of the body (l=)")
        elif b"t" not in fields:
            failures.append(f"d={domain}: no signing time (t=), so a replay cannot be told apart")
        elif received_at.timestamp() - int(fields[b"t"]) > max_age:
            failures.append(
                f"d={domain}: signed more than {settings.CAPDESK_DKIM_MAX_AGE_DAYS} days before it arrived"
            )
        else:
            return Authentication(True, "dkim", f"DKIM pass, d={domain} aligned with From")
    return Authentication(False, "", "DKIM fail: " + "; ".join(failures))


def _domain(verifier: dkim.DKIM) -> str:
    domain = getattr(verifier, "domain", None)
    return domain.decode("ascii", "replace").lower() if isinstance(domain, bytes) else "?"


def _dmarc_pass(results: list[authres.core.AuthenticationResult], from_domain: str) -> bool:
    for result in results:
        if result.method != "dmarc" or result.result != "pass":
            continue
        header_from = {p.name: p.value for p in result.properties if p.type == "header"}.get("from", "")
        if header_from.lower() == from_domain:
            return True
    return False


def _trusted_relay(headers: Message, from_domain: str) -> Authentication | None:
    trusted = {s.lower() for s in settings.CAPDESK_TRUSTED_AUTHSERV_IDS}
    if not trusted:
        return None
    # Only the topmost header from a trusted relay counts: it is the one the relay added
    # last, and a relay removes older ones bearing its own id (RFC 8601 5). One lower down
    # may be a forger's.
    for value in headers.get_all("Authentication-Results") or []:
        try:
            header = authres.AuthenticationResultsHeader.parse_value(re.sub(r"\s+", " ", str(value)))
        except Exception:  # authres raises a family of syntax errors on malformed headers
            logger.info("intake.authentication_results_unreadable")
            continue
        if str(header.authserv_id).lower() not in trusted:
            continue
        if _dmarc_pass(header.results, from_domain):
            return Authentication(True, "dmarc", f"DMARC pass reported by {header.authserv_id}")
        return Authentication(False, "", f"{header.authserv_id} reported no DMARC pass for {from_domain}")
    return None


def _arc(raw: bytes, headers: Message, from_domain: str) -> Authentication | None:
    sealers = {s.lower() for s in settings.CAPDESK_TRUSTED_ARC_SEALERS}
    if not sealers or not _count(headers, "ARC-Seal"):
        return None
    cv, results, comment = dkim.arc_verify(raw, dnsfunc=txt_lookup)
    if cv != dkim.CV_Pass:
        return Authentication(False, "", f"ARC chain does not validate: {comment}")
    first = next((r for r in results if r.get("instance") == 1), None)
    sealer = (first or {}).get("as-domain", b"")
    sealer = sealer.decode("ascii", "replace").lower() if isinstance(sealer, bytes) else str(sealer)
    if sealer not in sealers:
        return Authentication(False, "", f"ARC first sealed by {sealer}, not a trusted sealer")
    for value in headers.get_all("ARC-Authentication-Results") or []:
        text = re.sub(r"\s+", " ", str(value))
        match = _ARC_INSTANCE.match(text)
        if not match or match.group(1) != "1":
            continue
        try:
            header = authres.AuthenticationResultsHeader.parse_value(text[match.end() :])
        except Exception:  # malformed results: treated as no pass
            break
        if _dmarc_pass(header.results, from_domain):
            return Authentication(True, "arc", f"ARC pass; {sealer} recorded DMARC pass before forwarding")
        break
    return Authentication(False, "", f"ARC valid, but {sealer} recorded no DMARC pass for {from_domain}")


def authenticate(raw: bytes, from_address: str, received_at: datetime | None = None) -> Authentication:
    """Decide whether ``from_address`` is proven by the message itself or a relay we trust."""
    from_domain = from_address.rpartition("@")[2].lower()
    if not from_domain:
        return Authentication(False, "", "no From domain")
    headers = _headers(raw)
    if _count(headers, "From") != 1:
        # Two From headers: a verifier and a mail client may each read a different one.
        return Authentication(False, "", "the message has more than one From header")
    arrived = received_at or datetime.fromtimestamp(time.time()).astimezone()
    failures: list[str] = []
    checks: list[Callable[[], Authentication | None]] = [
        partial(_dkim, raw, headers, from_domain, arrived),
        partial(_arc, raw, headers, from_domain),
        partial(_trusted_relay, headers, from_domain),
    ]
    for check in checks:
        try:
            found = check()
        except dkim.DnsTimeoutError as exc:
            found = Authentication(False, "", f"DNS did not answer: {exc}")
        except dkim.DKIMException as exc:
            found = Authentication(False, "", f"malformed signature: {exc}")
        if found is None:
            continue
        if found.authenticated:
            return found
        failures.append(found.reason)
    logger.info("intake.sender_unauthenticated", extra={"domain": from_domain})
    return Authentication(False, "", "; ".join(failures) or "no authentication")


def identity_for(*, registered: bool, authentication: Authentication) -> Identity:
    """E3: a registered sender is verified only when the message proves its From domain."""
    if not registered:
        return Identity.UNKNOWN
    return Identity.VERIFIED if authentication.authenticated else Identity.UNVERIFIED
