from django.contrib.auth import views as auth_views
from django.urls import path

from capdesk.console import (
    attachment_views,
    incident_views,
    list_views,
    live_views,
    macro_views,
    merge_views,
    report_views,
    retainer_views,
    views,
)

app_name = "console"
urlpatterns = [
    path("", list_views.ticket_list, name="tickets"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="console:login"), name="logout"),
    path("views/", list_views.view_save, name="view_save"),
    path("views/<int:pk>/delete/", list_views.view_delete, name="view_delete"),
    path("bulk/", list_views.bulk, name="bulk"),
    path("rotations/", list_views.rotations, name="rotations"),
    path("rotations/<slug:slug>/", list_views.rotation_toggle, name="rotation_toggle"),
    path("tickets/<str:reference>/", views.ticket_detail, name="ticket"),
    path("tickets/<str:reference>/reply/", views.ticket_reply, name="ticket_reply"),
    path("tickets/<str:reference>/status/", views.ticket_status, name="ticket_status"),
    path("tickets/<str:reference>/severity/", views.ticket_severity, name="ticket_severity"),
    path("tickets/<str:reference>/take/", views.ticket_take, name="ticket_take"),
    path("tickets/<str:reference>/override/", views.ticket_override, name="ticket_override"),
    path("tickets/<str:reference>/merge/", merge_views.ticket_merge, name="ticket_merge"),
    path("tickets/<str:reference>/split/", merge_views.ticket_split, name="ticket_split"),
    path("incidents/", incident_views.incident_list, name="incidents"),
    path(
        "tickets/<str:reference>/attachments/<int:attachment_id>/",
        attachment_views.ticket_attachment,
        name="ticket_attachment",
    ),
    path("tickets/<str:reference>/book-time/", retainer_views.ticket_book_time, name="ticket_book_time"),
    path("tickets/<str:reference>/incident/", incident_views.ticket_link_incident, name="ticket_incident"),
    path("tickets/<str:reference>/macro/", macro_views.macro_for_ticket, name="ticket_macro"),
    path("tickets/<str:reference>/presence/", live_views.presence, name="ticket_presence"),
    path("macros/", macro_views.macro_list, name="macros"),
    path("reports/", report_views.report, name="reports"),
    path("reports/export.csv", report_views.report_csv, name="reports_csv"),
    path("macros/<int:pk>/delete/", macro_views.macro_delete, name="macro_delete"),
    path("quarantine/", views.quarantine, name="quarantine"),
    path("quarantine/<int:pk>/release/", views.quarantine_release, name="quarantine_release"),
    path("quarantine/<int:pk>/raw/", views.quarantine_raw, name="quarantine_raw"),
    path("quarantine/<int:pk>/discard/", views.quarantine_discard, name="quarantine_discard"),
]
