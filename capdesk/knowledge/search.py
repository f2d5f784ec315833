"""Find articles for a query or for what a customer is typing: any meaningful word, best match first."""

from __future__ import annotations

import re
from functools import reduce
from operator import or_

from django.conf import settings
from django.db.models import Q, QuerySet

from capdesk.knowledge.models import Article, ArticleStatus, ArticleTranslation
from capdesk.knowledge.translations import is_other_language, localize

# Common words in English and Indonesian that match everything and mean nothing here.
STOP_WORDS = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "from",
        "that",
        "this",
        "have",
        "has",
        "are",
        "was",
        "were",
        "not",
        "but",
        "you",
        "your",
        "our",
        "can",
        "how",
        "what",
        "when",
        "why",
        "does",
        "did",
        "will",
        "would",
        "should",
        "could",
        "into",
        "after",
        "before",
        "about",
        "there",
        "their",
        "them",
        "then",
        "than",
        "its",
        "it's",
        "yang",
        "dan",
        "untuk",
        "dengan",
        "dari",
        "ini",
        "itu",
        "ada",
        "tidak",
        "bisa",
        "saya",
        "kami",
        "kita",
        "apa",
        "bagaimana",
        "kenapa",
        "sudah",
        "belum",
        "akan",
        "pada",
        "di",
        "ke",
        "atau",
        "juga",
    ]
)
CANDIDATES = 200
WORD = re.compile(r"\w+", re.UNICODE)


def terms(query: str) -> list[str]:
    seen: list[str] = []
    for word in WORD.findall(query.lower()):
        if len(word) >= 3 and word not in STOP_WORDS and word not in seen:
            seen.append(word)
    return seen[:20]


def score(article: Article, words: list[str]) -> int:
    """Title and tags weigh more than the body; each word counts once per field.

    A translated article (``translations.localize``) scores by whichever reads better:
    a reader may search in English or in their own language.
    """

    def of(title: str, body: str) -> int:
        title, body = title.lower(), body.lower()
        return sum(3 * (w in title) + 2 * (w in article.keywords) + (w in body) for w in words)

    shown = article._shown
    return max(of(article.title, article.body_md), of(shown.title, shown.body_md) if shown else 0)


def search_articles(
    query: str,
    *,
    visible: QuerySet[Article] | None = None,
    limit: int = 20,
    language: str = settings.LANGUAGE_CODE,
) -> list[Article]:
    """Articles for ``query``, best first, shown in ``language`` where translated."""
    words = terms(query)
    if not words:
        return []
    pool = visible if visible is not None else Article.objects.filter(status=ArticleStatus.PUBLISHED)
    match = reduce(
        or_, (Q(title__icontains=w) | Q(keywords__icontains=w) | Q(body_md__icontains=w) for w in words)
    )
    if is_other_language(language):
        translated = ArticleTranslation.objects.filter(language=language).filter(
            reduce(or_, (Q(title__icontains=w) | Q(body_md__icontains=w) for w in words))
        )
        match |= Q(pk__in=translated.values("article_id"))
    candidates = list(pool.filter(match)[:CANDIDATES])
    localize(candidates, language)
    ranked = sorted(candidates, key=lambda a: (-score(a, words), a.shown_title))
    return ranked[:limit]
