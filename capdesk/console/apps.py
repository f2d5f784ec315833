from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ConsoleConfig(AppConfig):
    name = "capdesk.console"
    label = "console"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from capdesk.console import side_counts  # noqa: F401  (registers the scheduler's count)
        from capdesk.console.actions import assign_on_arrival
        from capdesk.console.search_index import on_post_migrate
        from capdesk.tickets.actions import on_arrival

        on_arrival(assign_on_arrival)

        # Once per migrate run (sender=this app), after every app's tables exist.
        post_migrate.connect(on_post_migrate, sender=self, dispatch_uid="console.search_index")
