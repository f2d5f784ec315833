"""The status page's addresses; the machine paths are fixed by DESIGN.md and Statuspage's API."""

from django.urls import path, re_path

from capdesk.status import views

app_name = "status"
urlpatterns = [
    path("status/", views.page, name="page"),
    path("status/history/", views.history, name="history"),
    # No trailing slash: this is the shortlink sent in JSON, feeds and email.
    path("status/incidents/<str:public_id>", views.incident, name="incident"),
    path("status/subscribe/", views.subscribe, name="subscribe"),
    path("status/subscribe/sent/", views.subscribe_sent, name="subscribe_sent"),
    path("status/subscribe/confirm/<str:token>/", views.confirm, name="confirm"),
    path("status/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    re_path(
        r"^api/v2/(?P<name>summary|status|components|incidents(?:/unresolved)?"
        r"|scheduled-maintenances(?:/upcoming|/active)?)\.json$",
        views.v2_document,
        name="v2",
    ),
    path("status.json", views.footer_status, name="footer"),
    path("history.atom", views.atom, name="atom"),
    path("history.rss", views.rss, name="rss"),
    path("maintenance.ics", views.maintenance_ics, name="ical"),
]
