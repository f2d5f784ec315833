"""The ticket list: views, filters, search with marked hits, saved views, bulk changes, rotations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from capdesk.console import actions, filters, partials, search, side_counts
from capdesk.console.forms import BulkForm, SavedViewForm
from capdesk.console.models import Away, QueueRotation, SavedView
from capdesk.console.rows import rows as list_rows
from capdesk.console.views import _agent, agent_required
from capdesk.core import audit
from capdesk.intake.models import InboundRequest
from capdesk.policy.types import Outcome
from capdesk.tickets import merging
from capdesk.tickets.models import Queue, Severity, Status, Ticket
from capdesk.tickets.scoping import agent_messages, agent_queue_ids, agent_tickets

# Rows a queue page draws; "more" reads the next ones after the last (filters.Cursor). A
# help desk's list shows what an agent can take in (Zendesk 30, Frappe Helpdesk 20); 200
# rows were most of the page's time at a million tickets, for rows nobody scrolled to.
PAGE_SIZE = 50


def _agents() -> list[User]:
    return list(User.objects.filter(is_staff=True, is_active=True).order_by("username"))


@agent_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    agent = _agent(request)
    chosen = filters.Filters.from_query(request.GET)
    if filters.EMAIL_ADDRESS.fullmatch(chosen.q) and not chosen.requester:
        # An address in the search box means its sender's tickets: full-text search does not
        # index addresses, and an agent pasting one from an email expects that.
        chosen = replace(chosen, q="", requester=chosen.q)
    tickets = filters.apply(
        # Only what a row shows. An inner join (the queue is never null) lets SQLite's planner
        # start from the joined table and sort every matching ticket instead of walking an index.
        agent_tickets(agent).select_related("organization", "assignee"),
        chosen,
        agent,
    )
    snippets: Mapping[int, object] = {}
    after = filters.Cursor.parse(request.GET.get("after", ""))
    more = ""
    more_hits = 0
    if chosen.q:
        # Within the agent's queues inside the search itself: the hits are capped (search.HIT_LIMIT).
        hits = search.find(chosen.q, agent_queue_ids(agent))
        order = {h.ticket_id: i for i, h in enumerate(hits)}
        # The hits within this view and its filters, best first; fragments for the shown ones only.
        matching = sorted(
            tickets.filter(pk__in=list(order)).values_list("pk", flat=True), key=order.__getitem__
        )
        shown, more_hits = matching[:PAGE_SIZE], max(0, len(matching) - PAGE_SIZE)
        rows = sorted(tickets.filter(pk__in=shown), key=lambda t: order[t.pk])
        snippets = search.fragments([hits[order[pk]] for pk in shown])
    else:
        rows, next_page = filters.page_by_deadline(tickets, PAGE_SIZE, after)
        if next_page is not None:
            more = chosen.querystring(after=next_page.token())
    rows_context = {
        "tickets": list_rows(rows, snippets),
        "filters": chosen,
        "more": more,
        "continued": after,
        "more_hits": more_hits,
    }
    if partials.is_htmx(request):
        # The filters changed on the page, or "more" was asked for: only rows are drawn, not the side panel.
        fragment = render(request, "console/partials/ticket_rows.html", rows_context)
        return partials.vary_on_htmx(fragment)
    restricted_to = agent_queue_ids(agent)
    context = {
        **rows_context,
        "views": filters.VIEWS,
        "view_links": [(key, label, chosen.querystring(view=key)) for key, label in filters.VIEWS.items()],
        # Quarantined requests have no queue yet: not counted for an agent restricted to some.
        "quarantined": 0
        if restricted_to is not None
        else InboundRequest.objects.filter(state=InboundRequest.State.QUARANTINED).count(),
        # Held replies wait for a confirmation that may never come: counted where agents look first.
        "held_replies": agent_messages(request.user).filter(held=True).count(),
        "saved_views": SavedView.objects.filter(owner=agent),
        # Cached for a few seconds: counting 700,000 open tickets on every view is most of its cost.
        **side_counts.open_counts(restricted_to),
        "statuses": Status.choices,
        "severities": Severity.choices,
        "queues": Queue.objects.all()
        if restricted_to is None
        else Queue.objects.filter(pk__in=restricted_to),
        "filter_labels": filters.labels(chosen),
        "agents": _agents(),
        # The policy's outcomes, not a DISTINCT over every ticket (a full scan on a big desk).
        "outcomes": sorted(o.value for o in Outcome),
        "save_form": SavedViewForm(initial={"query": request.GET.urlencode()}),
    }
    return partials.vary_on_htmx(render(request, "console/ticket_list.html", context))


@agent_required
@require_POST
def view_save(request: HttpRequest) -> HttpResponse:
    form = SavedViewForm(request.POST)
    if form.is_valid():
        actions.save_view(_agent(request), form.cleaned_data["name"], form.cleaned_data["query"])
        messages.success(request, _("View saved."))
        return redirect(f"{reverse('console:tickets')}?{form.cleaned_data['query']}")
    messages.error(request, _("A saved view needs a name."))
    return redirect("console:tickets")


@agent_required
@require_POST
def view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    actions.delete_view(_agent(request), pk)
    return redirect("console:tickets")


@agent_required
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    agent = _agent(request)
    form = BulkForm(request.POST, agents=_agents())
    back = request.POST.get("next", "")
    target_url = back if back.startswith("/console/") else reverse("console:tickets")
    if not form.is_valid():
        messages.error(request, _("Choose tickets and an action."))
        return redirect(target_url)
    pks = [pk for ref in form.cleaned_data["tickets"] if (pk := Ticket.pk_from_reference(ref))]
    chosen = agent_tickets(agent).filter(pk__in=pks).order_by("pk")
    action = form.cleaned_data["action"]
    if action == "assign":
        value = form.cleaned_data["assignee"]
        assignee = User.objects.filter(pk=int(value), is_staff=True).first() if value.isdigit() else None
        try:
            count = actions.bulk_assign(chosen, assignee, agent=agent)
        except actions.NotAssignable as exc:
            messages.error(request, str(exc))
            return redirect(target_url)
    elif action == "status":
        count = actions.bulk_status(chosen, form.cleaned_data["status"], agent=agent)
    elif action == "merge":
        into = agent_tickets(agent).filter(pk=Ticket.pk_from_reference(form.cleaned_data["merge_into"]) or 0)
        target = into.first()
        if target is None:
            messages.error(
                request, _("There is no ticket %(ref)s.") % {"ref": form.cleaned_data["merge_into"]}
            )
            return redirect(target_url)
        try:
            count = merging.merge_many(chosen, target, agent=agent)
        except merging.MergeRefused as exc:
            # All or none: one refused ticket leaves every selected ticket as it was.
            messages.error(request, str(exc))
            return redirect(target_url)
    else:
        count = actions.bulk_round_robin(chosen, agent=agent)
    messages.success(request, _("%(count)s tickets changed.") % {"count": count})
    return redirect(target_url)


@agent_required
def rotations(request: HttpRequest) -> HttpResponse:
    """Each queue's round-robin: who takes its tickets in turn; an agent joins or leaves here."""
    agent = _agent(request)
    queues = list(Queue.objects.all())
    by_queue = {
        r.queue_id: r
        for r in QueueRotation.objects.prefetch_related("members").select_related("last_assigned")
    }
    rows = []
    for queue in queues:
        rotation = by_queue.get(queue.pk)
        members = sorted(rotation.members.all(), key=lambda u: u.pk) if rotation else []
        rows.append(
            (
                queue,
                members,
                agent in members,
                rotation.last_assigned if rotation else None,
                rotation.auto_assign if rotation else False,
            )
        )
    away = Away.objects.filter(user=agent).exists()
    return render(request, "console/rotations.html", {"rows": rows, "away": away})


@agent_required
@require_POST
def away_toggle(request: HttpRequest) -> HttpResponse:
    actions.set_away(_agent(request), away=request.POST.get("away") == "1")
    return redirect("console:rotations")


@agent_required
@require_POST
def rotation_toggle(request: HttpRequest, slug: str) -> HttpResponse:
    queue = get_object_or_404(Queue, slug=slug)
    if "auto_assign" in request.POST:
        # Who gets new tickets without asking is the desk's set-up: admins switch it; agents join or leave.
        if not request.user.is_superuser:
            raise PermissionDenied
        enabled = request.POST["auto_assign"] == "1"
        with transaction.atomic():
            actions.set_auto_assign(queue, enabled=enabled)
            audit.record_staff(
                audit.Action.QUEUE_AUTO_ASSIGN,
                request.user,
                request=request,
                target_type="queue",
                target_id=queue.slug,
                details={"enabled": enabled},
            )
    else:
        try:
            actions.set_rotation_membership(queue, _agent(request), member=request.POST.get("member") == "1")
        except actions.NotAssignable as exc:
            messages.error(request, str(exc))
    return redirect("console:rotations")
