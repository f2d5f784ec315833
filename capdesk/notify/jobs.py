"""notify's own sweep: outgoing webhooks whose retry is due or whose task was lost."""

from __future__ import annotations

from capdesk.core.schedule import every
from capdesk.notify import webhooks


@every(15, name="notify.deliver_due_webhooks")
def _deliver_due_webhooks() -> int:
    return webhooks.hand_over_due()
