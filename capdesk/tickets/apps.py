from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "capdesk.tickets"
    label = "tickets"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from capdesk.status.signals import incident_resolved
        from capdesk.tickets import jobs  # noqa: F401  (registers the sweep closing solved tickets)
        from capdesk.tickets.incidents import on_incident_resolved

        incident_resolved.connect(on_incident_resolved, dispatch_uid="tickets.on_incident_resolved")
