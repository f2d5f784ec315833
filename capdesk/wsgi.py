"""WSGI entry point for waitress (embedded) or any WSGI server (scaled)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "capdesk.settings")
django_application = get_wsgi_application()

# The public status documents are answered from the published snapshot, in front of Django
# (capdesk/status/fastpath.py); every other request, and any stale moment, goes to Django.
from capdesk.status.fastpath import StatusFastPath  # noqa: E402 (needs the settings loaded above)

application = StatusFastPath(django_application)


def served() -> StatusFastPath:
    """The application for a serving process (``waitress --call capdesk.wsgi:served``).

    Apart from ``application`` so that importing this module (tests do) leaves the garbage
    collector alone: the start-up heap is frozen only where requests will be served.
    """
    from capdesk.core.heap import freeze_startup_objects

    freeze_startup_objects()
    return application
