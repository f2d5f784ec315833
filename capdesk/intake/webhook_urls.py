"""Provider webhooks, mounted at /hooks/email/: inbound mail, and tracking of the mail sent (per provider)."""

from django.urls import path

from capdesk.intake.providers import inbound_webhook, tracking_webhook

app_name = "intake_webhooks"
urlpatterns = [
    path("<slug:provider>/", inbound_webhook, name="inbound"),
    # Bounces and spam complaints about the desk's own mail, from the provider sending it.
    path("<slug:provider>/tracking/", tracking_webhook, name="tracking"),
]
