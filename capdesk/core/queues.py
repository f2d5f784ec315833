"""The task queues, and so which worker runs what.

``DEFAULT`` holds the work on the desk's own data: intake, the status page's fan-out and
publishing. ``OUTBOUND`` holds the tasks that wait on another server: email delivery,
outgoing webhooks, chat alerts. A relay that takes a second per message must not make
intake wait behind it, so `capdesk run` gives ``OUTBOUND`` a worker process of its own;
a bare `capdesk worker` (a scaled deployment's) runs every queue unless told otherwise.

No Django import: the settings module reads ``ALL``.
"""

from __future__ import annotations

DEFAULT = "default"
OUTBOUND = "outbound"
ALL = (DEFAULT, OUTBOUND)
