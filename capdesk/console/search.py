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
# Hits shown at most; and how many hits per table are ranked to choose them. Ranking every
# hit of a common word means scoring millions of rows at a million tickets; then the newest
# are what an agent searching a live desk is after. A search with fewer hits is ranked whole.
HIT_LIMIT = 200
CANDIDATES = 2000
# PostgreSQL recomputes to_tsvector for each row it filters or ranks (the GIN index is on the
# expression; no stored vector), about 100 µs a row on a busy machine: for a common word the
# planner walks the primary key backwards testing each message, so it ranks the newest
# HIT_LIMIT hits (2,000 took 0.4-1.9 s at five million messages; a rarer word's are all ranked).
PG_CANDIDATES = HIT_LIMIT
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
    exact = " ".join(f'"{t}"' for t in terms)
    return [
        *_sqlite_table("console_ticket_fts", "rowid", "highlight({fts}, 0, char(2), char(3))", 2.0, exact),
        *_sqlite_table(
            "console_message_fts",
            "(SELECT ticket_id FROM tickets_message WHERE id = {fts}.rowid)",
            "snippet({fts}, 0, char(2), char(3), '…', 16)",
            1.0,
            exact,
        ),
    ]


def _sqlite_table(
    fts: str, ticket: str, fragment: str, weight: float, exact: str
) -> list[tuple[int, str, float]]:
    """Up to ``HIT_LIMIT`` hits in one FTS5 table with their fragments: the best by bm25, or the newest of very many."""
    # Identifiers and expressions come from this module, never from input.
    newest = f"SELECT rowid FROM {fts} WHERE {fts} MATCH %s ORDER BY rowid DESC LIMIT %s"  # noqa: S608
    with connection.cursor() as cursor:
        # A prefix query merges the doclists of every word it starts (seconds for "update*"
        # over five million messages); when the whole last word alone already has more
        # hits than we rank, the prefix could only add more of the same, so it is skipped.
        match = exact
        cursor.execute(newest, [exact, CANDIDATES + 1])
        ids = [row[0] for row in cursor.fetchall()]
        if len(ids) <= CANDIDATES:
            match = exact + "*"
            cursor.execute(newest, [match, CANDIDATES + 1])
            ids = [row[0] for row in cursor.fetchall()]
        if not ids:
            return []
        if len(ids) <= CANDIDATES:
            # bm25() counts the documents of each phrase (its whole doclist) once per query: cheap
            # for a selective search, about a second for a word in half the messages.
            # It is lower for better hits; negated so higher is better, as in PostgreSQL.
            cursor.execute(
                f"SELECT rowid, -bm25({fts}) FROM {fts} WHERE {fts} MATCH %s ORDER BY bm25({fts}) LIMIT %s",  # noqa: S608
                [match, HIT_LIMIT],
            )
            ranked = dict(cursor.fetchall())
        else:
            # Too many hits to score: the newest first (what an agent on a live desk is after).
            ranked = {rowid: 1.0 - i / len(ids) for i, rowid in enumerate(ids[:HIT_LIMIT])}
        # Fragments for the kept rows only: highlight() and snippet() re-read and re-tokenise each
        # text. FTS5 takes the rowid range, which bounds the scan to the candidates; the IN list,
        # written +rowid so SQLite checks it on each row rather than re-running the MATCH once
        # per listed id (200 full scans of a common word's doclist), keeps the fragments few.
        cursor.execute(
            f"SELECT rowid, {ticket.format(fts=fts)}, {fragment.format(fts=fts)} FROM {fts} "  # noqa: S608
            f"WHERE {fts} MATCH %s AND rowid BETWEEN %s AND %s "
            f"AND +rowid IN ({', '.join(['%s'] * len(ranked))})",
            [match, min(ranked), max(ranked), *ranked],
        )
        return [(ticket_id, text, ranked[rowid] * weight) for rowid, ticket_id, text in cursor.fetchall()]


def _postgres(terms: list[str]) -> list[tuple[int, str, float]]:
    # to_tsquery from words we quote ourselves: 'word' & 'other':* (prefix on the last one).
    parts = ["'" + t.replace("'", "''") + "'" for t in terms]
    parts[-1] += ":*"
    tsquery = " & ".join(parts)
    options = (
        f"StartSel={START}, StopSel={STOP}, MaxWords=30, MinWords=12, MaxFragments=1, FragmentDelimiter=…"
    )
    rows: list[tuple[int, str, float]] = []
    with connection.cursor() as cursor:
        for sql in (_PG_SUBJECTS, _PG_MESSAGES):
            cursor.execute(sql, [options, tsquery, PG_CANDIDATES, HIT_LIMIT])
            rows += cursor.fetchall()
    return rows


# Ranked among the newest PG_CANDIDATES hits (by id, from the GIN index or, for a very common
# word, from the primary key backwards), then cut to HIT_LIMIT before ts_headline, which
# is costly. The to_tsvector expressions repeat the GIN indexes' (search_index) verbatim.
_PG_SUBJECTS = (
    "SELECT h.id, ts_headline('simple', h.subject, h.q, %s), h.rank * 2 FROM ("
    "  SELECT c.id, c.subject, c.q, ts_rank(to_tsvector('simple', c.subject), c.q) AS rank FROM ("
    "    SELECT t.id, t.subject, q FROM tickets_ticket t, to_tsquery('simple', %s) q"
    "    WHERE to_tsvector('simple', t.subject) @@ q ORDER BY t.id DESC LIMIT %s"
    "  ) c ORDER BY rank DESC LIMIT %s"
    ") h"
)
_PG_MESSAGES = (
    "SELECT h.ticket_id, ts_headline('simple', h.body_text, h.q, %s), h.rank FROM ("
    "  SELECT c.ticket_id, c.body_text, c.q, ts_rank(to_tsvector('simple', c.body_text), c.q) AS rank FROM ("
    "    SELECT m.ticket_id, m.body_text, q FROM tickets_message m, to_tsquery('simple', %s) q"
    "    WHERE to_tsvector('simple', m.body_text) @@ q ORDER BY m.id DESC LIMIT %s"
    "  ) c ORDER BY rank DESC LIMIT %s"
    ") h"
)
