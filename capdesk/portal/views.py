"""The customer's portal: sign in by magic link, file a request, follow and answer it."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.core.files.uploadedfile import UploadedFile
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from capdesk.core import audit
from capdesk.directory.models import EmailAddress, Language, Person
from capdesk.directory.queries import organizations_for, projects_for
from capdesk.intake import actions as intake
from capdesk.intake.waiting import waiting_for
from capdesk.intake.web_channel import encode_file, encode_payload
from capdesk.knowledge.search import search_articles
from capdesk.knowledge.translations import reader_language
from capdesk.notify import suppressions
from capdesk.notify.models import Suppression
from capdesk.policy.loader import get_policy
from capdesk.portal import actions
from capdesk.portal.entitlements import panel_for
from capdesk.portal.forms import SEVERITY_HELP, NewRequestForm, PremiumForm, ReplyForm, SignInForm
from capdesk.portal.identity import InvalidIdentity, verify_dashboard_token
from capdesk.status.queries import open_incidents
from capdesk.tickets import copies
from capdesk.tickets.downloads import file_response, find_attachment, needs_confirmation
from capdesk.tickets.models import Message, Ticket
from capdesk.tickets.scoping import (
    conversation_for,
    customer_tickets,
    get_ticket_for_customer,
    manages_copies,
    owned_tickets,
)

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponseBase]


def current_person(request: HttpRequest) -> Person | None:
    user = request.user
    if not user.is_authenticated:
        return None
    return Person.objects.filter(user=user).first()


def customer_required(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        person = current_person(request)
        if person is None:
            return redirect(f"{reverse('portal:sign_in')}?next={request.path}")
        return view(request, person, *args, **kwargs)

    return wrapper


def _channel(request: HttpRequest) -> str:
    """C1: the dashboard's help entry and the website's portal are both official; record which."""
    return "dashboard" if request.session.get("capdesk_channel") == "dashboard" else "portal"


def _files(upload: UploadedFile | None) -> list[dict[str, str]]:
    if upload is None:
        return []
    return [
        encode_file(
            upload.name or "attachment", upload.content_type or "application/octet-stream", upload.read()
        )
    ]


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    if current_person(request):
        return redirect("portal:requests")
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        actions.request_magic_link(
            form.cleaned_data["email"],
            next_url=request.GET.get("next", ""),
            # Only the cookie is a choice: the page's language may be the browser's guess.
            chosen_language=request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, ""),
        )
        # The same answer whether or not the address is registered (no enumeration).
        return render(request, "portal/check_email.html", {"email": form.cleaned_data["email"]})
    return render(request, "portal/sign_in.html", {"form": form})


@require_http_methods(["GET", "POST"])
def magic(request: HttpRequest, token: str) -> HttpResponse:
    """GET only shows a button: mail scanners that fetch links must not use up the sign-in."""
    if request.method == "GET":
        link = actions.find_valid_link(token)
        return render(request, "portal/magic.html", {"valid": link is not None}, status=200 if link else 410)
    redeemed = actions.redeem_magic_link(token)
    if redeemed is None:
        return render(request, "portal/magic.html", {"valid": False}, status=410)
    login(
        request, actions.user_for_person(redeemed.person), backend="django.contrib.auth.backends.ModelBackend"
    )
    audit.record_customer_sign_in(audit.Action.PORTAL_MAGIC_LINK_SIGN_IN, redeemed.person, request=request)
    request.session["capdesk_email"] = redeemed.email
    response = redirect(redeemed.next_url or "portal:requests")
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, redeemed.person.language, samesite="Lax")
    return response


@require_GET
def dashboard_sign_in(request: HttpRequest) -> HttpResponse:
    """The dashboard's "Support" entry: a signed identity token in, a portal session out."""
    try:
        identity = verify_dashboard_token(request.GET.get("token", ""))
    except InvalidIdentity as exc:
        logger.info("portal.dashboard_token_refused", extra={"reason": str(exc)})
        audit.record_refused_sso(str(exc), request=request)
        return render(request, "portal/token_refused.html", {"reason": exc.explain()}, status=403)
    login(
        request, actions.user_for_person(identity.person), backend="django.contrib.auth.backends.ModelBackend"
    )
    audit.record_customer_sign_in(audit.Action.PORTAL_DASHBOARD_SIGN_IN, identity.person, request=request)
    request.session["capdesk_email"] = identity.email
    request.session["capdesk_channel"] = "dashboard"
    target = request.GET.get("next", "")
    response = redirect(target if target.startswith("/portal/") else "portal:requests")
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, identity.person.language, samesite="Lax")
    return response


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("portal:sign_in")


@customer_required
def request_list(request: HttpRequest, person: Person) -> HttpResponse:
    tickets = list(customer_tickets(person).select_related("project").order_by("-updated_at")[:200])
    # Those the person only follows, being copied on them, are marked (tickets.copies).
    owned = set(owned_tickets(person).filter(pk__in=[t.pk for t in tickets]).values_list("pk", flat=True))
    context = {
        "person": person,
        "tickets": tickets,
        "owned": owned,
        "suppressed": _suppressed(person),
        "waiting": waiting_for(person).count(),
    }
    return render(request, "portal/request_list.html", context)


def _suppressed(person: Person) -> list[Suppression]:
    """The person's registered addresses the desk stopped mailing (notify.suppressions), in one query."""
    return list(
        Suppression.objects.filter(address__in=EmailAddress.objects.filter(person=person).values("email"))
    )


@customer_required
@require_POST
def email_again(request: HttpRequest, person: Person) -> HttpResponse:
    """The customer says their mailbox works again: lift the suppression of one of their own addresses.

    Only an address registered on their account: they are signed in as its owner.
    """
    address = request.POST.get("address", "").strip().lower()
    if EmailAddress.objects.filter(person=person, email=address).exists() and suppressions.lift(
        address, why="its owner, in the portal"
    ):
        messages.success(request, _("We email %(to)s again.") % {"to": address})
    target = request.POST.get("next", "")
    # Back to the portal page the button was on; never elsewhere (no open redirect).
    return redirect(target if target.startswith("/portal/") else "portal:requests")


@customer_required
@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest, person: Person) -> HttpResponse:
    projects = list(projects_for(person))
    # The form's first view preselects the one project the person qualifies on; a posted form keeps theirs.
    panel = panel_for(person, projects, channel=_channel(request)) if request.method == "GET" else None
    form = NewRequestForm(
        request.POST or None,
        request.FILES or None,
        projects=projects,
        requester_email=request.session.get("capdesk_email", person.primary_email),
        initial={"idempotency_key": uuid.uuid4().hex, "project": panel.preselect if panel else ""},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        payload = {
            "kind": "new",
            "subject": data["subject"],
            "body": data["body"],
            "project": data["project"] or None,
            "severity": data["severity"],
            "production_impact": data["production_impact"],
            "language": translation.get_language() or person.language,
            "files": _files(data.get("attachment")),
            "copied": data["copied"],
        }
        receipt = intake.receive(
            channel=_channel(request),
            raw=encode_payload(payload),
            idempotency_key=f"portal:{data['idempotency_key']}",
            claimed_sender=request.session.get("capdesk_email", person.primary_email),
            authenticated_person=person,
            subject=payload["subject"],
        )
        return _after_receive(request, receipt)
    panel = panel or panel_for(person, projects, channel=_channel(request))
    # Without the script, suggestions come from the page: a knowledge base search in the
    # side panel (?kb=...), or what the customer wrote when the form comes back with errors.
    kb_query = request.GET.get("kb", "").strip()[:300]
    typed = (
        f"{request.POST.get('subject', '')} {request.POST.get('body', '')}"
        if request.method == "POST"
        else ""
    )
    return render(
        request,
        "portal/request_new.html",
        {
            "form": form,
            "person": person,
            "panel": panel,
            "severity_help": SEVERITY_HELP,
            "kb_query": kb_query,
            "suggestions": (
                search_articles(kb_query or typed, limit=5, language=reader_language())
                if (kb_query or typed)
                else []
            ),
            # M2: a customer hit by an outage sees it before writing a ticket about it.
            "incidents": open_incidents(),
        },
    )


def _after_receive(request: HttpRequest, receipt: intake.Receipt) -> HttpResponseRedirect:
    """Interactive channels process at once so the customer sees their ticket; the worker is the safety net."""
    try:
        intake.process(receipt.request.pk)
        receipt.request.refresh_from_db()
    except (OperationalError, InterfaceError):
        # The request is stored and its task queued: a busy or restarting database only
        # delays it, so the customer must not be told that nothing was saved.
        logger.warning("portal.process_deferred", extra={"request": receipt.request.pk})
        messages.info(request, _("We received your request; it will appear here in a moment."))
        return redirect("portal:requests")
    if receipt.request.ticket is not None:
        return redirect("portal:request_detail", reference=receipt.request.ticket.reference)
    if receipt.request.state == receipt.request.State.QUARANTINED:
        # The reason is written for the admins who read the quarantine, in English, and the
        # forms check what a customer could fix first: what is left is for the team to look at.
        messages.error(
            request,
            _(
                "We could not file this request. It is kept for our support team, who will look into it; "
                "if it cannot wait, write to %(address)s."
            )
            % {"address": settings.CAPDESK_SUPPORT_ADDRESS},
        )
    else:
        messages.info(request, _("We received your request; it will appear here in a moment."))
    return redirect("portal:requests")


@customer_required
def request_detail(request: HttpRequest, person: Person, reference: str) -> HttpResponse:
    ticket = get_ticket_for_customer(person, reference)
    if ticket.merged_into_id is not None:
        # Merged by an agent: the conversation goes on there, if this customer may see it.
        survivor = ticket.surviving()
        if customer_tickets(person).filter(pk=survivor.pk).exists():
            return redirect("portal:request_detail", reference=survivor.reference)
    return _detail_page(request, person, ticket, ReplyForm(initial={"idempotency_key": uuid.uuid4().hex}))


def _detail_page(request: HttpRequest, person: Person, ticket: Ticket, form: ReplyForm) -> HttpResponse:
    """The request's page with its reply form: a fresh one, or one sent back with what was typed."""
    suppressed = _suppressed(person)
    conversation = (
        conversation_for(person, ticket)
        .select_related("author_person", "author_user")
        .prefetch_related("attachments")
    )
    return render(
        request,
        "portal/request_detail.html",
        {
            "person": person,
            "ticket": ticket,
            "conversation": conversation,
            "form": form,
            "Author": Message.Author,
            "suppressed": suppressed,
            # Merged into a request this customer cannot see (another requester's): they
            # may still write, and their replies reach it, but nothing else here applies.
            "merged_away": ticket.merged_into_id is not None,
            "copied": copies.addresses(ticket),
            "manages_copies": manages_copies(person, ticket),
            "own_addresses": set(EmailAddress.objects.filter(person=person).values_list("email", flat=True)),
            "follow_ups": customer_tickets(person).filter(follow_up_of=ticket)
            if ticket.status == "closed"
            else [],
            # Linked only when this customer may open it (someone copied on the follow-up alone may not).
            "follow_up_of_visible": ticket.follow_up_of_id is not None
            and customer_tickets(person).filter(pk=ticket.follow_up_of_id).exists(),
        },
    )


@customer_required
@require_POST
def request_reply(request: HttpRequest, person: Person, reference: str) -> HttpResponse:
    ticket = get_ticket_for_customer(person, reference)
    form = ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        # Shown again with the reply as typed and the errors beside it (a file too large, an
        # empty reply): nothing was accepted, so nothing is lost.
        return _detail_page(request, person, ticket, form)
    payload = {
        "kind": "reply",
        "ticket": ticket.reference,
        "body": form.cleaned_data["body"],
        "files": _files(form.cleaned_data.get("attachment")),
        # Should the reply open a follow-up, it answers in the page's language.
        "language": translation.get_language() or person.language,
    }
    receipt = intake.receive(
        channel=_channel(request),
        raw=encode_payload(payload),
        idempotency_key=f"portal:{form.cleaned_data['idempotency_key']}",
        claimed_sender=request.session.get("capdesk_email", person.primary_email),
        authenticated_person=person,
        subject=ticket.subject,
    )
    return _after_receive(request, receipt)


@customer_required
@require_POST
def set_language(request: HttpRequest, person: Person) -> HttpResponse:
    """The English / Indonesian switch, remembered on the person's profile."""
    language = request.POST.get("language", "")
    if language in Language.values:
        person.language = language
        person.save(update_fields=["language"])
    target = request.POST.get("next", "")
    # The knowledge base shows the portal's header too, so its switch must come back to /kb/.
    response = redirect(target if target.startswith(("/portal/", "/kb/")) else "portal:requests")
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, person.language, samesite="Lax")
    return response


@customer_required
@require_http_methods(["GET", "POST"])
def premium(request: HttpRequest, person: Person) -> HttpResponse:
    """R1: the Premium Support form. Team and Enterprise customers reach sales; others learn what it takes."""
    policy = get_policy()
    rule = policy.premium
    orgs = list(organizations_for(person))
    qualifying = [
        o for o in orgs if o.plan in rule.offer_plans and o.subscription_status in policy.paid.subscriptions
    ]
    form = PremiumForm(
        request.POST or None,
        organizations=[(str(o.capgo_id), o.name) for o in qualifying],
        initial={"idempotency_key": uuid.uuid4().hex},
    )
    if request.method == "POST" and qualifying and form.is_valid():
        payload = {
            "kind": "premium",
            "subject": "Premium Support",
            "organization": form.cleaned_data["organization"],
            "body": form.cleaned_data["body"],
            "language": translation.get_language() or person.language,
        }
        receipt = intake.receive(
            channel=_channel(request),
            raw=encode_payload(payload),
            idempotency_key=f"portal:{form.cleaned_data['idempotency_key']}",
            claimed_sender=request.session.get("capdesk_email", person.primary_email),
            authenticated_person=person,
            subject=payload["subject"],
        )
        return _after_receive(request, receipt)
    return render(
        request,
        "portal/premium.html",
        {
            "person": person,
            "form": form,
            "rule": rule,
            "qualifying": qualifying,
            "orgs": orgs,
            # The plans by the names Capgo's pricing page gives them, not the policy's keys.
            "offer_plans": [policy.plans[p].name for p in rule.offer_plans if p in policy.plans],
        },
    )


@customer_required
def request_attachment(
    request: HttpRequest, person: Person, reference: str, attachment_id: int
) -> HttpResponseBase:
    """A file on a public message of a request the customer may see.

    A link from an email still works after the request was merged: the messages moved to
    the surviving request, which is read instead when this customer may see it.
    """
    ticket = get_ticket_for_customer(person, reference)
    if ticket.merged_into_id is not None:
        survivor = ticket.surviving()
        if customer_tickets(person).filter(pk=survivor.pk).exists():
            ticket = survivor
    attachment = find_attachment(ticket, attachment_id, internal_allowed=False)
    if needs_confirmation(request, attachment):
        return render(request, "portal/attachment_confirm.html", {"ticket": ticket, "attachment": attachment})
    return file_response(attachment)
