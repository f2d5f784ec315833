"""Provider inbound webhooks, mounted at /hooks/email/ (one path per provider)."""

from django.urls import path

from capdesk.intake.providers import inbound_webhook

app_name = "intake_webhooks"
urlpatterns = [
    path("<slug:provider>/", inbound_webhook, name="inbound"),
]
