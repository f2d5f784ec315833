"""WSGI entry point for waitress (embedded) or any WSGI server (scaled)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "capdesk.settings")
django_application = get_wsgi_application()

# The public status documents are answered from the published snapshot, in front of Django
# (capdesk/status/fastpath.py); every other request, and any stale moment, goes to Django.
from capdesk.status.fastpath import StatusFastPath  # noqa: E402 (needs the settings loaded above)

application = StatusFastPath(django_application)

from capdesk.core.heap import freeze_startup_objects  # noqa: E402

freeze_startup_objects()
