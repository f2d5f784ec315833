from django.apps import AppConfig


class StatusConfig(AppConfig):
    name = "capdesk.status"
    label = "status"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from capdesk.policy.sources import register_incident_source
        from capdesk.status import checks, jobs  # noqa: F401  (register the settings checks and the sweeps)
        from capdesk.status.policy_source import ongoing_incidents

        # M2: requests about an ongoing incident are referred to the status page.
        register_incident_source(ongoing_incidents)

        from capdesk.notify.signals import email_bounced
        from capdesk.status.subscriber_actions import unsubscribe_bounced

        email_bounced.connect(unsubscribe_bounced, dispatch_uid="status.unsubscribe_bounced")

        from django.db.models.signals import post_delete

        from capdesk.status.delivery import forget_circuit
        from capdesk.status.models import Subscriber

        post_delete.connect(forget_circuit, sender=Subscriber, dispatch_uid="status.forget_circuit")
