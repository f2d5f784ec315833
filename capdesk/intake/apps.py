from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "capdesk.intake"
    label = "intake"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Each channel registers its handler when its module is imported.
        from capdesk.intake import email_channel, web_channel  # noqa: F401
