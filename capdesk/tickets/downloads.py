"""Serving a ticket's attachments to the people allowed to see the message they belong to.

Files came from strangers: they are always sent as a download (never rendered by the
browser in our origin), as application/octet-stream, with nosniff and a sandboxing CSP.
"""

from __future__ import annotations

from django.http import FileResponse, Http404

from capdesk.tickets.models import Attachment, Ticket


def attachment_response(ticket: Ticket, attachment_id: int, *, internal_allowed: bool) -> FileResponse:
    messages = ticket.messages.all() if internal_allowed else ticket.messages.filter(public=True)
    attachment = Attachment.objects.filter(pk=attachment_id, message__in=messages).first()
    if attachment is None:
        raise Http404("No such attachment")
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404("The file is missing") from None
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.filename, content_type="application/octet-stream"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
