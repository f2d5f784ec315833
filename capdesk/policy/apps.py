from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "capdesk.policy"
    label = "policy"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the system check that refuses a malformed policy file at start-up.
        from capdesk.policy import checks  # noqa: F401
