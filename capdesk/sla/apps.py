from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "capdesk.sla"
    label = "sla"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from capdesk.sla import (  # noqa: F401  (registering imports)
            checks,  # refuses a malformed SLA policy at start-up
            jobs,  # the warning and breach sweep
        )
