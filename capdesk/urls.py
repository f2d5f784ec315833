from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from capdesk.console import views as console_views
from capdesk.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    # Browsers ask for it on every page that does not name an icon (Django's admin, raw files).
    path("favicon.ico", RedirectView.as_view(url=static("capdesk/favicon.svg"), permanent=True)),
    path("portal/", include("capdesk.portal.urls")),
    path("console/sla/", include("capdesk.sla.urls")),
    path("console/", include("capdesk.console.urls")),
    path("kb/", include("capdesk.knowledge.urls")),
    path("hooks/email/", include("capdesk.intake.webhook_urls")),
    path("hooks/", include("capdesk.directory.urls")),
    path("confirm/", include("capdesk.intake.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    # The status page at /status/, plus the root paths DESIGN.md fixes (/api/v2/*.json,
    # /status.json, /history.atom, /history.rss, /maintenance.ics).
    path("", include("capdesk.status.urls")),
    # Before the admin's own: its sign-in, with the console's failure limits and audit.
    path("admin/login/", console_views.AdminLoginView.as_view()),
    path("admin/", admin.site.urls),
    # The REST API; after the status include, whose /api/v2/*.json it must not shadow.
    path("api/", include("capdesk.api.urls")),
]
