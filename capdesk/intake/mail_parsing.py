"""Read an RFC 5322 message into what the desk needs: who, what, which thread, which files."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses

import nh3

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


def _header(msg: EmailMessage, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:  # a header so broken the email package cannot even fold it
        return ""
    return str(value).strip() if value is not None else ""


def _decode_part(part: EmailMessage) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset)
    except (LookupError, UnicodeDecodeError):
        # A missing or lying charset: Windows-1252 decodes every byte and is what such mail usually is.
        return payload.decode("cp1252", errors="replace")


def html_to_text(fragment: str) -> str:
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>|</tr>", "\n", fragment)
    text = nh3.clean(text, tags=set())
    text = re.sub(r"&nbsp;", " ", text)
    text = re.sub(r"&lt;", "<", text)
    text = re.sub(r"&gt;", ">", text)
    text = re.sub(r"&amp;", "&", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def parse(raw: bytes) -> ParsedMail:
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    addresses = getaddresses([_header(msg, "From")])
    from_name, from_address = addresses[0] if addresses else ("", "")
    text_parts: list[str] = []
    html_parts: list[str] = []
    files: list[IncomingFile] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        disposition = part.get_content_disposition()
        ctype = part.get_content_type()
        if (
            disposition == "attachment"
            or (disposition == "inline" and part.get_filename())
            or not (ctype.startswith("text/"))
        ):
            content = part.get_payload(decode=True)
            if isinstance(content, bytes):
                files.append(IncomingFile(part.get_filename() or "attachment", ctype, content))
        elif ctype == "text/plain":
            text_parts.append(_decode_part(part))
        elif ctype == "text/html":
            html_parts.append(_decode_part(part))
    html = sanitise("\n".join(html_parts)) if html_parts else ""
    text = "\n".join(text_parts).strip() or html_to_text(html)
    return ParsedMail(
        from_address=from_address.strip().lower(),
        from_name=from_name,
        subject=_header(msg, "Subject"),
        message_id=_header(msg, "Message-ID"),
        in_reply_to=_MESSAGE_ID.findall(_header(msg, "In-Reply-To")),
        references=_MESSAGE_ID.findall(_header(msg, "References")),
        text=text,
        html=html,
        files=files,
        headers={k.lower(): _header(msg, k) for k in set(msg.keys())},
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
