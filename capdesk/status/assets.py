"""The static files the published pages link to, found with Django's staticfiles finders.

status-serve (and nginx or a CDN serving the same folder) has no Django behind it: a
stylesheet the page links under ``STATIC_URL`` is only there if the publish copies it.
The list is read from the rendered HTML itself (and from the stylesheets' ``url()`` and
``@import``), so a template that links a new file publishes it without a second list to
keep in step. Files are located as ``collectstatic`` would (finders, then the static
storage for names it made, such as hashed ones), never from a fixed source path.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import SuspiciousFileOperation
from whitenoise.media_types import MediaTypes

logger = logging.getLogger(__name__)

# What whitenoise sends for the same files on the desk's own port: a file's name does not
# change when its bytes do, so caches keep it briefly and revalidate with the ETag.
CACHE_CONTROL = "public, max-age=60"
# Whitenoise's own table and charset rule (its add_mime_headers), so a file has the same type
# on both ports; fixed in whitenoise rather than read from the host's /etc/mime.types.
_MEDIA_TYPES = MediaTypes()
CHARSET = "utf-8"
# Elements whose address the browser fetches while showing the page (links to other pages are not assets).
FETCHED = {"link": ("href",), "script": ("src",), "img": ("src", "srcset"), "source": ("src", "srcset")}
CSS_REFERENCE = re.compile(r"""url\(\s*(['"]?)([^'")\s]+)\1\s*\)|@import\s+(['"])([^'"]+)\3""")


@dataclass(frozen=True)
class Asset:
    """One static file as a published document: its URL path, its place in the folder and its bytes."""

    path: str
    file: str
    body: bytes
    content_type: str

    @property
    def headers(self) -> list[tuple[str, str]]:
        return [
            ("Content-Type", self.content_type),
            ("Cache-Control", CACHE_CONTROL),
            ("X-Content-Type-Options", "nosniff"),
        ]


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = FETCHED.get(tag, ())
        if tag == "link" and any(k == "rel" and (v or "").lower() == "alternate" for k, v in attrs):
            return  # feeds are documents of their own, published as such
        for name, value in attrs:
            if name in wanted and value:
                if name == "srcset":
                    self.urls += [part.split()[0] for part in value.split(",") if part.strip()]
                else:
                    self.urls.append(value)


def html_references(html: str) -> list[str]:
    """The addresses a browser fetches to show ``html``: stylesheets, icons, scripts, images."""
    parser = _References()
    parser.feed(html)
    parser.close()
    return parser.urls


def css_references(css: str, css_path: str) -> list[str]:
    """``url()`` and ``@import`` targets of a stylesheet, as absolute paths."""
    found = [m.group(2) or m.group(4) for m in CSS_REFERENCE.finditer(css)]
    return [urljoin(css_path, ref) for ref in found if not ref.startswith(("data:", "#"))]


def static_path(url: str) -> tuple[str, str] | None:
    """The URL path and staticfiles name of a same-site ``STATIC_URL`` address; None for anything else.

    None too for a name with "..", "." or empty segments: no template links one, and it
    would be a way out of the publish folder.
    """
    parts = urlsplit(url)
    prefix = settings.STATIC_URL
    if parts.scheme or parts.netloc or not prefix.startswith("/") or not parts.path.startswith(prefix):
        return None
    name = unquote(parts.path[len(prefix) :])
    segments = name.split("/")
    if "\\" in name or "\x00" in name or any(s in ("", ".", "..") for s in segments):
        return None
    return parts.path, name


def _read(name: str) -> bytes | None:
    try:
        found = finders.find(name)
        if isinstance(found, str):
            return Path(found).read_bytes()
        if staticfiles_storage.exists(name):
            with staticfiles_storage.open(name) as handle:
                return bytes(handle.read())
    except (SuspiciousFileOperation, OSError):
        return None
    return None


def content_type(name: str) -> str:
    media_type = _MEDIA_TYPES.get_type(name)
    return f"{media_type}; charset={CHARSET}" if media_type.startswith("text/") else media_type


def collect(pages: list[bytes]) -> list[Asset]:
    """Every static file the pages need, each once, stylesheets followed to the files they load."""
    pending = [url for page in pages for url in html_references(page.decode("utf-8", "replace"))]
    assets: dict[str, Asset] = {}
    while pending:
        found = static_path(pending.pop(0))
        if found is None or found[0] in assets:
            continue
        path, name = found
        body = _read(name)
        if body is None:
            # The desk's own port answers 404 for it too; the rest of the page is still worth publishing.
            logger.warning("status publish: %s is linked but no static file is found for it", path)
            continue
        asset = Asset(path=path, file=path.lstrip("/"), body=body, content_type=content_type(name))
        assets[path] = asset
        if asset.content_type.startswith("text/css"):
            pending += css_references(body.decode("utf-8", "replace"), path)
    return list(assets.values())
