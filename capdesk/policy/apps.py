from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "capdesk.policy"
    label = "policy"
    default_auto_field = "django.db.models.BigAutoField"
