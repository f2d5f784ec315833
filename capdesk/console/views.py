"""The agents' console: one queue in priority order, the ticket with its context, and replies."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import user_passes_test
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from capdesk.api import ratelimit
from capdesk.console import actions as console_actions
from capdesk.console import macros, partials
from capdesk.console.forms import AgentReplyForm, OverrideForm, SeverityForm, StatusForm
from capdesk.core import audit
from capdesk.intake import waiting
from capdesk.notify import suppressions
from capdesk.notify.models import OutboundEmail
from capdesk.policy.loader import get_policy
from capdesk.policy.types import Outcome
from capdesk.tickets import actions, copies, decisions, mailboxes
from capdesk.tickets.models import Ticket
from capdesk.tickets.scoping import (
    agent_queue_ids,
    agent_tickets,
    get_ticket_for_agent,
    is_agent,
    works_queue,
)

logger = logging.getLogger(__name__)

# Agents are staff users; everyone else is sent to the console's sign-in page.
agent_required = user_passes_test(is_agent, login_url="console:login")


def every_queue_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """A 403 for an agent restricted to queues: the page is about requests of every queue, or of none yet.

    Quarantined requests have no queue: released, one becomes a ticket of whichever queue
    the policy decides, so what it says is for the agents who see them all.
    """

    @agent_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if agent_queue_ids(request.user) is not None:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


# Failed sign-ins allowed in a 15-minute window, per account name and per client address
# (SECURITY.md). The name limit stops guessing one agent's password; the address limit,
# set higher because colleagues may share an address, stops spraying many names.
LOGIN_WINDOW_SECONDS = 15 * 60
LOGIN_FAILURES_PER_NAME = 5
LOGIN_FAILURES_PER_ADDRESS = 30


def _login_limits(request: HttpRequest) -> list[tuple[str, int]]:
    name = request.POST.get("username", "").strip().lower()[:150]
    address = request.META.get("REMOTE_ADDR", "")
    return [
        (f"console-login:name:{name}", LOGIN_FAILURES_PER_NAME),
        (f"console-login:ip:{address}", LOGIN_FAILURES_PER_ADDRESS),
    ]


class LoginView(auth_views.LoginView):
    template_name = "console/login.html"
    next_page = "console:tickets"
    audit_details: dict[str, str] | None = None  # what the audit entry of a sign-in adds

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # Only agents skip the form: a signed-in customer sent on to the queue would be sent back here.
        if request.method == "GET" and is_agent(request.user):
            return redirect(self.get_success_url())
        return super().dispatch(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refused = [
            verdict
            for key, limit in _login_limits(request)
            if not (verdict := ratelimit.peek(key, limit=limit, window_seconds=LOGIN_WINDOW_SECONDS)).allowed
        ]
        if refused:
            # Refused before the password is checked, so a guess tells the guesser nothing.
            wait = max(v.retry_after for v in refused)
            minutes = -(-wait // 60)
            messages.error(
                request,
                _("Too many failed sign-ins. Try again in %(minutes)d minutes.") % {"minutes": minutes},
            )
            form = self.get_form_class()(request, initial={"username": request.POST.get("username", "")})
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(wait)
            return response
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        audit.record_staff(
            audit.Action.CONSOLE_SIGN_IN, form.get_user(), request=self.request, details=self.audit_details
        )
        return super().form_valid(form)

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        for key, limit in _login_limits(self.request):
            ratelimit.hit(key, limit=limit, window_seconds=LOGIN_WINDOW_SECONDS)
        audit.record_failed_sign_in(self.request.POST.get("username", ""), request=self.request)
        return super().form_invalid(form)


class AdminLoginView(LoginView):
    """The Django admin's sign-in at /admin/login/, with the console's failure limits and audit.

    The admin's own view has neither: a password guesser would simply use it instead, and
    a staff sign-in there left no entry in the audit log. Same form and page as the admin's.
    """

    template_name = "admin/login.html"
    authentication_form = AdminAuthenticationForm
    next_page = "admin:index"
    audit_details = {"via": "admin"}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(admin.site.each_context(self.request))
        context.update(title=_("Log in"), subtitle=None, app_path=self.request.get_full_path())
        return context


def _agent(request: HttpRequest) -> User:
    """The signed-in agent; views reach this only through agent_required."""
    assert isinstance(request.user, User)
    return request.user


@agent_required
def ticket_detail(request: HttpRequest, reference: str) -> HttpResponse:
    return _ticket_page(request, get_ticket_for_agent(request.user, reference))


def _ticket_page(
    request: HttpRequest,
    ticket: Ticket,
    *,
    facts_error: str = "",
    reply_form: AgentReplyForm | None = None,
    reply_error: str = "",
    reply_confirm: bool = False,
    status: int = 200,
) -> HttpResponse:
    """The whole ticket page; ``facts_error`` says above the side panel why a change made there was refused,
    ``reply_error`` above the reply box why the reply in ``reply_form`` (kept as typed) was not sent."""
    agent = _agent(request)
    # ?macro=... fills the reply box on the server, so macros work without the script too.
    macro_key = request.GET.get("macro", "")
    chosen_macro = macros.render_macro(macro_key, ticket, agent) if macro_key else None
    copied = copies.addresses(ticket)
    suppressed = suppressions.among([ticket.requester_email, *copied])
    others = (
        agent_tickets(request.user).filter(requester_id=ticket.requester_id).exclude(pk=ticket.pk)[:10]
        if ticket.requester_id
        else []
    )
    return render(
        request,
        "console/ticket_detail.html",
        {
            **partials.facts_context(ticket),
            "conversation": partials.with_deliveries(
                ticket,
                ticket.messages.select_related("author_person", "author_user").prefetch_related(
                    "attachments"
                ),
            ),
            "reply_form": reply_form
            or AgentReplyForm(initial={"body": chosen_macro.body} if chosen_macro else None),
            "reply_error": reply_error,
            "reply_confirm": AS_WRITTEN if reply_confirm else "",
            "macros": macros.available(agent),
            "chosen_macro": chosen_macro,
            "present": console_actions.touch_presence(ticket, agent, replying=False),
            "others": others,
            **_linked(agent, ticket),
            "decisions": _decisions_with_clauses(ticket),
            # Emails of this ticket the requester's server refused for good (intake.bounces).
            "bounced": OutboundEmail.objects.filter(ticket=ticket, bounced_at__isnull=False).order_by(
                "-bounced_at"
            )[:3],
            # The requester's address on the suppression list: the replies are not emailed.
            "suppressed": suppressed.get(ticket.requester_email.lower()),
            # A mailbox nobody reads gets no standard reply (tickets.decisions).
            "requester_no_reply": mailboxes.is_no_reply(ticket.requester_email),
            # Each of the ticket's recipients that is on it, by address.
            "suppressed_addresses": suppressed,
            "recipients": {ticket.requester_email.lower(), *copied},
            # Emailed each public reply too (tickets.copies).
            "copied": copied,
            "override_form": OverrideForm(),
            "facts_error": facts_error,
            **_held_request_context(ticket),
        },
        status=status,
    )


def _linked(user: User, ticket: Ticket) -> dict[str, object]:
    """The tickets this one follows up, was split from, or that follow up, merged into or split out
    of it: those ``user`` sees. A follow-up or a split may have gone to a queue a restricted agent
    does not work, and its subject is that queue's."""
    visible = agent_tickets(user)
    return {
        "follow_up_of": visible.filter(pk=ticket.follow_up_of_id or 0).first(),
        "split_from": visible.filter(pk=ticket.split_from_id or 0).first(),
        "follow_ups": visible.filter(follow_up_of=ticket),
        "merged": visible.filter(merged_into=ticket),
        "splits": visible.filter(split_from=ticket),
    }


def _held_request_context(ticket: Ticket) -> dict[str, object]:
    """For a request held until its sender confirms (E3): its link, whether it was emailed or
    withheld (and the limit that withheld it), and whether it still works."""
    if ticket.outcome != Outcome.VERIFY_SENDER:
        return {}
    link = waiting.link_state(ticket)
    return {
        "held_link": link,
        "held_link_expired": link is not None and link.expires_at <= timezone.now(),
        "auto_reply_limit": settings.CAPDESK_AUTO_REPLIES_PER_DAY,
    }


# The box a refusal for placeholders adds to the reply form: ticked, the next send goes as typed.
AS_WRITTEN = gettext_lazy("Send it as written: the braces are meant for the customer.")


@agent_required
@require_POST
def ticket_reply(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = get_ticket_for_agent(request.user, reference)
    form = AgentReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        if partials.is_htmx(request):
            return partials.reply_error(_("The reply is empty or too long."))
        messages.error(request, _("The reply is empty or too long."))
        return redirect("console:ticket", reference=ticket.reference)
    # A macro's placeholder still as written would reach the customer as "{incident_url}";
    # an agent who means the braces (a template syntax they explain) confirms it.
    as_written = request.POST.get("as_written") == "on"
    left = (
        []
        if form.cleaned_data["internal"] or as_written
        else macros.placeholders_left(form.cleaned_data["body"])
    )
    if left:
        text = _("Fill in or remove %(names)s before sending: the customer would get it as written.") % {
            "names": ", ".join(f"{{{name}}}" for name in left)
        }
        if partials.is_htmx(request):
            return partials.reply_error(text, confirm=str(AS_WRITTEN))
        return _ticket_page(
            request, ticket, reply_form=form, reply_error=text, reply_confirm=True, status=422
        )
    upload = form.cleaned_data.get("attachment")
    files = []
    if upload is not None:
        files.append(
            actions.IncomingFile(upload.name or "attachment", upload.content_type or "", upload.read())
        )
    try:
        message = actions.reply_as_agent(
            ticket,
            agent=_agent(request),
            body=form.cleaned_data["body"],
            public=not form.cleaned_data["internal"],
            new_status=form.cleaned_data["status"] or None,
            files=files,
            # The copied addresses the page showed and the agent unticked; one copied since
            # the page was drawn was not shown, so it is emailed.
            leave_out=set(request.POST.getlist("copied_shown")) - set(request.POST.getlist("copied_to")),
        )
    except actions.AttachmentRejected as exc:
        # In the agent's language, and the page keeps what they typed (as the portal does).
        if partials.is_htmx(request):
            return partials.reply_error(exc.explain())
        return _ticket_page(request, ticket, reply_form=form, reply_error=exc.explain(), status=422)
    done = _("Note added.") if form.cleaned_data["internal"] else _("Reply sent.")
    if partials.is_htmx(request):
        return partials.reply_posted(request, ticket, message, flash=done)
    messages.success(request, done)
    return redirect("console:ticket", reference=ticket.reference)


def _decisions_with_clauses(ticket: Ticket) -> list[dict[str, object]]:
    """Each decision, newest first, with every clause id it rests on and that clause's text."""
    policy = get_policy()
    language = translation.get_language() or "en"
    out = []
    for d in ticket.decisions.select_related("decided_by").order_by("-created_at", "-id"):
        clauses = []
        for cid in d.clauses:
            clause = policy.clauses.get(cid)
            text = (clause.text.get(language) or clause.text.get("en", "")) if clause else ""
            clauses.append((cid, text))
        out.append({"record": d, "clauses": clauses, "confidence": round(d.confidence * 100)})
    return out


@agent_required
@require_POST
def ticket_override(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = get_ticket_for_agent(request.user, reference)
    form = OverrideForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("An override needs an outcome and a reason."))
        return redirect("console:ticket", reference=ticket.reference)
    decisions.override_decision(
        ticket,
        outcome=form.cleaned_data["outcome"],
        reason=form.cleaned_data["reason"],
        agent=_agent(request),
    )
    if not works_queue(request.user, ticket.queue_id):
        # Moving a ticket out of one's queues is allowed: a lead that is really a bug report
        # belongs to Support, and an agent restricted to Sales hands it over by overriding.
        messages.success(
            request,
            _("Decision overridden: %(ticket)s is now in the %(queue)s queue, which you do not work.")
            % {"ticket": ticket.reference, "queue": ticket.queue},
        )
        return redirect("console:tickets")
    messages.success(request, _("Decision overridden."))
    return redirect("console:ticket", reference=ticket.reference)


@agent_required
@require_POST
def ticket_status(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = get_ticket_for_agent(request.user, reference)
    form = StatusForm(request.POST)
    if form.is_valid():
        actions.change_status(
            ticket, form.cleaned_data["status"], agent=_agent(request), reason=form.cleaned_data["reason"]
        )
    if partials.is_htmx(request):
        return partials.facts(request, ticket)
    return redirect("console:ticket", reference=ticket.reference)


@agent_required
@require_POST
def ticket_severity(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = get_ticket_for_agent(request.user, reference)
    form = SeverityForm(request.POST)
    if form.is_valid():
        actions.change_severity(
            ticket, form.cleaned_data["severity"], agent=_agent(request), reason=form.cleaned_data["reason"]
        )
    elif partials.is_htmx(request):
        return partials.facts(request, ticket, error=_("Changing the severity needs a reason."))
    else:
        messages.error(request, _("Changing the severity needs a reason."))
    if partials.is_htmx(request):
        return partials.facts(request, ticket)
    return redirect("console:ticket", reference=ticket.reference)


@agent_required
@require_POST
def ticket_email_again(request: HttpRequest, reference: str) -> HttpResponse:
    """Lift the suppression of the requester's address, or of an address copied on the ticket
    (``address``): the ticket's replies are emailed to it again."""
    ticket = get_ticket_for_agent(request.user, reference)
    address = request.POST.get("address", "")[:254] or ticket.requester_email
    if console_actions.email_again(ticket, address, agent=_agent(request)):
        messages.success(request, _("Replies to this ticket are emailed to %(to)s again.") % {"to": address})
    return redirect("console:ticket", reference=ticket.reference)


@agent_required
@require_POST
def ticket_send_email_again(request: HttpRequest, reference: str, email_id: int) -> HttpResponse:
    """Send once more an email of the ticket that failed, bounced or was suppressed."""
    ticket = get_ticket_for_agent(request.user, reference)
    email = get_object_or_404(partials.emails_of(ticket), pk=email_id)
    if console_actions.send_email_again(ticket, email, agent=_agent(request)):
        messages.success(request, _("The email to %(to)s goes out again.") % {"to": email.to})
    return redirect("console:ticket", reference=ticket.reference)


@agent_required
@require_POST
def ticket_take(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = get_ticket_for_agent(request.user, reference)
    console_actions.assign_ticket(ticket, _agent(request), agent=_agent(request))
    if partials.is_htmx(request):
        return partials.facts(request, ticket)
    return redirect("console:ticket", reference=ticket.reference)


def _chosen_assignee(value: str) -> User | None:
    """The account the assign select posted; empty means nobody."""
    value = value.strip()
    if not value:
        return None
    user = (
        User.objects.filter(pk=int(value)).first()
        if value.isascii() and value.isdigit() and len(value) < 12
        else None
    )
    if user is None:
        raise console_actions.NotAssignable(_("There is no such agent. Choose one from the list."))
    return user


@agent_required
@require_POST
def ticket_assign(request: HttpRequest, reference: str) -> HttpResponse:
    """Give the ticket to an agent who works its queue, or to nobody."""
    ticket = get_ticket_for_agent(request.user, reference)
    try:
        assignee = _chosen_assignee(request.POST.get("assignee", ""))
        console_actions.assign_ticket(ticket, assignee, agent=_agent(request))
    except console_actions.NotAssignable as exc:
        # 400 for both: the page without JavaScript is drawn again with the reason, and the
        # console's htmx glue swaps a refused side panel in (htmx leaves 4xx answers unswapped).
        if partials.is_htmx(request):
            refused = partials.facts(request, ticket, error=str(exc))
            refused.status_code = 400
            return refused
        return _ticket_page(request, ticket, facts_error=str(exc), status=400)
    if partials.is_htmx(request):
        return partials.facts(request, ticket)
    return redirect("console:ticket", reference=ticket.reference)
