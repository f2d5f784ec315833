"""Serving a ticket's attachments to the people allowed to see the message they belong to.

Files came from strangers: they are always sent as a download (never rendered by the
browser in our origin), as application/octet-stream, with nosniff and a sandboxing CSP.
The one exception is the type: a file whose first bytes are a PNG, JPEG, GIF or WebP
image is sent as that image type, so the message body can show it in an ``<img>``
(an email's inline screenshot, tickets.message_body). Raster images only: no SVG.
A file flagged as risky when stored (a program, a name that lies) is sent only after
the reader saw the warning (``needs_confirmation``).
"""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest

from capdesk.tickets.models import Attachment, Ticket

_IMAGE_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
# Every type ``image_type`` answers: what an ``<img>`` may show from the download view.
IMAGE_TYPES = frozenset({content_type for _, content_type in _IMAGE_SIGNATURES} | {"image/webp"})


def image_type(head: bytes) -> str | None:
    """The raster image type these first bytes begin, by their signature, whatever the file claimed."""
    for signature, content_type in _IMAGE_SIGNATURES:
        if head.startswith(signature):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def find_attachment(ticket: Ticket, attachment_id: int, *, internal_allowed: bool) -> Attachment:
    """The attachment on one of the ticket's messages the asker may read, or a 404."""
    messages = ticket.messages.all() if internal_allowed else ticket.messages.filter(public=True)
    attachment = Attachment.objects.filter(pk=attachment_id, message__in=messages).first()
    if attachment is None:
        raise Http404("No such attachment")
    return attachment


def needs_confirmation(request: HttpRequest, attachment: Attachment) -> bool:
    """A file flagged when stored (tickets.sniffing) is sent only once the reader read the warning.

    A link, not a form: the confirmation guards the person opening the file, not the desk,
    so a bookmarked confirmed link is as good as a click through the page.
    """
    return bool(attachment.risk) and request.GET.get("confirmed") != "1"


def file_response(attachment: Attachment) -> FileResponse:
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404("The file is missing") from None
    content_type = image_type(handle.read(12)) or "application/octet-stream"
    handle.seek(0)
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
