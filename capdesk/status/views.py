"""The public status page, its machine formats and the subscription pages. Anyone may read them.

Read-only views answer GET and HEAD from the snapshot cache (rendered on change), with
a short shared-cache lifetime plus stale-while-revalidate, an ETag for conditional GETs,
and, for the machine formats, ``Access-Control-Allow-Origin: *`` so other sites (the
Capgo website's footer) can read them from a browser.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from capdesk.status import config, feeds, page_data, snapshot, subscriber_actions, v2
from capdesk.status.forms import SubscribeForm
from capdesk.status.indicator import Overall, footer_indicator
from capdesk.status.models import Incident, Subscriber

CACHE_CONTROL = "public, max-age=10, stale-while-revalidate=60"
JSON = "application/json; charset=utf-8"


def _etag_matches(request: HttpRequest, etag: str) -> bool:
    wanted = request.headers.get("If-None-Match", "")
    return etag in [tag.strip().removeprefix("W/") for tag in wanted.split(",")] or wanted.strip() == "*"


def _cached_response(
    request: HttpRequest, result: snapshot.Rendered, content_type: str, *, cors: bool
) -> HttpResponse:
    response: HttpResponse
    if _etag_matches(request, result.etag):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(result.body, content_type=content_type)
    response["ETag"] = result.etag
    response["Cache-Control"] = CACHE_CONTROL
    if cors:
        response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
def v2_document(request: HttpRequest, name: str) -> HttpResponse:
    """Statuspage's /api/v2/*.json, for exporters, dashboards and widgets."""
    if name not in v2.DOCUMENTS:
        raise Http404
    return _cached_response(request, snapshot.v2_document(name, config.strict()), JSON, cors=True)


def _overall() -> Overall:
    return page_data.once_per_version("overall", lambda: v2.overall(strict=False))


def _footer_doc() -> bytes:
    state = _overall()
    rows = page_data.component_rows()
    return snapshot.dump(
        {"indicator": footer_indicator(state.indicator), "uptime": page_data.overall_uptime(rows)}
    )


@require_safe
def footer_status(request: HttpRequest) -> HttpResponse:
    """/status.json for the Capgo website footer (CAPGO.md): "up" means all systems normal."""
    return _cached_response(request, snapshot.rendered("footer", _footer_doc, clock=True), JSON, cors=True)


def _language(request: HttpRequest) -> tuple[str, bool]:
    """The page's language, and whether it was chosen explicitly with ?lang=."""
    chosen = request.GET.get("lang", "")
    if chosen in dict(settings.LANGUAGES):
        return chosen, True
    return translation.get_language() or settings.LANGUAGE_CODE, False


def _base_context() -> dict[str, Any]:
    return {"page_name": config.page_name(), "zone": config.page_zone()}


def _page_body() -> bytes:
    context = {
        **_base_context(),
        "overall": _overall(),
        "updated_at": v2.page_state().updated_at,
        "incidents": page_data.open_incidents(),
        "active_maintenance": page_data.active_maintenance(),
        "upcoming_maintenance": page_data.upcoming_maintenance(),
        "rows": page_data.component_rows(),
        "months": page_data.months(),
    }
    return render_to_string("status/page.html", context).encode()


def _history_body() -> bytes:
    context = {**_base_context(), "months": page_data.months(count=12)}
    return render_to_string("status/history.html", context).encode()


def _localised(request: HttpRequest, name: str, build: Any) -> HttpResponse:
    language, explicit = _language(request)
    with translation.override(language):
        result = snapshot.rendered(name, build, clock=True, variant=language)
    response = _cached_response(request, result, "text/html; charset=utf-8", cors=False)
    return _in_language(response, language, explicit=explicit)


def _in_language(response: HttpResponse, language: str, *, explicit: bool) -> HttpResponse:
    response["Content-Language"] = language
    patch_vary_headers(response, ["Accept-Language", "Cookie"])
    if explicit:
        # Remember the choice for the next pages, as Django's set_language view would;
        # a response that sets a cookie is not for shared caches.
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax", max_age=365 * 24 * 3600)
        response["Cache-Control"] = "private, max-age=0"
    return response


@require_safe
def page(request: HttpRequest) -> HttpResponse:
    """M1: the public page; readable without JavaScript and without a login."""
    return _localised(request, "page", _page_body)


@require_safe
def history(request: HttpRequest) -> HttpResponse:
    return _localised(request, "history", _history_body)


@require_safe
def incident(request: HttpRequest, public_id: str) -> HttpResponse:
    """The incident's own page: what every shortlink, feed item and email points to."""
    found = v2.with_details(Incident.objects.filter(public_id=public_id)).first()
    if found is None:
        raise Http404
    # ?lang= as on the page: a subscriber's email links the incident in their language.
    language, explicit = _language(request)
    with translation.override(language):
        response = render(request, "status/incident.html", {**_base_context(), "incident": found})
    response["Cache-Control"] = CACHE_CONTROL
    return _in_language(response, language, explicit=explicit)


def _feed(request: HttpRequest, name: str, build: Callable[[str], bytes], content_type: str) -> HttpResponse:
    """A feed in the language its URL names (``?lang=``, see status.feeds), cached per language.

    Not negotiated and no cookie set: the same URL is the same bytes for every reader and cache.
    """
    language = feeds.feed_language(request.GET.get("lang", ""))
    body = snapshot.rendered(name, lambda: build(language), variant=language)
    response = _cached_response(request, body, content_type, cors=True)
    # Set here, or LocaleMiddleware would label the English feed with the reader's language.
    response["Content-Language"] = language or settings.LANGUAGE_CODE
    return response


@require_safe
def atom(request: HttpRequest) -> HttpResponse:
    def build(language: str) -> bytes:
        return feeds.render_feed(feeds.HistoryAtom(language), request)

    return _feed(request, "atom", build, "application/atom+xml; charset=utf-8")


@require_safe
def rss(request: HttpRequest) -> HttpResponse:
    def build(language: str) -> bytes:
        return feeds.render_feed(feeds.HistoryRss(language), request)

    return _feed(request, "rss", build, "application/rss+xml; charset=utf-8")


@require_safe
def maintenance_ics(request: HttpRequest) -> HttpResponse:
    def build(language: str) -> bytes:
        return feeds.maintenance_calendar(language).encode()

    response = _feed(request, "ics", build, "text/calendar; charset=utf-8")
    language = feeds.feed_language(request.GET.get("lang", ""))
    name = f"maintenance.{language}.ics" if language else "maintenance.ics"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    """Double opt-in: the form only sends a confirmation link; nothing else is sent before it is used."""
    form = SubscribeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        language = translation.get_language() or settings.LANGUAGE_CODE
        try:
            if data["kind"] == Subscriber.Kind.WEBHOOK:
                subscriber_actions.subscribe_webhook(
                    data["endpoint"],
                    contact_email=data["email"],
                    components=data["components"],
                    language=language,
                )
            else:
                subscriber_actions.subscribe_email(
                    data["email"], components=data["components"], language=language
                )
        except subscriber_actions.SubscriptionRefused as exc:
            form.add_error("endpoint", str(exc))
        else:
            return redirect("status:subscribe_sent")
    return render(request, "status/subscribe.html", {**_base_context(), "form": form})


@require_safe
def subscribe_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "status/subscribe_sent.html", _base_context())


@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks, POST confirms: mail scanners that fetch every link must not subscribe anyone."""
    subscriber = subscriber_actions.subscriber_from_token(token, purpose="confirm")
    if subscriber is None or subscriber.unsubscribed_at is not None:
        return render(request, "status/link_invalid.html", _base_context(), status=404)
    confirmed = False
    if request.method == "POST":
        subscriber = subscriber_actions.confirm_subscriber(subscriber)
        confirmed = True
    context = {**_base_context(), "subscriber": subscriber, "confirmed": confirmed}
    return render(request, "status/confirm.html", context)


@csrf_exempt  # RFC 8058: the mail client POSTs without cookies or a form token
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """One-click unsubscribe (RFC 8058 POST) and the page a person reaches from the link."""
    subscriber = subscriber_actions.subscriber_from_token(token, purpose="unsubscribe")
    if subscriber is None:
        return render(request, "status/link_invalid.html", _base_context(), status=404)
    done = subscriber.unsubscribed_at is not None
    if request.method == "POST":
        subscriber_actions.unsubscribe(subscriber)
        done = True
    context = {**_base_context(), "done": done, "now": timezone.now()}
    return render(request, "status/unsubscribe.html", context)
