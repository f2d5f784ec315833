from django.urls import URLPattern, path

from capdesk.directory import views

app_name = "directory"
urlpatterns: list[URLPattern] = [
    path("capgo/", views.capgo_webhook, name="capgo_webhook"),
]
