"""A message's stored HTML as shown on a page: inline images from the desk, remote ones as a note.

Done at display time, not in the stored HTML: the stored body keeps the mail's own
``cid:`` references, so it stays independent of the desk's URLs (console or portal,
a renamed route, another host) and of who reads it; the URL is the reader's own
download view, with that view's permission checks.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from urllib.parse import unquote

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from capdesk.tickets.downloads import IMAGE_TYPES
from capdesk.tickets.models import Attachment, Message
from capdesk.tickets.rendering import IMG_TAG, REMOTE_IMAGE_CLASS, img_attributes

_REMOTE_MARK = re.compile(rf'<span class="{REMOTE_IMAGE_CLASS}">([^<]*)</span>')


def shown_body(message: Message, url_for: Callable[[Attachment], str]) -> SafeString:
    """The message's body HTML, its ``cid:`` images pointing at ``url_for`` their attachment."""
    body = message.body_html
    if "cid:" not in body and REMOTE_IMAGE_CLASS not in body:  # most messages: no work, no query
        return mark_safe(body)  # noqa: S308 -- sanitised when stored (rendering.sanitise)
    by_id = _inline_attachments(message)

    def inline(match: re.Match[str]) -> str:
        attributes = img_attributes(match.group(0))
        src = attributes.get("src", "")
        if not src.lower().startswith("cid:"):
            return match.group(0)
        cid = unquote(src[4:]).strip().removeprefix("<").removesuffix(">")
        attachment = by_id.get(cid) or by_id.get(cid.lower())
        alt = attributes.get("alt", "")
        if attachment is None:  # the mail cites a part it does not have: its words are all there is
            return html.escape(alt)
        title = attributes.get("title", "")
        return (
            f'<img src="{html.escape(url_for(attachment))}" alt="{html.escape(alt or attachment.filename)}"'
            + (f' title="{html.escape(title)}"' if title else "")
            + ' class="inline-image">'
        )

    def placeholder(match: re.Match[str]) -> str:
        note = gettext("[remote image not loaded: %(what)s]") % {"what": match.group(1)}
        return f'<span class="{REMOTE_IMAGE_CLASS}">{note}</span>'

    shown = _REMOTE_MARK.sub(placeholder, IMG_TAG.sub(inline, body))
    return mark_safe(shown)  # noqa: S308 -- only our own escaped markup was added


def _inline_attachments(message: Message) -> dict[str, Attachment]:
    """The message's image attachments by Content-ID, exact and lower-cased (clients differ in case)."""
    by_id: dict[str, Attachment] = {}
    for attachment in message.attachments.all():  # prefetched by the pages that list messages
        # The types the download view serves as images: raster only, never SVG.
        if attachment.content_id and attachment.content_type.lower() in IMAGE_TYPES:
            by_id.setdefault(attachment.content_id, attachment)
            by_id.setdefault(attachment.content_id.lower(), attachment)
    return by_id
