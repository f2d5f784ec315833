"""What the status page tells other apps, without importing them."""

from django.dispatch import Signal

# Sent inside the transaction that resolves an incident (not a maintenance window),
# with ``public_id``, ``name``, ``names`` (the name in other languages, by language)
# and ``url``: linked tickets are told and solved (M2), in their own language.
incident_resolved = Signal()
