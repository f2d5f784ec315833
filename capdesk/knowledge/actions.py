"""Every change to the knowledge base: import from a folder, draft from a reply, edit, publish."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from capdesk.knowledge.frontmatter import FrontMatterError, as_list, as_text, parse
from capdesk.knowledge.models import Article, ArticleStatus, Kind
from capdesk.knowledge.translations import is_other_language, save_translation
from capdesk.tickets.models import Message
from capdesk.tickets.rendering import render_markdown

Progress = Callable[[int, int, Path, str], None]

_KIND_ALIASES = {"known_issue": Kind.KNOWN_ISSUE, "known-issue": Kind.KNOWN_ISSUE, "issue": Kind.KNOWN_ISSUE}


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    failed: list[tuple[Path, str]] = field(default_factory=list)


def _keywords(product_area: str, tags: list[str]) -> str:
    return " ".join([product_area, *tags]).lower()[:500]


def _unique_slug(base: str, *, exclude_pk: int | None = None) -> str:
    base = (slugify(base) or "article")[:100]
    slug, n = base, 2
    others = Article.objects.exclude(pk=exclude_pk) if exclude_pk is not None else Article.objects.all()
    while others.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


class NoOriginal(FrontMatterError):
    """A translation whose article is not there (yet: it may come later in the folder)."""


def _translation_of(path: Path, meta: dict[str, str | list[str]]) -> tuple[str, str] | None:
    """``(language, article slug)`` when the file translates an article, else None.

    A translation says its language in its front matter (``lang: id``) or in its name
    (``rollback-a-channel.id.md``), and names its article by ``translation_of:``, or by
    its own name without the language.
    """
    base, dot, suffix = path.stem.rpartition(".")
    named = suffix.lower() if dot and is_other_language(suffix.lower()) else ""
    language = as_text(meta.get("lang") or meta.get("language")).strip().lower() or named
    if not language or language == settings.LANGUAGE_CODE:
        return None
    if not is_other_language(language):
        raise FrontMatterError(f"articles are not translated into {language!r}")
    slug = slugify(as_text(meta.get("translation_of")) or (base if named == language else path.stem))[:120]
    return language, slug


@transaction.atomic
def import_file(path: Path, root: Path) -> bool:
    """Create or update the article (or translation) in ``path``; True when it was new. Raises FrontMatterError."""
    document = parse(path.read_text(encoding="utf-8"))
    meta = document.meta
    title = as_text(meta.get("title")).strip()
    if not title:
        raise FrontMatterError("front matter has no title")
    target = _translation_of(path, meta)
    if target is not None:
        language, slug = target
        article = Article.objects.filter(slug=slug).first()
        if article is None:
            raise NoOriginal(f"no article {slug!r} to translate")
        return save_translation(
            article,
            language=language,
            title=title,
            body=document.body,
            source_path=str(path.relative_to(root)),
        )
    slug = slugify(as_text(meta.get("slug")) or path.stem)[:120]
    if not slug:
        raise FrontMatterError("no usable slug (set 'slug:' or rename the file)")
    tags = as_list(meta.get("tags"))
    area = as_text(meta.get("product_area") or meta.get("area")).strip()
    kind_value = as_text(meta.get("kind") or meta.get("type")).strip().lower()
    kind = _KIND_ALIASES.get(kind_value, Kind.ARTICLE)
    draft = as_text(meta.get("draft")).strip().lower() in {"true", "yes", "1"}
    _article, created = Article.objects.update_or_create(
        slug=slug,
        defaults={
            "title": title[:200],
            "kind": kind,
            "product_area": area[:60],
            "tags": tags,
            "keywords": _keywords(area, tags),
            "body_md": document.body,
            "body_html": render_markdown(document.body),
            "status": ArticleStatus.DRAFT if draft else ArticleStatus.PUBLISHED,
            "source_path": str(path.relative_to(root))[:300],
            "updated_at": timezone.now(),
        },
    )
    return created


def import_folder(folder: Path, progress: Progress | None = None) -> ImportReport:
    """Import every ``*.md`` under ``folder`` (sorted, so runs are repeatable); a bad file is reported, not fatal."""
    files = sorted(p for p in folder.rglob("*.md") if p.is_file())
    report = ImportReport()
    # A translation may come before its article ("a.id.md" sorts before "a.md"): it is
    # tried once more after every other file.
    queue, deferred, done = deque(files), set[Path](), 0
    while queue:
        path = queue.popleft()
        try:
            created = import_file(path, folder)
        except NoOriginal as exc:
            if path not in deferred:
                deferred.add(path)
                queue.append(path)
                continue
            report.failed.append((path, str(exc)))
            outcome = f"failed: {exc}"
        except (FrontMatterError, UnicodeDecodeError) as exc:
            report.failed.append((path, str(exc)))
            outcome = f"failed: {exc}"
        else:
            if created:
                report.created += 1
            else:
                report.updated += 1
            outcome = "created" if created else "updated"
        done += 1
        if progress is not None:
            progress(done, len(files), path, outcome)
    return report


@transaction.atomic
def draft_from_message(message: Message, *, agent: User) -> Article:
    """An agent's reply becomes a draft article (not public) for someone to edit and publish."""
    existing = Article.objects.filter(source_message=message).first()
    if existing is not None:
        return existing
    title = message.ticket.subject[:200]
    return Article.objects.create(
        slug=_unique_slug(f"draft-{title}"),
        title=title,
        kind=Kind.ARTICLE,
        body_md=message.body_text,
        body_html=render_markdown(message.body_text),
        status=ArticleStatus.DRAFT,
        source_message=message,
        author=agent,
    )


@transaction.atomic
def edit_article(
    article: Article, *, title: str, product_area: str, tags: list[str], body: str, kind: str
) -> Article:
    article.title = title[:200]
    article.product_area = product_area[:60]
    article.tags = tags
    article.kind = kind if kind in Kind.values else Kind.ARTICLE
    article.keywords = _keywords(product_area, tags)
    article.body_md = body
    article.body_html = render_markdown(body)
    article.updated_at = timezone.now()
    article.save()
    return article


@transaction.atomic
def publish(article: Article) -> Article:
    """A draft goes public, under a slug without its 'draft-' prefix."""
    article.status = ArticleStatus.PUBLISHED
    if article.slug.startswith("draft-"):
        article.slug = _unique_slug(article.title, exclude_pk=article.pk)
    article.updated_at = timezone.now()
    article.save(update_fields=["status", "slug", "updated_at"])
    return article
