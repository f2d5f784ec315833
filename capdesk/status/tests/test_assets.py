"""The static files a published page needs, found from its HTML and stylesheets with Django's finders."""

from __future__ import annotations

from pathlib import Path

import pytest

from capdesk.status import assets

PAGE = b"""<!doctype html><html><head>
<link rel="stylesheet" href="/static/walk/site.css">
<link rel="icon" href="/static/walk/icon.svg">
<link rel="alternate" type="application/atom+xml" href="/history.atom">
<link rel="stylesheet" href="https://cdn.example.com/static/walk/site.css">
<link rel="stylesheet" href="/static/walk/../../settings.py">
<link rel="stylesheet" href="/static/walk/missing.css">
<script src="/static/walk/app.js?v=2"></script>
</head><body><img srcset="/static/walk/logo.png 1x, /static/walk/logo.png 2x" alt="">
<a href="/static/walk/not-fetched.css">a link, not an asset</a></body></html>"""


@pytest.fixture
def static_dir(tmp_path: Path, settings) -> Path:
    root = tmp_path / "static"
    walk = root / "walk"
    (walk / "fonts").mkdir(parents=True)
    (walk / "site.css").write_text(
        '@import "more.css";\nbody { font-family: x; src: url("fonts/x.woff2") }\n'
        ".i { background: url(data:image/png;base64,AAAA) } .j { background: url(#frag) }\n"
    )
    (walk / "more.css").write_text(".k { background: url('../walk/logo.png') }")
    (walk / "fonts" / "x.woff2").write_bytes(b"wOF2")
    (walk / "icon.svg").write_text("<svg/>")
    (walk / "app.js").write_text("console.log(1)")
    (walk / "logo.png").write_bytes(b"\x89PNG")
    (walk / "not-fetched.css").write_text("")
    settings.STATICFILES_DIRS = [root]  # Django clears the finders' cache when this changes
    return root


def test_it_collects_what_the_page_and_its_stylesheets_load_and_nothing_else(static_dir: Path) -> None:
    found = {a.path: a for a in assets.collect([PAGE])}
    assert set(found) == {
        "/static/walk/site.css",
        "/static/walk/more.css",
        "/static/walk/fonts/x.woff2",
        "/static/walk/icon.svg",
        "/static/walk/app.js",
        "/static/walk/logo.png",
    }
    assert found["/static/walk/site.css"].file == "static/walk/site.css"
    assert found["/static/walk/site.css"].body == (static_dir / "walk" / "site.css").read_bytes()
    assert {path: a.content_type for path, a in found.items()} == {
        "/static/walk/site.css": "text/css; charset=utf-8",
        "/static/walk/more.css": "text/css; charset=utf-8",
        "/static/walk/fonts/x.woff2": "font/woff2",
        "/static/walk/icon.svg": "image/svg+xml",
        "/static/walk/app.js": "text/javascript; charset=utf-8",
        "/static/walk/logo.png": "image/png",
    }


@pytest.mark.parametrize(
    "url",
    [
        "/static/../settings.py",
        "/static/walk/../../settings.py",
        "/static/%2e%2e/settings.py",
        "/static//etc/passwd",
        "/static/walk/./site.css",
        "https://cdn.example.com/static/walk/site.css",
        "//cdn.example.com/static/walk/site.css",
        "/status/",
        "/static/",
    ],
)
def test_it_refuses_addresses_that_are_not_plain_static_names(url: str) -> None:
    assert assets.static_path(url) is None


def test_it_finds_the_status_pages_own_stylesheets_through_the_finders(db) -> None:
    names = {a.path for a in assets.collect([b'<link rel="stylesheet" href="/static/status/status.css">'])}
    assert names == {"/static/status/status.css"}
