"""Macros in the console: insert one into a reply, and write or remove one's own."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from capdesk.console import actions, macros
from capdesk.console.forms import MacroForm
from capdesk.console.models import Macro
from capdesk.console.views import _agent, agent_required
from capdesk.core import audit
from capdesk.core.translations import language_name, other_languages
from capdesk.tickets.scoping import get_ticket_for_agent


@agent_required
def macro_for_ticket(request: HttpRequest, reference: str) -> HttpResponse:
    """The macro filled in for this ticket, as JSON, for the reply box's script to insert."""
    ticket = get_ticket_for_agent(request.user, reference)
    choice = macros.render_macro(request.GET.get("macro", ""), ticket, _agent(request))
    if choice is None:
        return JsonResponse({"error": "no such macro"}, status=404)
    return JsonResponse(
        {
            "key": choice.key,
            "title": choice.title,
            "body": choice.body,
            "unfilled": list(choice.unfilled),
            # The language the text went in, and what the reply box says about it.
            "language": choice.language,
            "language_notice": choice.language_notice(),
        }
    )


@agent_required
@require_http_methods(["GET", "POST"])
def macro_list(request: HttpRequest) -> HttpResponse:
    agent = _agent(request)
    editing = None
    edit_pk = request.GET.get("edit", "")
    if edit_pk.isdigit():
        editing = Macro.objects.filter(owner=agent, pk=int(edit_pk)).first()
    form = MacroForm(request.POST or None, instance_values=editing)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            macro = actions.save_macro(
                owner=agent,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                shared=form.cleaned_data["shared"],
                pk=editing.pk if editing else None,
                translations=form.translations(),
            )
            # A shared macro speaks for the whole desk: who wrote or changed it is on record.
            audit.record_staff(
                audit.Action.MACRO_SAVED,
                agent,
                request=request,
                target_type="macro",
                target_id=macro.pk,
                details=actions.macro_audit_details(macro, edited=editing is not None),
            )
        messages.success(request, _("Macro saved."))
        return redirect("console:macros")
    mine = _in_languages(Macro.objects.filter(owner=agent))
    shared = _in_languages(Macro.objects.filter(shared=True).exclude(owner=agent).select_related("owner"))
    return render(
        request,
        "console/macros.html",
        {
            "form": form,
            "mine": mine,
            "shared": shared,
            "editing": editing,
            "placeholders": macros.PLACEHOLDERS,
            "other_languages": [(code, language_name(code)) for code in other_languages()],
            "standard": macros.standard_macros(),
        },
    )


def _in_languages(found: Iterable[Macro]) -> list[tuple[Macro, list[dict[str, str]]]]:
    """Each macro with its texts in the desk's other languages, as the list shows them under the original."""
    return [
        (
            macro,
            [
                {
                    "name": language_name(code),
                    "code": code,
                    "title": macro.text_in("title", code),
                    "body": body,
                }
                for code in other_languages()
                if (body := macro.translations_of("body").get(code))
            ],
        )
        for macro in found
    ]


@agent_required
@require_POST
def macro_delete(request: HttpRequest, pk: int) -> HttpResponse:
    with transaction.atomic():
        if not actions.delete_macro(_agent(request), pk):
            # Another agent's, or gone: nothing was removed, so nothing is recorded.
            raise Http404("No such macro of yours")
        audit.record_staff(
            audit.Action.MACRO_DELETED, request.user, request=request, target_type="macro", target_id=pk
        )
    return redirect("console:macros")
