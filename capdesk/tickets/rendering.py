"""Turn what people write into safe HTML: Markdown for typed replies, sanitised HTML from email."""

from __future__ import annotations

import html

import nh3
from markdown_it import MarkdownIt
from pygments import highlight  # type: ignore[import-untyped]
from pygments.formatters import HtmlFormatter  # type: ignore[import-untyped]
from pygments.lexers import TextLexer, get_lexer_by_name  # type: ignore[import-untyped]
from pygments.util import ClassNotFound  # type: ignore[import-untyped]

_FORMATTER = HtmlFormatter(nowrap=True)

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "div", "em", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "img", "li", "ol", "p", "pre", "span", "strong", "sub", "sup", "table", "tbody",
    "td", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"alt", "title", "src"},
    "span": {"class"},
    "code": {"class"},
    "pre": {"class"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}


def _highlight(code: str, lang: str, _attrs: str) -> str:
    try:
        lexer = get_lexer_by_name(lang) if lang else TextLexer()
    except ClassNotFound:
        lexer = TextLexer()
    return f'<pre class="highlight"><code>{highlight(code, lexer, _FORMATTER)}</code></pre>'


# "js-default" disables raw HTML in Markdown: a customer cannot inject markup by typing it.
_MARKDOWN = MarkdownIt("js-default", {"highlight": _highlight, "linkify": False}).enable("table")


def sanitise(fragment: str) -> str:
    """Sanitise HTML with Ammonia: no scripts, styles, event handlers or remote tricks."""
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "cid"},
        link_rel="noopener noreferrer nofollow",
    )


def render_markdown(text: str) -> str:
    return sanitise(_MARKDOWN.render(text))


def render_plain(text: str) -> str:
    """Plain text (an email body) shown as-is, line breaks kept."""
    return f'<div class="plain">{html.escape(text)}</div>'
