"""Fold the quoted history of a reply out of sight, keeping it one click away.

Replies carry the whole conversation below the new text. The full text is stored as
it arrived; only the rendering hides the trailing quote behind a <details> toggle.
Only a *trailing* quote is folded: text written between quoted lines (an inline
answer) stays visible, and a message that is nothing but a quote is shown whole.
"""

from __future__ import annotations

import html
import re

from capdesk.tickets.rendering import render_plain

# "On Tue, 24 Nov 2026 at 09:15, Dewi <dewi@acme.test> wrote:" (Gmail, Apple Mail,
# Thunderbird), and Gmail's Indonesian "Pada tanggal Sel, 24 Nov 2026 pukul 09.15 Dewi
# <...> menulis:". Clients wrap a long attribution, so up to three lines are joined.
_ATTRIBUTION = re.compile(r"^\s*(on|pada)\b.{0,300}\b(wrote|menulis)\s*:\s*$", re.IGNORECASE | re.DOTALL)
# Outlook puts no ">" before the old message, only a separator and a header block.
_OUTLOOK = re.compile(
    r"^\s*(-{2,}\s*(original message|pesan asli|pesan awal)\s*-{2,}|_{20,})\s*$", re.IGNORECASE
)
_HEADER_LINE = re.compile(r"^\s*(from|dari)\s*:", re.IGNORECASE)
# Where the quoted part of HTML mail starts: Gmail's quote block, Apple Mail and
# Thunderbird's cited blockquote, Outlook's reply header.
_HTML_QUOTE = re.compile(
    r"<div[^>]*class=\"[^\"]*gmail_quote[^\"]*\"|<blockquote[^>]*type=\"cite\"|<div[^>]*id=\"(divRplyFwdMsg|appendonsend)\"",
    re.IGNORECASE,
)


def _outlook_start(lines: list[str]) -> int | None:
    for i, line in enumerate(lines):
        if _OUTLOOK.match(line):
            # A bare underscore rule is Outlook's only when a "From:" header follows it.
            if line.strip().startswith("_") and not any(_HEADER_LINE.match(x) for x in lines[i + 1 : i + 3]):
                continue
            return i
    return None


def _trailing_quote_start(lines: list[str]) -> int | None:
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    start = end
    while start and (lines[start - 1].lstrip().startswith(">") or not lines[start - 1].strip()):
        start -= 1
    if not any(line.lstrip().startswith(">") for line in lines[start:end]):
        return None
    before = start
    while before and not lines[before - 1].strip():
        before -= 1
    for span in (1, 2, 3):
        if before - span >= 0 and _ATTRIBUTION.match(" ".join(lines[before - span : before])):
            return before - span
    return start


def split_text(text: str) -> tuple[str, str]:
    """(visible, quoted): the new text, and the trailing quoted history ("" when there is none)."""
    lines = text.splitlines()
    cut = _outlook_start(lines)
    if cut is None:
        cut = _trailing_quote_start(lines)
    if cut is None:
        return text, ""
    visible = "\n".join(lines[:cut]).rstrip()
    if not visible.strip():
        return text, ""
    return visible, "\n".join(lines[cut:]).strip("\n")


def split_html(fragment: str) -> tuple[str, str]:
    """(visible, quoted) for raw HTML mail, cut where a client's quote block begins.

    Cut before sanitising, since the sanitiser drops the class and id that mark the
    quote; each half is then sanitised on its own (the sanitiser closes what the cut left open).
    """
    match = _HTML_QUOTE.search(fragment)
    if match is None:
        return fragment, ""
    visible, quoted = fragment[: match.start()], fragment[match.start() :]
    if not re.sub(r"<[^>]*>|&nbsp;|\s", "", visible):
        return fragment, ""
    return visible, quoted


def fold(visible_html: str, quoted_html: str) -> str:
    """The visible part, then the quoted part inside a closed <details> (no script needed)."""
    if not quoted_html:
        return visible_html
    return (
        f'{visible_html}<details class="quoted"><summary>{html.escape("Show quoted text")}</summary>'
        f"{quoted_html}</details>"
    )


def render_plain_folded(text: str) -> str:
    """Plain-text mail as HTML, its trailing quoted history folded."""
    visible, quoted = split_text(text)
    return fold(render_plain(visible), render_plain(quoted) if quoted else "")


def fold_forwarded(filename: str, headers: list[tuple[str, str]], body_html: str) -> str:
    """A message forwarded as an attachment: who, when and what in sight, its text folded like quoted history.

    ``body_html`` must already be safe (render_plain, or this function's own output for a
    forward inside the forward); the header values are escaped here.
    """
    lines = "".join(f"<br>{html.escape(name)}: {html.escape(value)}" for name, value in headers if value)
    return (
        f'<div class="forwarded"><p><strong>{html.escape("Forwarded message")}</strong>'
        f"{f' ({html.escape(filename)})' if filename else ''}{lines}</p>"
        f'<details class="quoted"><summary>{html.escape("Show forwarded text")}</summary>{body_html}</details>'
        "</div>"
    )
