"""The status page's public documents written as files on every change, for a server that only reads.

Render on change, not per request: each document is fetched once through the desk's own
views (so the bytes and headers are exactly what the dynamic page serves) and written
into a folder that `capdesk status-serve`, nginx or a CDN sync serves as is. Each file
is replaced atomically (temp file + ``os.replace``) and ``manifest.json``, which says
which version, content type, ETag and headers each path has, is replaced last: a reader
that follows the manifest never sees a version it does not describe. The static files
the pages link (stylesheets and the like, capdesk/status/assets.py) are copied in under
their URLs, so the folder is a whole site.

Publishes are coalesced: every change enqueues one, and a publish that finds the
folder already at the database's version does nothing, so a burst of ten updates costs
one or two renders. The scheduler republishes every minute as a safety net (and for the
uptime bars, which move with the clock); unchanged files are not rewritten.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.test import Client
from django.utils import timezone

from capdesk.core.translations import other_languages
from capdesk.status import assets, page_data, v2
from capdesk.status.config import in_language

MANIFEST = "manifest.json"
FORMAT = 1
# Pages translated per language; every other document is the same bytes for everyone.
LOCALISED = ("/status/", "/status/history/")
# Feeds in the default language for everyone, and in another only when their URL asks
# (``?lang=id``, status.feeds): published once per language, never negotiated.
FEEDS = ("/history.atom", "/history.rss", "/maintenance.ics")
FIXED = (
    *(f"/api/v2/{name}.json" for name in v2.DOCUMENTS),
    "/status.json",
    *FEEDS,
)
# Per-response headers a static server makes itself; everything else is kept as the view sent it.
DROPPED_HEADERS = {"content-length", "date", "server", "set-cookie", "etag"}


@dataclass(frozen=True)
class Document:
    path: str
    # "" for a document that is not translated, or a feed's default copy; a feed's copy in
    # another language is served only for its ``?lang=`` (server.choose).
    language: str
    file: str
    content_type: str
    etag: str
    headers: list[tuple[str, str]]


@dataclass(frozen=True)
class Manifest:
    version: int
    updated_at: str
    published_at: str
    documents: list[Document]


def etag_of(body: bytes) -> str:
    """The same strong ETag the dynamic views send (capdesk/status/snapshot.py)."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def publish_dir() -> Path:
    return Path(settings.CAPDESK_STATUS_PUBLISH_DIR)


def languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def file_name(path: str, language: str) -> str:
    """Where a path lives in the folder: ``/status/`` is ``status/index.html`` (English, the default).

    Another language goes before the extension: ``status/index.id.html``, ``history.id.atom``.
    """
    name = path.lstrip("/")
    other = bool(language) and language != settings.LANGUAGE_CODE
    if name.endswith("/") or not name:
        stem = name + "index"
        return f"{stem}.{language}.html" if other else stem + ".html"
    if other:
        stem, dot, extension = name.rpartition(".")
        return f"{stem}.{language}.{extension}" if dot else f"{name}.{language}"
    return name


def read_manifest(directory: Path) -> Manifest | None:
    try:
        raw: dict[str, Any] = json.loads((directory / MANIFEST).read_bytes())
    except (OSError, ValueError):
        return None
    if raw.get("format") != FORMAT:
        return None
    documents = [
        Document(
            path=d["path"],
            language=d["language"],
            file=d["file"],
            content_type=d["content_type"],
            etag=d["etag"],
            headers=[(k, v) for k, v in d["headers"]],
        )
        for d in raw["documents"]
    ]
    return Manifest(int(raw["version"]), raw["updated_at"], raw["published_at"], documents)


def _client() -> Client:
    base = urlsplit(settings.BASE_URL)
    host = base.netloc or "127.0.0.1"
    return Client(HTTP_HOST=host, secure=base.scheme == "https")


def _fetch(client: Client, path: str, language: str) -> tuple[bytes, Document]:
    # Accept-Language picks the language as LocaleMiddleware does for a reader; English for the rest.
    # A feed reads only its URL's ?lang=.
    url = in_language(path, language) if path in FEEDS else path
    response = client.get(url, headers={"accept-language": language or settings.LANGUAGE_CODE})
    if response.status_code != 200:
        raise RuntimeError(f"{path} answered {response.status_code} while publishing")
    body = bytes(response.content)
    headers = [(k, v) for k, v in response.headers.items() if k.lower() not in DROPPED_HEADERS]
    doc = Document(
        path=path,
        language=language,
        file=file_name(path, language),
        content_type=response.headers["Content-Type"],
        etag=response.headers.get("ETag") or etag_of(body),
        headers=headers,
    )
    return body, doc


def render_all() -> list[tuple[bytes, Document]]:
    """Every public document, fetched through the views as a reader would, and the files the pages link.

    The documents share their rows, uptime bars and incidents (page_data.shared): each
    language's page, /status.json and the history pages read them once per version.
    """
    client = _client()
    with page_data.shared():
        rendered = [_fetch(client, path, language) for path in LOCALISED for language in languages()]
        rendered += [_fetch(client, path, "") for path in FIXED]
        rendered += [_fetch(client, path, language) for path in FEEDS for language in other_languages()]
    return rendered + _assets(rendered)


def _assets(rendered: list[tuple[bytes, Document]]) -> list[tuple[bytes, Document]]:
    """The stylesheets (and any icon, font, script or image) the pages link, under the same URLs.

    Without them a server that only has this folder serves the page unstyled.
    """
    pages = [body for body, doc in rendered if doc.content_type.startswith("text/html")]
    taken = {doc.file for _body, doc in rendered} | {MANIFEST}
    found = []
    for asset in assets.collect(pages):
        if asset.file in taken:  # a STATIC_URL of "/" or "/status/" must not overwrite a page
            continue
        doc = Document(asset.path, "", asset.file, asset.content_type, etag_of(asset.body), asset.headers)
        found.append((asset.body, doc))
    return found


def _write_atomically(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, 0o644)  # readable by nginx's workers, like any static file
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """One publisher per folder at a time (several workers may run the task at once)."""
    with open(directory / ".publish.lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _manifest_json(version: int, updated_at: str, documents: list[Document]) -> bytes:
    doc = {
        "format": FORMAT,
        "version": version,
        "updated_at": updated_at,
        "published_at": timezone.now().isoformat(),
        "documents": [
            {
                "path": d.path,
                "language": d.language,
                "file": d.file,
                "content_type": d.content_type,
                "etag": d.etag,
                "headers": [list(h) for h in d.headers],
            }
            for d in documents
        ],
    }
    return json.dumps(doc, indent=1, ensure_ascii=False).encode()


def publish(directory: Path | None = None, *, only_if_behind: bool = False) -> int | None:
    """Write every document at the current version; the version written, or None when skipped.

    ``only_if_behind``: skip when the folder already holds the database's version (the
    coalescing rule for the per-change task). Otherwise render, and rewrite only the files
    whose bytes changed, and the manifest only if anything did.
    """
    folder = directory or publish_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with _locked(folder):
        state = v2.page_state()
        updated_at = state.updated_at.isoformat()
        previous = read_manifest(folder)
        same_version = previous is not None and (previous.version, previous.updated_at) == (
            state.version,
            updated_at,
        )
        if only_if_behind and same_version:
            return None
        rendered = render_all()
        changed = False
        for body, doc in rendered:
            target = folder / doc.file
            try:
                unchanged = target.read_bytes() == body
            except OSError:
                unchanged = False
            if not unchanged:
                _write_atomically(target, body)
                changed = True
        documents = [doc for _body, doc in rendered]
        if changed or not same_version or previous is None or previous.documents != documents:
            _write_atomically(folder / MANIFEST, _manifest_json(state.version, updated_at, documents))
        return state.version


def published_version(directory: Path | None = None) -> int | None:
    manifest = read_manifest(directory or publish_dir())
    return manifest.version if manifest else None
