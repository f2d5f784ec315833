"""Agents and status-page incidents: which tickets each incident holds, linking by hand (M2),
and, for staff with the incident permissions, opening, updating and resolving incidents.

Opening and updating use the Django admin's forms and submit functions, so both screens
post the same rows, history and subscriber events. A proposal to resolve (a monitor has
stayed up for the quiet period) is answered here with one POST; nothing resolves itself.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from capdesk.console.views import agent_required
from capdesk.core.translation_fields import field_name
from capdesk.core.translations import language_name, other_languages
from capdesk.status import monitor_actions
from capdesk.status.actions import StatusError
from capdesk.status.admin_forms import (
    ConsoleIncidentAddForm,
    ConsoleIncidentChangeForm,
    initial_from_template,
    submit_incident_change,
    submit_new_incident,
)
from capdesk.status.incident_templates import resolved_body, resolved_body_in
from capdesk.status.models import Incident, IncidentTemplate, ResolutionProposal
from capdesk.status.queries import open_incidents
from capdesk.tickets.incidents import link_incident, unlink_incident
from capdesk.tickets.models import OPEN_STATUSES
from capdesk.tickets.scoping import agent_tickets, get_ticket_for_agent


@agent_required
def incident_list(request: HttpRequest) -> HttpResponse:
    incidents = open_incidents()
    linked = agent_tickets(request.user).filter(incident__in=[i.public_id for i in incidents])
    by_incident: dict[str, list[object]] = {i.public_id: [] for i in incidents}
    for ticket in linked.order_by("created_at"):
        by_incident[ticket.incident].append(ticket)
    rows = [(i, by_incident[i.public_id]) for i in incidents]
    may_manage = _may_manage(request.user)
    return render(
        request,
        "console/incidents.html",
        {
            "rows": rows,
            "open_statuses": OPEN_STATUSES,
            "may_manage": may_manage,
            "proposals": monitor_actions.pending_proposals() if may_manage else [],
        },
    )


# Running incidents (staff with the status permissions, as in the Django admin) -------


def _may_manage(user: Any) -> bool:
    return bool(getattr(user, "is_staff", False) and user.has_perm("status.change_incident"))


View = Callable[..., HttpResponse]


def incident_admin_required(permission: str) -> Callable[[View], View]:
    """Agents are signed in by ``agent_required``; running incidents also takes the model permission."""

    def decorate(view: View) -> View:
        @agent_required
        @wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.has_perm(permission):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return checked

    return decorate


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _template_from(request: HttpRequest) -> IncidentTemplate | None:
    slug = request.GET.get("template", "")
    return IncidentTemplate.objects.filter(slug=slug).first() if slug else None


def _incident(public_id: str) -> Incident:
    return get_object_or_404(Incident, public_id=public_id, kind=Incident.Kind.INCIDENT)


@incident_admin_required("status.add_incident")
def incident_new(request: HttpRequest) -> HttpResponse:
    """Open an incident, optionally from a template (``?template=<slug>`` pre-fills the form)."""
    if request.method == "POST":
        form = ConsoleIncidentAddForm(request.POST)
        if form.is_valid():
            try:
                incident = submit_new_incident(form.cleaned_data, user=_user(request))
            except StatusError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Incident opened and published on the status page."))
                return redirect("console:incident", public_id=incident.public_id)
    else:
        template = _template_from(request)
        form = ConsoleIncidentAddForm(initial=initial_from_template(template) if template else None)
    templates = IncidentTemplate.objects.exclude(title="")
    return render(request, "console/incident_new.html", {"form": form, "templates": templates})


@incident_admin_required("status.change_incident")
def incident_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    """One incident: its updates, a form to post the next one, and the resolve button."""
    incident = _incident(public_id)
    if request.method == "POST":
        form = ConsoleIncidentChangeForm(request.POST, instance=incident)
        if form.is_valid():
            try:
                submit_incident_change(incident, form.cleaned_data, user=_user(request))
            except StatusError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Update posted."))
                return redirect("console:incident", public_id=incident.public_id)
    else:
        template = _template_from(request)
        initial = initial_from_template(template, incident) if template else {}
        form = ConsoleIncidentChangeForm(instance=incident, initial=initial)
    proposal = incident.resolution_proposals.filter(state=ResolutionProposal.State.PENDING).first()
    latest = incident.resolution_proposals.first()
    context = {
        # An emailed proposal that a later failure withdrew: say so where its link leads.
        "withdrawn": latest if latest and latest.state == ResolutionProposal.State.WITHDRAWN else None,
        "incident": incident,
        "form": form,
        "updates": incident.updates.select_related("created_by"),
        "templates": IncidentTemplate.objects.all(),
        "proposal": proposal,
        "resolve_body": proposal.body if proposal else resolved_body(incident),
        # (field name, language name, proposed text) for each other language of the page.
        "resolve_translations": [
            (field_name("body", lang), language_name(lang), resolved_body_in(incident, lang))
            for lang in other_languages()
        ],
    }
    return render(request, "console/incident_detail.html", context)


@incident_admin_required("status.change_incident")
@require_POST
def incident_resolve(request: HttpRequest, public_id: str) -> HttpResponse:
    """One click: resolve with the text shown (the proposal's, from the "Resolved" template)."""
    incident = _incident(public_id)
    proposal_id = request.POST.get("proposal", "")
    proposal = (
        get_object_or_404(ResolutionProposal, pk=int(proposal_id), incident=incident)
        if proposal_id.isdigit()
        else None
    )
    if not incident.is_open:
        messages.info(request, _("This incident is already resolved."))
        return redirect("console:incident", public_id=incident.public_id)
    body = request.POST.get("body", "").strip()[:20_000]
    texts = {
        lang: {"body": request.POST.get(field_name("body", lang), "")[:20_000]} for lang in other_languages()
    }
    try:
        monitor_actions.resolve_incident(
            incident, body=body, user=_user(request), proposal=proposal, translations=texts
        )
    except monitor_actions.StaleProposal:
        messages.error(request, _("This proposal was withdrawn: a check failed again. Nothing was resolved."))
        return redirect("console:incident", public_id=incident.public_id)
    except StatusError as exc:
        messages.error(request, str(exc))
        return redirect("console:incident", public_id=incident.public_id)
    messages.success(request, _("Incident resolved."))
    return redirect("console:incidents")


@agent_required
@require_POST
def ticket_link_incident(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = get_ticket_for_agent(request.user, reference)
    assert isinstance(request.user, User)
    public_id = request.POST.get("incident", "")
    if public_id:
        if public_id not in {i.public_id for i in open_incidents()}:
            messages.error(request, _("That incident is not open."))
        else:
            link_incident(ticket, public_id, agent=request.user)
    else:
        unlink_incident(ticket, agent=request.user)
    return redirect("console:ticket", reference=ticket.reference)
