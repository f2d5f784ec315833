"""Articles in the reader's language: each article is written in English (``LANGUAGE_CODE``)
and may have a translation per other language of the desk (``ArticleTranslation``).

A reader whose language has a translation reads it (title and text); anyone else, and
any article not translated yet, reads the article as written, told so. Search and the
new-request suggestions look in both.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from capdesk.knowledge.models import Article, ArticleTranslation
from capdesk.tickets.rendering import render_markdown


def other_languages() -> list[tuple[str, str]]:
    """The desk's languages an article may be translated into: all but the one it is written in."""
    return [(code, name) for code, name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def is_other_language(code: str) -> bool:
    return code in dict(other_languages())


def reader_language() -> str:
    """The request's language (LocaleMiddleware), as one of the desk's language codes."""
    try:
        return translation.get_supported_language_variant(
            translation.get_language() or settings.LANGUAGE_CODE
        )
    except LookupError:  # a language the desk does not speak
        return settings.LANGUAGE_CODE


def localize(articles: Iterable[Article], language: str) -> None:
    """Have each article show its translation in ``language``, when it has one (one query for all)."""
    articles = list(articles)
    if not articles or not is_other_language(language):
        return
    found = {
        t.article_id: t for t in ArticleTranslation.objects.filter(article__in=articles, language=language)
    }
    for article in articles:
        article._shown = found.get(article.pk)


@transaction.atomic
def save_translation(
    article: Article, *, language: str, title: str, body: str, source_path: str = ""
) -> bool:
    """Create or replace the article's translation into ``language``; True when it was new."""
    if not is_other_language(language):
        raise ValueError(f"{language!r} is not a language articles are translated into")
    _translation, created = ArticleTranslation.objects.update_or_create(
        article=article,
        language=language,
        defaults={
            "title": title[:200],
            "body_md": body,
            "body_html": render_markdown(body),
            "source_path": source_path[:300],
            "updated_at": timezone.now(),
        },
    )
    return created
