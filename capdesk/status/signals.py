"""What the status page tells other apps, without importing them."""

from django.dispatch import Signal

# Sent inside the transaction that resolves an incident (not a maintenance window),
# with ``public_id``, ``name`` and ``url``: linked tickets are told and solved (M2).
incident_resolved = Signal()
