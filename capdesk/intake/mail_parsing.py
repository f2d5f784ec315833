"""Read an RFC 5322 message into what the desk needs: who, what, which thread, which files."""

from __future__ import annotations

import base64
import binascii
import mimetypes
import quopri
import re
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header
from email.headerregistry import BaseHeader
from email.message import EmailMessage, Message
from email.parser import BytesParser, HeaderParser
from email.policy import EmailPolicy
from email.utils import getaddresses
from functools import lru_cache

import nh3

from capdesk.intake.mime_bytes import multipart_children, split_head
from capdesk.intake.quoting import fold_forwarded, render_plain_folded, split_html
from capdesk.tickets.actions import IncomingFile
from capdesk.tickets.rendering import sanitise_email

_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
# A message forwarded "as attachment" (RFC 2046 5.2.1; RFC 6532 3.7 for message/global).
_FORWARD_TYPES = ("message/rfc822", "message/global")
# Forwards inside forwards are summarised this deep; deeper ones stay in the .eml only.
MAX_FORWARD_DEPTH = 3
# The headers the desk reads from ParsedMail.headers: the recipients (a reply token in the
# address, email_channel.find_thread) and the marks of machine-sent mail (is_automatic).
# Only these are decoded; structured-parsing every Received and DKIM-Signature line of
# every message was a quarter of the parse (intake throughput, BENCHMARKS.md).
RECIPIENT_HEADERS = ("to", "cc", "delivered-to", "x-original-to")
_AUTOMATIC_HEADERS = (
    "auto-submitted",
    "x-autoreply",
    "x-autorespond",
    "x-auto-response-suppress",
    "x-loop",
    "precedence",
    "list-id",
    "return-path",
    "content-type",  # multipart/report: a delivery or feedback report
)
_READ_HEADERS = frozenset((*RECIPIENT_HEADERS, *_AUTOMATIC_HEADERS))
# Trace headers written once per recipient of a delivery (intake.envelope): each is read,
# joined into one list, where a reply token may be in any of them.
_EVERY_ONE = frozenset(("delivered-to", "x-original-to"))
# The MIME headers the part walk reads several times per part (get_content_type,
# get_content_charset, get_payload(decode=True), get_filename ...); their values repeat
# across messages, so each distinct value is parsed once per process.
_MEMO_HEADERS = frozenset(("content-type", "content-transfer-encoding", "content-disposition"))


@lru_cache(maxsize=2048)
def _parsed_mime_header(name: str, value: str) -> BaseHeader:
    header = policy.default.header_fetch_parse(name, value)
    assert isinstance(header, BaseHeader)
    return header


class _MimePolicy(EmailPolicy):
    """``policy.default``, with the parse of the repeated MIME headers memoised (same objects, same values)."""

    def header_fetch_parse(self, name: str, value: str) -> str:
        if name.lower() in _MEMO_HEADERS and not hasattr(value, "name"):
            return _parsed_mime_header(name, value)
        return super().header_fetch_parse(name, value)  # type: ignore[no-any-return]


_POLICY = _MimePolicy()


@dataclass
class ParsedMail:
    from_address: str
    from_name: str
    subject: str
    message_id: str
    in_reply_to: list[str]
    references: list[str]
    text: str  # the message's own text, then a summary of each forwarded message
    # Safe HTML to show: the sanitised HTML part, then each forwarded message's summary;
    # empty when the message had no HTML part and forwarded nothing.
    html: str
    files: list[IncomingFile] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # only _READ_HEADERS, by lower-case name
    html_quoted: str = ""  # sanitised quoted history cut from the HTML (quoting.split_html)
    forwarded: list[Forwarded] = field(default_factory=list)


@dataclass(frozen=True)
class Forwarded:
    """A message forwarded as an attachment: kept whole as ``filename``, summarised in the body."""

    filename: str  # "" for a forward inside a forward, which has no file of its own
    content: bytes  # the forwarded message's bytes, as they arrived
    headers: list[tuple[str, str]]  # From, Date, Subject, and the names of its attachments
    text: str  # its own text, its own forwards summarised in it
    html: str  # the same, as safe HTML: its quoted history and its own forwards folded

    def summary(self) -> str:
        """The plain-text summary that follows the forwarding message's own text."""
        named = f" ({self.filename})" if self.filename else ""
        lines = [f"---------- Forwarded message{named} ----------"]
        lines += [f"{name}: {value}" for name, value in self.headers if value]
        quoted = "\n".join(f"> {line}" if line else ">" for line in self.text.splitlines())
        return "\n".join(lines) + ("\n\n" + quoted if quoted else "")


@dataclass
class _Content:
    """What a walk over a message's parts collected."""

    text_parts: list[str] = field(default_factory=list)
    html_parts: list[str] = field(default_factory=list)
    files: list[IncomingFile] = field(default_factory=list)
    forwarded: list[Forwarded] = field(default_factory=list)


@dataclass(frozen=True)
class MailIdentity:
    """What a receiver needs before it has read the body: the repeat-delivery key and the claimed sender.

    And the subject, kept on the stored request so admins can tell requests apart.
    """

    message_id: str
    from_address: str
    subject: str = ""


def _message_id(value: str) -> str:
    # The header may carry comments or folding around the id (RFC 5322 3.6.4); keep the <id>
    # itself, so a reply's In-Reply-To matches what we stored.
    match = _MESSAGE_ID.search(value)
    return match.group(0) if match else value.strip()


def _from_address(msg: EmailMessage) -> tuple[str, str]:
    addresses = getaddresses([_header(msg, "From")])
    name, address = addresses[0] if addresses else ("", "")
    return name, address.strip().lower()


def read_identity(raw: bytes) -> MailIdentity:
    """The Message-ID and From address, from the headers alone; empty strings where there are none.

    What a receiver stores before it answers 250: the repeat-delivery key and the sender
    the message claims, for the record. Read from the raw header values, without building
    the email package's header objects (a third of a store's CPU): no trust rests on
    it, since the worker's full ``parse`` reads the From address that is authenticated.
    """
    try:
        msg = BytesParser(policy=_POLICY).parsebytes(raw, headersonly=True)
    except Exception:  # unreadable headers: the message is still stored, and quarantined later
        return MailIdentity("", "")
    first: dict[str, str] = {}
    for name, value in msg.raw_items():
        first.setdefault(name.lower(), value)
    addresses = getaddresses([_unfolded(first.get("from", ""))])
    address = addresses[0][1] if addresses else ""
    return MailIdentity(
        _message_id(_unfolded(first.get("message-id", ""))),
        address.strip().lower(),
        _decoded(_unfolded(first.get("subject", "")))[:255],
    )


def _decoded(value: str) -> str:
    """A header value with its encoded words (RFC 2047) decoded; as it is when they do not decode."""
    if "=?" not in value:  # most subjects: no email package at all
        return value
    try:
        words = [
            text.decode(charset or "ascii", "replace") if isinstance(text, bytes) else text
            for text, charset in decode_header(value)
        ]
    except (
        LookupError,
        ValueError,
    ):  # an unknown charset, a broken word: the raw text still tells rows apart
        return value
    return _printable("".join(words)).strip()


def _unfolded(value: object) -> str:
    # A raw value keeps its folding (RFC 5322 2.2.3), and is a Header for some broken mail.
    # Raw 8-bit bytes come as surrogate escapes, which no database stores: read them as
    # UTF-8 (RFC 6532 allows it in headers), anything else as U+FFFD.
    text = str(value).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return _printable(re.sub(r"\r?\n(?=[ \t])", "", text)).strip()


def _header(msg: EmailMessage, name: str) -> str:
    lowered = name.lower()
    if lowered in _PLAIN_KINDS:
        raw = next((value for key, value in msg.raw_items() if key.lower() == lowered), None)
        if raw is None:
            return ""
        plain = _plain_header(_PLAIN_KINDS[lowered], raw)
        if plain is not None:
            return plain
    try:
        value = msg.get(name)
    except Exception:  # a header so broken the email package cannot even fold it
        return ""
    return _printable(str(value)).strip() if value is not None else ""


# The headers every message has, read without the email package's header objects when
# their raw value is plain: a From, To, Message-ID and Subject parsed that way were half
# of the parse's CPU (BENCHMARKS.md, "Worker CPU, 2026-11-28 (afternoon)"). Plain means
# printable ASCII without an encoded word (RFC 2047), and for ids and addresses the
# simple forms of RFC 5322 3.4 and 3.6.4, where what the email package returns is known:
# the value itself, or for an address list its re-rendering (quotes only where needed).
# Anything else takes the email package's way. test_mail_parsing_plain checks both agree.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM = rf"{_ATOM}(?:\.{_ATOM})*"
_ADDR_SPEC = rf"{_DOT_ATOM}@{_DOT_ATOM}"
_PLAIN_TEXT = re.compile(r"[\t\x20-\x7e]*")
_PLAIN_MESSAGE_ID = re.compile(rf"[ \t]*(<{_DOT_ATOM}@{_DOT_ATOM}>)[ \t]*")
_PLAIN_ADDRESS_LIST = re.compile(rf"[ \t]*{_ADDR_SPEC}(?:, {_ADDR_SPEC})*[ \t]*")
# One mailbox with a display name: words of letters and digits, one space apart, in
# quotes or not; a quoted name may also hold "." "," and "'".
_WORDS = r"[A-Za-z0-9]+(?: [A-Za-z0-9]+)*"
_PLAIN_NAMED = re.compile(
    rf"[ \t]*(?:\"(?P<quoted>[A-Za-z0-9.,']+(?: [A-Za-z0-9.,']+)*)\"|(?P<bare>{_WORDS})) "
    rf"<(?P<address>{_ADDR_SPEC})>[ \t]*"
)
_NAME_SPECIALS = frozenset(".,")  # of the characters a plain name may hold, those a rendering quotes
_PLAIN_KINDS = {
    **dict.fromkeys(("subject", "in-reply-to", "references"), "text"),
    "message-id": "message-id",
    **dict.fromkeys(("from", "to", "cc"), "addresses"),
}


def _plain_header(kind: str, raw: object) -> str | None:
    """What ``_header`` returns for a plain ``raw`` value, or None when it is not plain."""
    if not isinstance(raw, str) or not raw.isascii() or "=?" in raw:
        return None
    value = raw.replace("\r", "").replace("\n", "")  # the email package unfolds so too
    if not _PLAIN_TEXT.fullmatch(value):
        return None
    if kind == "text":
        return value.strip()
    if kind == "message-id":
        match = _PLAIN_MESSAGE_ID.fullmatch(value)
        return match.group(1) if match else None
    if _PLAIN_ADDRESS_LIST.fullmatch(value):
        return value.strip()
    named = _PLAIN_NAMED.fullmatch(value)
    if named is None:
        return None
    name = named["quoted"] or named["bare"]
    if not _NAME_SPECIALS.isdisjoint(name):
        name = f'"{name}"'
    return f"{name} <{named['address']}>"


def _decode_part(part: EmailMessage) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    # The declared charset first; then UTF-8, since mail that lies about its charset (or
    # says "us-ascii" over raw 8-bit) is UTF-8 today more often than not; then Windows-1252,
    # which decodes almost every byte and is what the rest usually is.
    for charset in (part.get_content_charset(), "utf-8"):
        if not charset:
            continue
        try:
            return _printable(payload.decode(charset))
        except (LookupError, UnicodeDecodeError):
            continue
    return _printable(payload.decode("cp1252", errors="replace"))


def _printable(text: str) -> str:
    # NUL cannot be stored in a PostgreSQL text column, and is never meant in a mail body.
    return text.replace("\x00", "")


def html_to_text(fragment: str) -> str:
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>|</tr>", "\n", fragment)
    text = nh3.clean(text, tags=set())
    text = re.sub(r"&nbsp;", " ", text)
    text = re.sub(r"&lt;", "<", text)
    text = re.sub(r"&gt;", ">", text)
    text = re.sub(r"&amp;", "&", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _is_attachment(part: EmailMessage) -> bool:
    disposition = part.get_content_disposition()
    return disposition == "attachment" or (disposition == "inline" and bool(part.get_filename()))


def _filename(part: EmailMessage, content_type: str) -> str:
    name = _printable(part.get_filename() or "").strip()
    return name or "attachment" + (mimetypes.guess_extension(content_type) or "")


def _child_bytes(part: Message, raw: bytes | None) -> list[bytes | None]:
    """Each child's exact bytes, or None for all when the cut does not match what the parser saw."""
    children = part.get_payload()
    assert isinstance(children, list)
    boundary = part.get_boundary()
    if raw is None or not boundary:
        return [None] * len(children)
    cut = multipart_children(raw, boundary)
    if len(cut) != len(children) or any(
        HeaderParser().parsestr(split_head(chunk)[0].decode("ascii", "replace") + "\n").get_content_type()
        != child.get_content_type()
        for chunk, child in zip(cut, children, strict=True)
    ):
        return [None] * len(children)
    return list(cut)


def _forwarded_bytes(part: Message, raw: bytes | None) -> bytes:
    """The forwarded message exactly as it arrived inside the part; re-serialised only when it cannot be cut out."""
    if raw is not None:
        body = split_head(raw)[1]
        encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
        try:
            # RFC 2046 5.2.1 allows only 7bit, 8bit and binary here; some clients encode anyway.
            if encoding == "base64":
                return base64.b64decode(body)
            if encoding == "quoted-printable":
                return quopri.decodestring(body)
            return body
        except (binascii.Error, ValueError):
            pass
    try:
        inner = part.get_payload(0)
        return inner.as_bytes() if isinstance(inner, Message) else b""
    except Exception:  # the email package cannot write back what it could not read
        return b""


def _collect(part: EmailMessage, raw: bytes | None, into: _Content, depth: int, top: bool = True) -> None:
    """Walk the parts in order; a forwarded message is summarised, not merged into this message's body."""
    ctype = part.get_content_type()
    if not top and ctype in _FORWARD_TYPES:
        # Only the forwarding message's own forwards become files; one inside a forward is
        # already in that forward's file, so it is summarised without a name of its own.
        name = f"forwarded-{len(into.forwarded) + 1}.eml" if depth == 0 else ""
        into.forwarded.append(_forward(part, raw, name, depth + 1))
        return
    if part.is_multipart():
        children = part.get_payload()
        assert isinstance(children, list)
        cuts = _child_bytes(part, raw) if ctype.startswith("multipart/") else [None] * len(children)
        for child, cut in zip(children, cuts, strict=True):
            if isinstance(child, EmailMessage):
                _collect(child, cut, into, depth, top=False)
        return
    if ctype in ("text/plain", "text/html") and not _is_attachment(part):
        (into.text_parts if ctype == "text/plain" else into.html_parts).append(_decode_part(part))
        return
    # Everything else is kept as a file, text/csv or text/calendar included: a part the
    # desk cannot show inline is still something the customer sent.
    content = part.get_payload(decode=True)
    if isinstance(content, bytes):
        into.files.append(IncomingFile(_filename(part, ctype), ctype, content, _content_id(part)))


def _content_id(part: EmailMessage) -> str:
    """The part's Content-ID without its angle brackets: what the HTML cites as ``cid:`` (RFC 2392)."""
    value = _header(part, "Content-ID")
    return value.strip().removeprefix("<").removesuffix(">").strip()[:255]


def _forward(part: EmailMessage, raw: bytes | None, filename: str, depth: int) -> Forwarded:
    content = _forwarded_bytes(part, raw)
    try:
        return _summarise(content, filename, depth)
    except Exception:  # a broken forward is still kept whole; only its summary is lost
        unreadable = "(the forwarded message could not be read; it is attached as it arrived)"
        return Forwarded(filename, content, [], unreadable, render_plain_folded(unreadable))


def _summarise(content: bytes, filename: str, depth: int) -> Forwarded:
    msg = BytesParser(policy=_POLICY).parsebytes(content)
    assert isinstance(msg, EmailMessage)
    inner = _Content()
    if depth <= MAX_FORWARD_DEPTH:
        _collect(msg, content, inner, depth)
        text, html = _body(inner)
    else:
        text = "(forwarded too many times over to show; it is inside the attached file)"
        html = render_plain_folded(text)
    names = [f.filename for f in inner.files]
    headers = [
        ("From", _header(msg, "From")),
        ("Date", _header(msg, "Date")),
        ("Subject", _header(msg, "Subject")),
        ("Attachments", ", ".join(names)),
    ]
    return Forwarded(filename, content, headers, text, html)


def _body(content: _Content) -> tuple[str, str]:
    """(text, safe HTML) of a forwarded message: its own text, then its own forwards' summaries."""
    own = "\n".join(content.text_parts).strip() or html_to_text(sanitise_email("\n".join(content.html_parts)))
    text = "\n\n".join([own, *(f.summary() for f in content.forwarded)]).strip()
    html = (render_plain_folded(own) if own else "") + "".join(_render(f) for f in content.forwarded)
    return text, html


def _render(forward: Forwarded) -> str:
    return fold_forwarded(forward.filename, forward.headers, forward.html)


def parse(raw: bytes) -> ParsedMail:
    msg = BytesParser(policy=_POLICY).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    from_name, from_address = _from_address(msg)
    content = _Content()
    # Cutting parts out of the raw bytes is only needed for a forward's file: skip it otherwise.
    forwards = any(p.get_content_type() in _FORWARD_TYPES for p in msg.walk() if p is not msg)
    _collect(msg, raw if forwards else None, content, depth=0)
    html = html_quoted = ""
    if content.html_parts:
        visible, quoted = split_html("\n".join(content.html_parts))
        html = sanitise_email(visible)
        html_quoted = sanitise_email(quoted) if quoted else ""
    text = "\n".join(content.text_parts).strip() or html_to_text(
        f"{html}\n{html_quoted}" if html_quoted else html
    )
    if content.forwarded:
        # Each forwarded message is kept whole as a file and summarised after the own text,
        # its text folded like quoted history (quoting.fold_forwarded).
        if not html and text:
            html = render_plain_folded(text)
        html += "".join(_render(f) for f in content.forwarded)
        text = "\n\n".join([text, *(f.summary() for f in content.forwarded)]).strip()
        content.files += [IncomingFile(f.filename, "message/rfc822", f.content) for f in content.forwarded]
    return ParsedMail(
        from_address=from_address,
        from_name=from_name,
        subject=_header(msg, "Subject"),
        message_id=_message_id(_header(msg, "Message-ID")),
        in_reply_to=_MESSAGE_ID.findall(_header(msg, "In-Reply-To")),
        references=_MESSAGE_ID.findall(_header(msg, "References")),
        text=text,
        html=html,
        files=content.files,
        headers=_read_headers(msg),
        html_quoted=html_quoted,
        forwarded=content.forwarded,
    )


def _read_headers(msg: EmailMessage) -> dict[str, str]:
    """The headers the desk reads, by lower-case name: the topmost of each (the latest added,
    such as the Return-Path of our own envelope), or all of those in ``_EVERY_ONE``."""
    out: dict[str, str] = {}
    for key in set(msg.keys()):
        name = key.lower()
        if name in _EVERY_ONE:
            try:
                values = msg.get_all(name, [])
            except Exception:  # a header so broken the email package cannot even fold it
                values = []
            out[name] = ", ".join(_printable(str(value)).strip() for value in values)
        elif name in _READ_HEADERS:
            out[name] = _header(msg, key)
    return out


def is_automatic(mail: ParsedMail) -> str:
    """Why this message is machine-sent (RFC 3834 and common practice), or "" for a person's mail."""
    h = mail.headers
    auto = h.get("auto-submitted", "").lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    for name in ("x-autoreply", "x-autorespond", "x-auto-response-suppress", "x-loop"):
        if name in h:
            return name
    if h.get("precedence", "").lower() in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {h['precedence']}"
    if "list-id" in h:
        return "List-Id"
    local = mail.from_address.split("@", 1)[0]
    if local in ("mailer-daemon", "postmaster"):
        return "delivery status notification"
    if "".join(h.get("return-path", "").split()) == "<>":
        # A null reverse-path: a bounce or another message nobody may answer (RFC 5321
        # 4.5.5, RFC 3834 2); people's mail always has a sender to return it to.
        return "null sender (Return-Path: <>)"
    if h.get("content-type", "").lower().lstrip().startswith("multipart/report"):
        # A DSN (RFC 3464) or a feedback loop's spam report (RFC 5965) from an address of its own.
        return "report"
    return ""
