"""The public knowledge base at /kb/, its suggestion endpoint, and the agents' draft workflow."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from capdesk.console.views import agent_required
from capdesk.knowledge import actions
from capdesk.knowledge.frontmatter import as_list
from capdesk.knowledge.models import Article, ArticleStatus, Kind
from capdesk.knowledge.search import search_articles
from capdesk.knowledge.translations import (
    is_other_language,
    localize,
    other_languages,
    reader_language,
    save_translation,
)
from capdesk.portal.views import current_person
from capdesk.tickets.models import Message
from capdesk.tickets.scoping import agent_tickets, is_agent

SUGGESTIONS = 5


def _page(request: HttpRequest) -> dict[str, object]:
    """A signed-in customer reads the knowledge base inside the portal's header (language, name, sign out)."""
    person = current_person(request)
    return {
        "person": person,
        "base_template": "portal/base.html" if person is not None else "base.html",
        "agent": is_agent(request.user),
    }


def index(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:300]
    visible = (
        Article.objects.all()
        if is_agent(request.user)
        else Article.objects.filter(status=ArticleStatus.PUBLISHED)
    )
    language = reader_language()
    if query:
        results = search_articles(query, visible=visible, limit=50, language=language)
    else:
        results = list(visible.order_by("product_area", "title")[:300])
        localize(results, language)
    return render(request, "knowledge/index.html", {**_page(request), "query": query, "results": results})


def article(request: HttpRequest, slug: str) -> HttpResponse:
    item = get_object_or_404(Article, slug=slug)
    agent = is_agent(request.user)
    if not item.published and not agent:
        raise Http404("No such article")
    # ?lang= reads it in another of the desk's languages (the translation links below).
    asked = request.GET.get("lang", "")
    language = asked if asked in dict(settings.LANGUAGES) else reader_language()
    localize([item], language)
    context = {
        **_page(request),
        "article": item,
        # The reader's language has no translation of it: they read it as written, told so.
        "untranslated": is_other_language(language) and item.shown_language != language,
        "translations": _translations(item) if agent else [],
    }
    return render(request, "knowledge/article.html", context)


def _translations(item: Article) -> list[dict[str, object]]:
    """For agents: each language the article may be translated into, with its translation if any."""
    existing = {t.language: t for t in item.translations.all()}
    return [
        {"code": code, "name": name, "translation": existing.get(code)} for code, name in other_languages()
    ]


def suggest(request: HttpRequest) -> JsonResponse:
    """Published articles for what a customer is typing (subject and body), for the new-request form."""
    found = search_articles(request.GET.get("q", "")[:2000], limit=SUGGESTIONS, language=reader_language())
    return JsonResponse(
        {
            "articles": [
                {
                    "title": a.shown_title,
                    "url": reverse("knowledge:article", args=[a.slug]),
                    "kind": a.kind,
                    "product_area": a.product_area,
                }
                for a in found
            ]
        }
    )


@agent_required
@require_POST
def draft_from_message(request: HttpRequest, pk: int) -> HttpResponse:
    # Only an agent's public reply, on a ticket the agent may see, becomes a draft: an
    # internal note may carry what the customer must not read, and articles go public.
    message = get_object_or_404(
        Message.objects.select_related("ticket"),
        pk=pk,
        author_kind=Message.Author.AGENT,
        public=True,
        ticket__in=agent_tickets(request.user),
    )
    assert isinstance(request.user, User)
    draft = actions.draft_from_message(message, agent=request.user)
    messages.success(request, _("Draft article created from the reply; edit and publish it."))
    return redirect("knowledge:edit", slug=draft.slug)


class ArticleForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Kind.choices)
    product_area = forms.CharField(label=gettext_lazy("Product area"), max_length=60, required=False)
    tags = forms.CharField(label=gettext_lazy("Tags (comma-separated)"), max_length=400, required=False)
    body = forms.CharField(label=gettext_lazy("Text (Markdown)"), widget=forms.Textarea(attrs={"rows": 14}))


@agent_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, slug: str) -> HttpResponse:
    item = get_object_or_404(Article, slug=slug)
    initial = {
        "title": item.title,
        "kind": item.kind,
        "product_area": item.product_area,
        "tags": ", ".join(item.tags),
        "body": item.body_md,
    }
    form = ArticleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        actions.edit_article(
            item,
            title=data["title"],
            product_area=data["product_area"],
            tags=as_list(data["tags"]),
            body=data["body"],
            kind=data["kind"],
        )
        if request.POST.get("publish") == "1":
            actions.publish(item)
            messages.success(request, _("Article published."))
        else:
            messages.success(request, _("Article saved."))
        return redirect("knowledge:article", slug=item.slug)
    return render(request, "knowledge/edit.html", {"article": item, "form": form})


class TranslationForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    body = forms.CharField(label=gettext_lazy("Text (Markdown)"), widget=forms.Textarea(attrs={"rows": 14}))


@agent_required
@require_http_methods(["GET", "POST"])
def translate(request: HttpRequest, slug: str, language: str) -> HttpResponse:
    """Write or revise an article's translation, beside the article as written."""
    item = get_object_or_404(Article, slug=slug)
    if not is_other_language(language):
        raise Http404("Articles are not translated into that language")
    existing = item.translations.filter(language=language).first()
    if request.method == "POST" and request.POST.get("delete") == "1":
        if existing is not None:
            existing.delete()  # its readers read the article as written again
            messages.success(request, _("Translation deleted."))
        return redirect("knowledge:article", slug=item.slug)
    initial = {"title": existing.title, "body": existing.body_md} if existing else {}
    form = TranslationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        save_translation(
            item, language=language, title=form.cleaned_data["title"], body=form.cleaned_data["body"]
        )
        messages.success(request, _("Translation saved."))
        return redirect(f"{reverse('knowledge:article', args=[item.slug])}?lang={language}")
    context = {
        "article": item,
        "form": form,
        "language_name": dict(other_languages())[language],
        "translation": existing,
    }
    return render(request, "knowledge/translate.html", context)
