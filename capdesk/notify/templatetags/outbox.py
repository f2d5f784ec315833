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
    waiting = OutboundEmail.objects.filter(state=OutboundEmail.State.QUEUED).count()
    # Nothing waits: the circuit stays open until the next email tries the relay, but no
    # customer is kept waiting meanwhile.
    return {
        "failing": failing if waiting else None,
        "waiting": waiting,
        "show_error": context["request"].user.is_superuser,
    }
