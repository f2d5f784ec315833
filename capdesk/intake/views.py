"""The page a held email's sender opens to confirm it was them (E3)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from capdesk.intake.confirmation import confirm_sender, look_up


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button only: link scanners in mailboxes must not confirm on the sender's behalf."""
    if request.method == "GET":
        link = look_up(token)
        return render(
            request, "intake/confirm.html", {"link": link}, status=200 if link.state == "pending" else 410
        )
    confirmed = confirm_sender(token)
    if confirmed is None:
        return render(request, "intake/confirm.html", {"link": look_up(token)}, status=410)
    return render(request, "intake/confirmed.html", {"ticket": confirmed.ticket, "reply": confirmed.reply})
