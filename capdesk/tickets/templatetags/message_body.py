"""``{% message_body m ticket "console:ticket_attachment" %}``: a message's body as the page shows it."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString

from capdesk.tickets.message_body import shown_body
from capdesk.tickets.models import Attachment, Message, Ticket

register = template.Library()


@register.simple_tag
def message_body(message: Message, ticket: Ticket, download_route: str) -> SafeString:
    """``download_route`` is the page's own attachment view (reference, attachment id): its checks apply."""

    def url_for(attachment: Attachment) -> str:
        return reverse(download_route, args=[ticket.reference, attachment.pk])

    return shown_body(message, url_for)
