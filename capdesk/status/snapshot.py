"""Rendered documents, cached until the page version moves: render on change, not per request.

During an outage the page and its JSON are read far more often than they change. Every
action bumps ``PageState.version``; a request costs one small query to read it, and the
body is built only when no copy for that version is cached. Documents that also depend
on the clock (uptime, the page's bars) add a one-minute bucket to their key.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache

from capdesk.status import v2

KEEP_SECONDS = 3600
CLOCK_BUCKET_SECONDS = 60
# When the version moves, every request in flight misses at once; without a lock each
# web thread renders the same page (about 40 ms of the GIL apiece), and under one
# update a second the page served a third of its quiet rate (bench/status_bench.py).
# Striped locks: one thread per key builds, the others wait and read its copy.
_BUILD_LOCKS = [threading.RLock() for _ in range(64)]  # re-entrant: a build may read another document


@dataclass(frozen=True)
class Rendered:
    body: bytes
    etag: str


def _key(*parts: object) -> str:
    return "status:" + ":".join(str(p) for p in parts)


def rendered(name: str, build: Callable[[], bytes], *, clock: bool = False, variant: str = "") -> Rendered:
    """The cached body for ``name`` at the current version, building it on a miss."""
    state = v2.page_state()
    bucket = int(time.time() // CLOCK_BUCKET_SECONDS) if clock else 0
    # updated_at too: a restored database may reuse a version number a shared cache still holds.
    key = _key(name, variant, state.version, state.updated_at.timestamp(), bucket)
    hit = cache.get(key)
    if isinstance(hit, Rendered):
        return hit
    with _BUILD_LOCKS[hash(key) % len(_BUILD_LOCKS)]:
        hit = cache.get(key)  # another thread may have built it while this one waited
        if isinstance(hit, Rendered):
            return hit
        body = build()
        result = Rendered(body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')
        cache.set(key, result, KEEP_SECONDS)
        return result


def dump(doc: object) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


def v2_document(name: str, strict: bool) -> Rendered:
    build = v2.DOCUMENTS[name]
    return rendered(f"v2:{name}", lambda: dump(build(strict)), variant=f"strict={int(strict)}")
