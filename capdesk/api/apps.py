from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "capdesk.api"
    label = "api"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The API's channel registers itself with intake (CONVENTIONS.md habit 13).
        from capdesk.api import channel  # noqa: F401
