from django.apps import AppConfig


class StatusConfig(AppConfig):
    name = "capdesk.status"
    label = "status"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from capdesk.status import checks, jobs  # noqa: F401  (register the settings checks and the sweeps)
