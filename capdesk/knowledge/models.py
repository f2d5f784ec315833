"""Knowledge base: articles and known issues, imported from Markdown or drafted from a reply."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy


class Kind(models.TextChoices):
    ARTICLE = "article", gettext_lazy("Article")
    KNOWN_ISSUE = "known_issue", gettext_lazy("Known issue")


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", gettext_lazy("Draft")
    PUBLISHED = "published", gettext_lazy("Published")


class Article(models.Model):
    """One page of the knowledge base; only published ones are public."""

    slug = models.SlugField(max_length=120, unique=True)
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.ARTICLE)
    product_area = models.CharField(max_length=60, blank=True)
    tags = models.JSONField(default=list, blank=True)
    # Tags and product area as one lowercase string, so search matches them with the same
    # LIKE as title and body on SQLite and PostgreSQL alike (JSON lookups differ between them).
    keywords = models.CharField(max_length=500, blank=True)
    body_md = models.TextField()
    body_html = models.TextField()
    status = models.CharField(max_length=10, choices=ArticleStatus.choices, default=ArticleStatus.PUBLISHED)
    source_path = models.CharField(
        max_length=300, blank=True, help_text="The Markdown file it was imported from"
    )
    source_message = models.ForeignKey(
        "tickets.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title"]
        indexes = [models.Index(fields=["status", "product_area"])]

    def __str__(self) -> str:
        return self.title

    @property
    def published(self) -> bool:
        return self.status == ArticleStatus.PUBLISHED

    # What a reader sees: the translation in their language when there is one
    # (``knowledge.translations.localize``), else the article as written.
    _shown: ArticleTranslation | None = None

    @property
    def shown_title(self) -> str:
        return self._shown.title if self._shown is not None else self.title

    @property
    def shown_body_html(self) -> str:
        return self._shown.body_html if self._shown is not None else self.body_html

    @property
    def shown_language(self) -> str:
        return self._shown.language if self._shown is not None else settings.LANGUAGE_CODE


class ArticleTranslation(models.Model):
    """An article in another of the desk's languages than the one it is written in (English).

    Readers in that language see it in place of the article; its kind, product area,
    tags and status are the article's. It is outdated when the article changed after it.
    """

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(max_length=10)
    title = models.CharField(max_length=200)
    body_md = models.TextField()
    body_html = models.TextField()
    source_path = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "language"], name="one_translation_per_language")
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.language})"

    @property
    def outdated(self) -> bool:
        return self.article.updated_at > self.updated_at
