"""Read an RFC 5322 message into what the desk needs: who, what, which thread, which files."""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses

import nh3

from capdesk.intake.quoting import split_html
from capdesk.tickets.actions import IncomingFile
from capdesk.tickets.rendering import sanitise

_MESSAGE_ID = re.compile(r"<[^<>\s]+>")


@dataclass
class ParsedMail:
    from_address: str
    from_name: str
    subject: str
    message_id: str
    in_reply_to: list[str]
    references: list[str]
    text: str
    html: str  # sanitised; empty when the message had no HTML part
    files: list[IncomingFile] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    html_quoted: str = ""  # sanitised quoted history cut from the HTML (quoting.split_html)


@dataclass(frozen=True)
class MailIdentity:
    """What a receiver needs before it has read the body: the repeat-delivery key and the claimed sender."""

    message_id: str
    from_address: str


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
    """The Message-ID and From address, from the headers alone; empty strings where there are none."""
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)
    except Exception:  # unreadable headers: the message is still stored, and quarantined later
        return MailIdentity("", "")
    assert isinstance(msg, EmailMessage)
    return MailIdentity(_message_id(_header(msg, "Message-ID")), _from_address(msg)[1])


def _header(msg: EmailMessage, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:  # a header so broken the email package cannot even fold it
        return ""
    return _printable(str(value)).strip() if value is not None else ""


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


def parse(raw: bytes) -> ParsedMail:
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    from_name, from_address = _from_address(msg)
    text_parts: list[str] = []
    html_parts: list[str] = []
    files: list[IncomingFile] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        if ctype in ("text/plain", "text/html") and not _is_attachment(part):
            (text_parts if ctype == "text/plain" else html_parts).append(_decode_part(part))
            continue
        # Everything else is kept as a file, text/csv or text/calendar included: a part the
        # desk cannot show inline is still something the customer sent.
        content = part.get_payload(decode=True)
        if isinstance(content, bytes):
            files.append(IncomingFile(_filename(part, ctype), ctype, content))
    html = html_quoted = ""
    if html_parts:
        visible, quoted = split_html("\n".join(html_parts))
        html = sanitise(visible)
        html_quoted = sanitise(quoted) if quoted else ""
    text = "\n".join(text_parts).strip() or html_to_text(f"{html}\n{html_quoted}" if html_quoted else html)
    return ParsedMail(
        from_address=from_address,
        from_name=from_name,
        subject=_header(msg, "Subject"),
        message_id=_message_id(_header(msg, "Message-ID")),
        in_reply_to=_MESSAGE_ID.findall(_header(msg, "In-Reply-To")),
        references=_MESSAGE_ID.findall(_header(msg, "References")),
        text=text,
        html=html,
        files=files,
        headers={k.lower(): _header(msg, k) for k in set(msg.keys())},
        html_quoted=html_quoted,
    )


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
    if local in ("mailer-daemon", "postmaster") or h.get("return-path", "") == "<>":
        return "delivery status notification"
    return ""
