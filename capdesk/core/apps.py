from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "capdesk.core"
    label = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from capdesk.core import jobs  # noqa: F401  (registers the sweeps of intake and notify)
