from django.apps import AppConfig
from django.db.models.signals import post_save


class NotifyConfig(AppConfig):
    name = "capdesk.notify"
    label = "notify"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from capdesk.notify import checks, jobs, tracking  # noqa: F401  (DKIM key check, webhook sweep, tracking events)
        from capdesk.notify.webhook_events import on_status_event, on_ticket_event

        # Outgoing webhooks hear every ticket audit row and status-page event as it is
        # written, in the writer's transaction (webhook_events.py says which count).
        post_save.connect(on_ticket_event, sender="tickets.Event", dispatch_uid="notify.webhooks.ticket")
        post_save.connect(on_status_event, sender="status.StatusEvent", dispatch_uid="notify.webhooks.status")
