from django.urls import path

from capdesk.sla import views

app_name = "sla"

urlpatterns = [
    path("report/", views.report, name="report"),
    path("report.csv", views.report_csv, name="report_csv"),
    path("credits/", views.credits, name="credits"),
    path("levels/", views.service_levels, name="levels"),
]
