from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "capdesk.sla"
    label = "sla"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from capdesk.sla import jobs  # noqa: F401  (registers the warning and breach sweep)
