"""The page a held email's sender opens to confirm it was them (E3)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_http_methods

from capdesk.intake.confirmation import Link, confirm_sender, look_up

# A token no link of ours has is not found; a link that was used, rejected or expired is gone.
_STATUS = {"pending": 200, "invalid": 404}


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button only: link scanners in mailboxes must not confirm on the sender's behalf.

    The page speaks the language its email was written in, not the browser's: the customer
    reads one conversation (Dewi got an Indonesian email, then an English page).
    """
    link = look_up(token)
    with translation.override(link.language or translation.get_language()):
        if request.method == "GET" or link.state != "pending":
            return _page(request, link)
        confirmed = confirm_sender(token)
        if confirmed is None:  # used or expired in the meantime
            return _page(request, look_up(token))
        response = render(
            request,
            "intake/confirmed.html",
            {"ticket": confirmed.ticket, "reply": confirmed.reply, "emailed": confirmed.emailed},
        )
        response["Content-Language"] = translation.get_language()
    return response


def _page(request: HttpRequest, link: Link) -> HttpResponse:
    response = render(request, "intake/confirm.html", {"link": link}, status=_STATUS.get(link.state, 410))
    response["Content-Language"] = translation.get_language()
    return response
