from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "capdesk.core"
    label = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from capdesk.core import access_audit, jobs  # jobs registers the sweeps of intake and notify

        access_audit.connect()
        post_migrate.connect(
            jobs.analyze_after_migrate, sender=self, dispatch_uid="core.analyze_after_migrate"
        )
