"""WSGI entry point for waitress (embedded) or any WSGI server (scaled)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "capdesk.settings")
application = get_wsgi_application()
