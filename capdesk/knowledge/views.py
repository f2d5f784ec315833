"""The public knowledge base at /kb/, its suggestion endpoint, and the agents' draft workflow."""

from __future__ import annotations

from django import forms
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
    if query:
        results = search_articles(query, visible=visible, limit=50)
    else:
        results = list(visible.order_by("product_area", "title")[:300])
    return render(request, "knowledge/index.html", {**_page(request), "query": query, "results": results})


def article(request: HttpRequest, slug: str) -> HttpResponse:
    item = get_object_or_404(Article, slug=slug)
    if not item.published and not is_agent(request.user):
        raise Http404("No such article")
    return render(request, "knowledge/article.html", {**_page(request), "article": item})


def suggest(request: HttpRequest) -> JsonResponse:
    """Published articles for what a customer is typing (subject and body), for the new-request form."""
    found = search_articles(request.GET.get("q", "")[:2000], limit=SUGGESTIONS)
    return JsonResponse(
        {
            "articles": [
                {
                    "title": a.title,
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
