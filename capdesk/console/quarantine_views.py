"""Quarantine: what intake could not process, why in plain words, and the actions that can help.

Agents who see every queue act on it (``every_queue_required``): processing a request
again, accepting an email without its attachments over the limits, or discarding it.
An action processes the request at once, as the portal does, so the page says what
became of it (a ticket, or quarantined again and why) instead of promising it.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.db import InterfaceError, OperationalError, transaction
from django.db.models.functions import Length
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from capdesk.console.views import _agent, every_queue_required
from capdesk.core import audit
from capdesk.intake import actions as intake_actions
from capdesk.intake.models import InboundRequest
from capdesk.tickets.actions import attachment_limit

logger = logging.getLogger(__name__)

QUARANTINED = InboundRequest.State.QUARANTINED
SHOWN = 200


@every_queue_required
def quarantine(request: HttpRequest) -> HttpResponse:
    """What could not be processed, with its reason: nothing is dropped silently."""
    held = (
        InboundRequest.objects.filter(state=QUARANTINED)
        # The bytes can be megabytes a row: the database measures them, the page never reads them.
        .defer("raw")
        .annotate(size=Length("raw"))
        .order_by("-received_at")[:SHOWN]
    )
    return render(request, "console/quarantine.html", {"held": held, **limits()})


def limits() -> dict[str, object]:
    """The attachment limits, as the reason of a request quarantined for them names them."""
    return {"max_files": settings.CAPDESK_MAX_ATTACHMENTS, "max_size": attachment_limit()}


@every_queue_required
@require_POST
def quarantine_release(request: HttpRequest, pk: int) -> HttpResponse:
    """Process a request again: for a cause that passed (an outage) or was fixed (a bug, a setting)."""
    held = get_object_or_404(InboundRequest, pk=pk, state=QUARANTINED)
    with transaction.atomic():
        intake_actions.release_from_quarantine(held.pk)
        _audit(request, audit.Action.QUARANTINE_RELEASED, held)
    _process_now(request, held.pk)
    return redirect("console:quarantine")


@every_queue_required
@require_POST
def quarantine_accept(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept an email quarantined for its attachments, without the files over the limits."""
    held = get_object_or_404(InboundRequest, pk=pk, state=QUARANTINED)
    with transaction.atomic():
        accepted = intake_actions.accept_without_files_over_limit(held.pk)
        if accepted:
            _audit(request, audit.Action.QUARANTINE_ACCEPTED, held)
    if not accepted:
        messages.error(
            request,
            _("Request %(pk)s was not quarantined for its attachments: there are no files to leave out.")
            % {"pk": held.pk},
        )
        return redirect("console:quarantine")
    _process_now(request, held.pk)
    return redirect("console:quarantine")


@every_queue_required
def quarantine_raw(request: HttpRequest, pk: int) -> HttpResponse:
    """The request exactly as received, to open in a mail client or an editor; never shown inline."""
    held = get_object_or_404(
        InboundRequest,
        pk=pk,
        state__in=[QUARANTINED, InboundRequest.State.DISCARDED],
    )
    response = raw_file(held)
    # The bytes are a customer's message: who read them is part of the record.
    logger.info("console.quarantine_downloaded", extra={"request_id": held.pk, "user_id": request.user.pk})
    audit.record_staff(
        audit.Action.QUARANTINE_DOWNLOADED,
        request.user,
        request=request,
        target_type="inbound_request",
        target_id=held.pk,
    )
    return response


def raw_file(stored: InboundRequest) -> HttpResponse:
    """A stored request's bytes as a download: an email as .eml, a form's request as .json."""
    email = stored.channel == "email"
    response = HttpResponse(bytes(stored.raw), content_type="message/rfc822" if email else "application/json")
    response["Content-Disposition"] = (
        f'attachment; filename="request-{stored.pk}.{"eml" if email else "json"}"'
    )
    return response


@every_queue_required
@require_POST
def quarantine_discard(request: HttpRequest, pk: int) -> HttpResponse:
    held = get_object_or_404(InboundRequest, pk=pk, state=QUARANTINED)
    with transaction.atomic():
        intake_actions.discard_quarantined(held.pk, by=_agent(request))
        _audit(request, audit.Action.QUARANTINE_DISCARDED, held)
    messages.success(request, _("Request %(pk)s was discarded.") % {"pk": held.pk})
    return redirect("console:quarantine")


def _audit(request: HttpRequest, action: str, held: InboundRequest) -> None:
    audit.record_staff(
        action,
        request.user,
        request=request,
        target_type="inbound_request",
        target_id=held.pk,
        details={"channel": held.channel, "reason": held.reason[:200]},
    )


def _process_now(request: HttpRequest, pk: int) -> None:
    """Process the released request now and say what became of it; the worker is the safety net."""
    try:
        intake_actions.process(pk)
    except (OperationalError, InterfaceError):
        # Released and its task queued: a busy database only delays it.
        logger.warning("console.quarantine_process_deferred", extra={"request_id": pk})
        messages.info(request, _("Request %(pk)s will be processed in a moment.") % {"pk": pk})
        return
    done = InboundRequest.objects.defer("raw").select_related("ticket").get(pk=pk)
    if done.state == QUARANTINED:
        messages.error(
            request, _("Request %(pk)s was quarantined again: %(reason)s") % {"pk": pk, "reason": done.reason}
        )
    elif done.state == InboundRequest.State.PENDING:
        messages.warning(
            request,
            _("Request %(pk)s failed again and will be retried: %(reason)s")
            % {"pk": pk, "reason": done.reason},
        )
    elif done.ticket is None:
        messages.success(
            request,
            _("Request %(pk)s was processed and opened no ticket: %(reason)s")
            % {"pk": pk, "reason": done.reason or "—"},
        )
    else:
        ticket = done.ticket
        first = ticket.messages.order_by("created_at", "id").values_list("source_id", flat=True).first()
        text = (
            _("Request %(pk)s opened ticket %(reference)s.")
            if first == pk
            else _("Request %(pk)s joined ticket %(reference)s.")
        )
        link = reverse("console:ticket", args=[ticket.reference])
        messages.success(
            request,
            format_html('<a href="{}">{}</a>', link, text % {"pk": pk, "reference": ticket.reference}),
        )
