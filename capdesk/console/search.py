"""Full-text search over ticket subjects and messages, with the matching words marked.

Pure SQL on purpose: the PostgreSQL expressions must match the GIN indexes in
``search_index`` character for character, and FTS5's MATCH, snippet() and bm25() have
no ORM spelling. The query is reduced to words first, so no search syntax (quotes,
NEAR, column filters, a stray ``-``) ever reaches either engine from an agent's box.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Control characters mark hits inside the engine's output; the text is HTML-escaped
# afterwards and only these markers become <mark>, so a message can't inject markup.
START, STOP = "\x02", "\x03"
HIT_LIMIT = 500
WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Hit:
    ticket_id: int
    snippet: SafeString
    rank: float


def words(query: str) -> list[str]:
    return WORD.findall(query.lower())[:12]


def highlight(fragment: str) -> SafeString:
    """The engine's fragment, escaped, with its hit markers turned into <mark> elements."""
    clean = escape(fragment)
    marked = clean.replace(START, "<mark>").replace(STOP, "</mark>")
    # A marker the text itself contained may leave one unbalanced; close it.
    if marked.count("<mark>") > marked.count("</mark>"):
        marked += "</mark>"
    return mark_safe(marked)  # noqa: S308 - escaped above; only our own markers became tags


def search(query: str) -> list[Hit]:
    """The best hit per ticket, best first: every word must appear in the subject or in one message."""
    terms = words(query)
    if not terms:
        return []
    rows = _sqlite(terms) if connection.vendor == "sqlite" else _postgres(terms)
    best: dict[int, Hit] = {}
    for ticket_id, fragment, rank in rows:
        hit = Hit(ticket_id=ticket_id, snippet=highlight(fragment or ""), rank=float(rank))
        if ticket_id not in best or hit.rank > best[ticket_id].rank:
            best[ticket_id] = hit
    return sorted(best.values(), key=lambda h: -h.rank)


def _sqlite(terms: list[str]) -> list[tuple[int, str, float]]:
    # Each word quoted (a literal token, never an operator); the last one also as a prefix,
    # so "rollb" already finds "rollback" while the agent types.
    quoted = [f'"{t}"' for t in terms]
    quoted[-1] = f"{quoted[-1]}*"
    match = " ".join(quoted)
    with connection.cursor() as cursor:
        # bm25() is lower for better hits; negate it so higher is better, as in PostgreSQL.
        cursor.execute(
            "SELECT rowid, highlight(console_ticket_fts, 0, char(2), char(3)), -bm25(console_ticket_fts) * 2 "
            "FROM console_ticket_fts WHERE console_ticket_fts MATCH %s ORDER BY bm25(console_ticket_fts) LIMIT %s",
            [match, HIT_LIMIT],
        )
        subjects = cursor.fetchall()
        cursor.execute(
            "SELECT m.ticket_id, snippet(console_message_fts, 0, char(2), char(3), '…', 16), "
            "-bm25(console_message_fts) FROM console_message_fts "
            "JOIN tickets_message m ON m.id = console_message_fts.rowid "
            "WHERE console_message_fts MATCH %s ORDER BY bm25(console_message_fts) LIMIT %s",
            [match, HIT_LIMIT],
        )
        messages = cursor.fetchall()
    return [*subjects, *messages]


def _postgres(terms: list[str]) -> list[tuple[int, str, float]]:
    # to_tsquery from words we quote ourselves: 'word' & 'other':* (prefix on the last one).
    parts = ["'" + t.replace("'", "''") + "'" for t in terms]
    parts[-1] += ":*"
    tsquery = " & ".join(parts)
    options = (
        f"StartSel={START}, StopSel={STOP}, MaxWords=30, MinWords=12, MaxFragments=1, FragmentDelimiter=…"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.id, ts_headline('simple', t.subject, q, %s), "
            "ts_rank(to_tsvector('simple', t.subject), q) * 2 "
            "FROM tickets_ticket t, to_tsquery('simple', %s) q "
            "WHERE to_tsvector('simple', t.subject) @@ q ORDER BY 3 DESC LIMIT %s",
            [options, tsquery, HIT_LIMIT],
        )
        subjects = cursor.fetchall()
        # Rank first, then cut short: ts_headline is costly, so it runs on the kept rows only.
        cursor.execute(
            "SELECT h.ticket_id, ts_headline('simple', h.body_text, h.q, %s), h.rank FROM ("
            "  SELECT m.ticket_id, m.body_text, q, ts_rank(to_tsvector('simple', m.body_text), q) AS rank"
            "  FROM tickets_message m, to_tsquery('simple', %s) q"
            "  WHERE to_tsvector('simple', m.body_text) @@ q ORDER BY rank DESC LIMIT %s"
            ") h",
            [options, tsquery, HIT_LIMIT],
        )
        messages = cursor.fetchall()
    return [*subjects, *messages]
