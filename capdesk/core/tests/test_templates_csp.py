"""Templates hold nothing the site's own Content-Security-Policy would refuse in the browser."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import capdesk
from capdesk.core.middleware import CSP

ROOT = Path(capdesk.__file__).parent

# Mail is read in mail clients, not under our CSP, and they need inline styles.
MAIL = re.compile(r"/email/")


class _Refused(HTMLParser):
    """Collects style attributes, event-handler attributes, <style> elements and <script> without src."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if "style" in names:
            self.found.append(f"<{tag} style=...>")
        self.found.extend(f"<{tag} {name}=...>" for name in names if name.startswith("on"))
        if tag == "style":
            self.found.append("<style> element")
        if tag == "script" and "src" not in names:
            self.found.append("inline <script>")


def _pages() -> list[Path]:
    return sorted(
        p
        for p in ROOT.rglob("templates/**/*.html")
        if ".venv" not in p.parts and not MAIL.search(p.as_posix())
    )


def _refused(path: Path) -> list[str]:
    parser = _Refused()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.found


def test_it_has_a_csp_that_refuses_inline_styles_and_scripts() -> None:
    # The premise of the other tests: if the policy ever allowed 'unsafe-inline', they would guard nothing.
    assert "style-src 'self';" in CSP and "script-src 'self';" in CSP
    assert "unsafe-inline" not in CSP


def test_it_finds_no_inline_style_or_script_in_any_page_template() -> None:
    pages = _pages()
    assert len(pages) > 40  # the walk really found the apps' templates
    offenders = {p.relative_to(ROOT).as_posix(): found for p in pages if (found := _refused(p))}
    assert offenders == {}


def test_it_would_notice_a_style_attribute_or_an_inline_script(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        '<div class="card" style="margin:0"><script>alert(1)</script><script src="/a.js"></script>'
    )
    assert _refused(page) == ["<div style=...>", "inline <script>"]
