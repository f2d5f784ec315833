"""``{% mail_relay_notice %}``: on every console page, tell staff that outgoing mail is failing.

Replies the agents send and the desk's own mail queue up while the relay is down
(``core.circuits``); agents should know their answers are not reaching customers, and admins
why. Nothing is shown while mail works (one read of one row).
"""

from __future__ import annotations

from typing import Any

from django import template

from capdesk.core import circuits
from capdesk.notify.models import OutboundEmail

register = template.Library()


@register.inclusion_tag("notify/relay_notice.html", takes_context=True)
def mail_relay_notice(context: template.Context) -> dict[str, Any]:
    failing = circuits.open_circuit(circuits.MAIL)
    if failing is None:
        return {"failing": None}
    user = context["request"].user
    return {
        "failing": failing,
        "waiting": OutboundEmail.objects.filter(state=OutboundEmail.State.QUEUED).count(),
        "show_error": user.is_superuser,
    }
