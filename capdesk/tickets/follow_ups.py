"""Answers to a closed ticket: whose conversation the follow-up continues, and on what it is decided.

A closed ticket is final (``actions.follows_up``); an answer to it opens a new ticket that
follows it up (Zendesk's rule). The follow-up belongs to the closed conversation's
requester, in its project and organization while the requester still belongs to them, and
is decided afresh on them: a plan or a role may have changed since. Someone copied on the
closed ticket who answers opens a follow-up of their own, decided on them: being copied
gives nobody the requester's entitlement. Everyone who followed the closed conversation is
copied on its follow-up once the sender is proven.

A requester whose ticket was merged into another requester's answers their own: the
follow-up follows up the ticket they had, with its subject and the people they copied,
never the other requester's.
"""

from __future__ import annotations

from dataclasses import dataclass

from capdesk.directory.models import Organization, Person, Project
from capdesk.directory.queries import organizations_for, projects_for
from capdesk.policy.classifier.text import strip_reply_prefix
from capdesk.policy.types import Outcome
from capdesk.tickets import copies
from capdesk.tickets.models import OPEN_STATUSES, Ticket


@dataclass(frozen=True)
class FollowUp:
    of: Ticket  # the closed ticket it follows up
    by_requester: bool  # its requester answered; else someone copied on it did
    # When its requester answered: theirs, and its project and organization while they
    # still belong to them. Someone copied who answers asks for themselves (``frame``).
    requester: Person | None
    requester_email: str
    project: Project | None
    organization: Organization | None

    def subject(self, answer: str) -> str:
        """The conversation's subject, not "Re: [CAP-1001] ..." with the closed reference.

        The ``answer``'s own when the closed request was never confirmed (E3): its subject
        came in the registered person's name without proof, and may be a forger's. Without
        "Re:" and the closed reference there either, so the follow-up is not taken for it.
        """
        if self.of.outcome != Outcome.VERIFY_SENDER:
            return self.of.subject
        return strip_reply_prefix(answer.replace(f"[{self.of.reference}]", " "))

    def open_sequel(self, sender: str) -> Ticket | None:
        """An open follow-up of the same ticket already opened by the sender's answer: a second
        answer (the log they forgot) joins it instead of opening another."""
        return (
            Ticket.objects.filter(
                follow_up_of=self.of, status__in=OPEN_STATUSES, messages__author_email__iexact=sender
            )
            .order_by("-pk")
            .first()
        )


def frame(closed: Ticket, sender: str, person: Person | None) -> FollowUp:
    """The follow-up of ``closed`` that an answer from ``sender`` (``person``, if registered) opens.

    Its requester's answer continues their conversation, decided on them in its project. An
    answer from someone copied on it is decided on that person, as a request of their own:
    being copied gives no one the requester's entitlement.
    """
    sender = sender.strip().lower()
    base = closed
    if sender != closed.requester_email.lower() and not copies.is_copied(closed, sender):
        # Admitted as the requester of a ticket merged into the closed one: that is theirs.
        mine = closed.merged_tickets.filter(requester_email__iexact=sender).order_by("pk").first()
        base = mine or closed
    by_requester = sender == base.requester_email.lower()
    if not by_requester:
        return FollowUp(base, False, person, sender, None, None)
    # Who filed it unregistered may have signed up since.
    requester = base.requester or person
    project = None
    organization = None
    if requester is not None and base.project_id is not None:
        project = projects_for(requester).filter(pk=base.project_id).first()
    if project is not None:
        organization = project.organization
    elif requester is not None and base.organization_id is not None:
        organization = organizations_for(requester).filter(pk=base.organization_id).first()
    return FollowUp(base, True, requester, base.requester_email, project, organization)


def copy_followers(ticket: Ticket) -> None:
    """Who followed the closed conversation follows its sequel (once its sender is proven)."""
    closed = ticket.follow_up_of
    if closed is not None:
        followers = [closed.requester_email, *copies.addresses(closed)]
        copies.add(ticket, followers, how="follow_up", strict=False)
