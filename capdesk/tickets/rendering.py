"""Turn what people write into safe HTML: Markdown for typed replies, sanitised HTML from email."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

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
# People type replies as they type email: a line break is a line break (``breaks``, as
# GitHub's comments read them), and a bare URL is a link (``linkify``, sanitised below
# like any link).
_MARKDOWN = (
    MarkdownIt("js-default", {"highlight": _highlight, "linkify": True, "breaks": True})
    .enable("table")
    .enable("linkify")
)
# Only what says it is an address (a scheme, or www.): app ids such as com.acme.shop read as
# domain names, and must stay text.
assert _MARKDOWN.linkify is not None  # set by the "linkify" option
_MARKDOWN.linkify.set({"fuzzy_link": False})


def sanitise(fragment: str) -> str:
    """Sanitise HTML with Ammonia: no scripts, styles, event handlers or remote tricks."""
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "cid"},
        link_rel="noopener noreferrer nofollow",
    )


# nh3 writes every attribute double-quoted with ``"``, ``<`` and ``>`` escaped, so one
# element is ``<img`` up to the next ``>`` and each attribute is name="value".
IMG_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r'([a-zA-Z-]+)="([^"]*)"')
# Marks where an email's remote image was; shown as a translated placeholder
# (tickets.message_body) and as its alt text or host anywhere else.
REMOTE_IMAGE_CLASS = "remote-image"


def img_attributes(tag: str) -> dict[str, str]:
    """The unescaped attributes of one ``<img>`` element as nh3 wrote it."""
    return {name.lower(): html.unescape(value) for name, value in _ATTRIBUTE.findall(tag)}


def _drop_remote_image(match: re.Match[str]) -> str:
    attributes = img_attributes(match.group(0))
    src = attributes.get("src", "")
    # Only the mail's own parts (cid:) stay. Anything else loads from elsewhere: a remote
    # host (a tracking pixel; "//host/x" too), or, for a relative src, the desk itself,
    # with the reader's cookies.
    if src.lower().startswith("cid:"):
        return match.group(0)
    what = attributes.get("alt", "").strip() or urlsplit(src).hostname or src[:80]
    return f'<span class="{REMOTE_IMAGE_CLASS}">{html.escape(what)}</span>'


def sanitise_email(fragment: str) -> str:
    """Sanitise an email's HTML, and drop its remote images: nothing stored can fetch a tracking pixel.

    Each becomes a mark holding its alt text or host, which the message body shows as
    "[remote image not loaded: ...]" in the reader's language. Inline ``cid:`` images
    stay: they are the mail's own parts, shown from the desk at display time.
    """
    return IMG_TAG.sub(_drop_remote_image, sanitise(fragment))


def prose(text: str) -> list[str]:
    """What the reader of ``text`` rendered as Markdown reads as words, not code: the text
    and link targets, without code blocks (fenced or indented) and code spans (any backticks)."""
    pieces: list[str] = []
    for token in _MARKDOWN.parse(text):
        for child in token.children or ():
            if child.type == "text":
                pieces.append(child.content)
            elif child.type in ("link_open", "image"):
                pieces.extend(str(v) for k, v in (child.attrs or {}).items() if k in ("href", "src"))
    return pieces


def render_markdown(text: str) -> str:
    # Agents' and customers' typed Markdown keeps its remote images: an agent's picture
    # from the docs is meant to reach the customer's mail client. The desk's own pages
    # still never load them (CSP img-src 'self').
    return sanitise(_MARKDOWN.render(text))


def render_plain(text: str) -> str:
    """Plain text (an email body) shown as-is, line breaks kept."""
    return f'<div class="plain">{html.escape(text)}</div>'
