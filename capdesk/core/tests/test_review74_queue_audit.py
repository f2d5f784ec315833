"""Review 74: adding or removing an agent's queue restriction is audited (core.access_audit),
but the admin's inline also lets an existing row's queue be changed in place: a post_save
with created=False, which ``_queue_membership("added")`` skips. The agent then sees another
queue's tickets and the audit log says nothing.
"""

from django.contrib.auth.models import User

from capdesk.core.audit_actor import acting
from capdesk.core.models import AuditEntry
from capdesk.testing.factories import make_user
from capdesk.tickets.models import Queue, QueueMembership


def test_moving_an_agents_restriction_to_another_queue_is_audited(db):
    sales = Queue.objects.create(slug="sales", name="Sales")
    billing = Queue.objects.create(slug="billing", name="Billing")
    martin = make_user("martin", staff=True)
    assert isinstance(martin, User)
    membership = QueueMembership.objects.create(user=martin, queue=sales)
    with acting("admin-shell"):
        membership.queue = billing  # what the admin inline's select does to an existing row
        membership.save()
    details = [e.details for e in AuditEntry.objects.filter(target_type="user", target_id=martin.pk)]
    assert any("queues" in d for d in details), details
