"""Requests typed into the portal or sent from the dashboard: a JSON document from a proven person.

The document is what the form held, files included (base64), so the raw request
stored by ``receive`` is complete on its own and can be processed again later.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from capdesk.directory.models import Person, Project
from capdesk.directory.queries import organizations_for, projects_for
from capdesk.intake.channels import Unprocessable, register
from capdesk.intake.deciding import decide_again_if_project_named, decide_request
from capdesk.intake.models import InboundRequest
from capdesk.policy.types import Classification, Group, Identity
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets import copies, follow_ups
from capdesk.tickets.decisions import apply_decision
from capdesk.tickets.models import Severity, Ticket
from capdesk.tickets.scoping import customer_tickets, owned_tickets


def encode_payload(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()


def encode_file(filename: str, content_type: str, content: bytes) -> dict[str, str]:
    return {
        "filename": filename,
        "content_type": content_type,
        "content_b64": base64.b64encode(content).decode(),
    }


def _files(payload: dict[str, Any]) -> list[ticket_actions.IncomingFile]:
    files = []
    for item in payload.get("files") or []:
        try:
            content = base64.b64decode(item["content_b64"], validate=True)
        except (KeyError, TypeError, binascii.Error) as exc:
            raise Unprocessable(f"attachment is not valid base64: {exc}") from None
        files.append(
            ticket_actions.IncomingFile(
                filename=str(item.get("filename", "attachment")),
                content_type=str(item.get("content_type", "application/octet-stream")),
                content=content,
            )
        )
    return files


def _handle(request: InboundRequest) -> Ticket:
    try:
        payload = json.loads(bytes(request.raw))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Unprocessable(f"not a JSON document: {exc}") from None
    if not isinstance(payload, dict):
        raise Unprocessable("the document is not a JSON object")
    person = request.authenticated_person
    if person is None:
        raise Unprocessable(f"a {request.channel} request must come from a signed-in person")
    body = str(payload.get("body", "")).strip()
    if not body:
        raise Unprocessable("the request has no text")
    try:
        files = _files(payload)
        ticket_actions.check_attachments(files)
    except ticket_actions.AttachmentRejected as exc:
        raise Unprocessable(str(exc)) from None

    if payload.get("kind") == "reply":
        ticket = (
            customer_tickets(person)
            .filter(pk=Ticket.pk_from_reference(str(payload.get("ticket", ""))) or 0)
            .first()
        )
        if ticket is None:
            raise Unprocessable("the reply names a ticket this person cannot see")
        survivor = ticket.surviving()
        # Merged into a ticket they cannot see: its requester still writes (their request went
        # on there); someone copied only on the merged one does not.
        hidden = survivor.pk != ticket.pk and not customer_tickets(person).filter(pk=survivor.pk).exists()
        if hidden and not owned_tickets(person).filter(pk=ticket.pk).exists():
            raise Unprocessable("the reply names a request merged into one this person cannot see")
        if ticket_actions.follows_up(survivor, received_at=request.received_at):
            # The closed conversation they can see: theirs, if it was merged into another requester's.
            closed = survivor if customer_tickets(person).filter(pk=survivor.pk).exists() else ticket
            follow_up = follow_ups.frame(closed, request.claimed_sender, person)
            sequel = follow_up.open_sequel(request.claimed_sender)
            if sequel is None:
                return _follow_up(request, person, follow_up, body, files, str(payload.get("language") or ""))
            survivor = ticket = sequel
        ticket_actions.record_customer_reply(
            ticket,
            body=body,
            person=person,
            author_email=request.claimed_sender,
            files=files,
            source_id=request.pk,
        )
        decide_again_if_project_named(survivor, person=person, identity=Identity.VERIFIED, text=body)
        return ticket

    if payload.get("kind") == "premium":
        return _premium(request, person, payload, body)

    project: Project | None = None
    if payload.get("project"):
        # Only a project the person belongs to; anything else is a forged form.
        project = projects_for(person).filter(app_id=str(payload["project"])).first()
        if project is None:
            raise Unprocessable("the request names a project this person does not belong to")
    severity = str(payload.get("severity") or Severity.NORMAL)
    if severity not in Severity.values:
        raise Unprocessable(f"unknown severity {severity!r}")
    subject = str(payload.get("subject", ""))
    # C1: the portal and the dashboard prove who is asking (a magic-link session or a
    # platform-signed token), so the requester is verified (E3).
    decided = decide_request(
        channel=request.channel,
        identity=Identity.VERIFIED,
        person=person,
        project=project,
        subject=subject,
        body=body,
        declared_severity=severity,
        production_impact=bool(payload.get("production_impact")),
    )
    ticket = ticket_actions.open_ticket(
        subject=subject,
        body=body,
        channel=request.channel,
        requester=person,
        requester_email=request.claimed_sender,
        project=project,
        severity=severity,
        language=str(payload.get("language") or decided.language),
        files=files,
        source_id=request.pk,
    )
    # Whom the signed-in requester copied on it (checked by the form; a forged list is
    # cleaned here, and what may not be copied is skipped).
    wanted = payload.get("copied") or []
    if isinstance(wanted, list):
        copies.add(ticket, [str(a) for a in wanted], how=request.channel, person=person, strict=False)
    apply_decision(
        ticket,
        decided.decision,
        identity=Identity.VERIFIED,
        language=str(payload.get("language") or decided.language),
    )
    return ticket


def _follow_up(
    request: InboundRequest,
    person: Person,
    follow_up: follow_ups.FollowUp,
    body: str,
    files: list[ticket_actions.IncomingFile],
    page_language: str,
) -> Ticket:
    """A reply to a closed request opens its follow-up (``tickets.follow_ups``): the requester's
    in the closed one's project, decided afresh on them; anyone else's (copied, an admin of the
    organization) as a request of their own. The portal proved who is writing, and in which
    language (``page_language``) it reads, as a new request's form says."""
    if follow_up.by_requester:
        requester, project, organization = follow_up.requester, follow_up.project, follow_up.organization
    else:
        requester, organization = person, None
        project = projects_for(person).filter(pk=follow_up.of.project_id or 0).first()
    identity = Identity.VERIFIED if requester is not None else Identity.UNKNOWN
    # A portal reply has no subject of its own, and the closed request is one its sender
    # sees, never one held for a confirmation (scoping.shown_to_customers).
    subject = follow_up.of.subject
    decided = decide_request(
        channel=request.channel,
        identity=identity,
        person=requester,
        project=project,
        subject=subject,
        body=body,
    )
    ticket = ticket_actions.open_ticket(
        subject=subject,
        body=body,
        channel=request.channel,
        requester=requester,
        requester_email=follow_up.requester_email if follow_up.by_requester else request.claimed_sender,
        project=project,
        organization=organization,
        language=page_language or decided.language,
        files=files,
        source_id=request.pk,
        follow_up_of=follow_up.of,
    )
    follow_ups.copy_followers(ticket)
    apply_decision(ticket, decided.decision, identity=identity, language=page_language or decided.language)
    return ticket


def _premium(request: InboundRequest, person: Person, payload: dict[str, Any], body: str) -> Ticket:
    """R1: the Premium Support form. The form says what it is, so nothing is guessed."""
    organization = organizations_for(person).filter(capgo_id=str(payload.get("organization") or "")).first()
    if organization is None:
        raise Unprocessable(
            "the Premium Support request names an organization this person does not belong to"
        )
    language = str(payload.get("language") or person.language)
    decided = decide_request(
        channel=request.channel,
        identity=Identity.VERIFIED,
        person=person,
        project=None,
        subject="Premium Support",
        body=body,
        classification=Classification("premium", 1.0, Group.PREMIUM),
    )
    ticket = ticket_actions.open_ticket(
        subject=str(payload.get("subject") or "Premium Support"),
        body=body,
        channel=request.channel,
        requester=person,
        requester_email=request.claimed_sender,
        organization=organization,
        language=language,
        source_id=request.pk,
    )
    apply_decision(ticket, decided.decision, identity=Identity.VERIFIED, language=language)
    return ticket


register("portal")(_handle)
register("dashboard")(_handle)
