"""Full-text search over ticket subjects and messages, with the matching words marked.

Pure SQL on purpose: the PostgreSQL expressions must match the GIN indexes in
``search_index`` character for character, and FTS5's MATCH, snippet() and bm25() have
no ORM spelling. The query is reduced to words first, so no search syntax (quotes,
NEAR, column filters, a stray ``-``) ever reaches either engine from an agent's box.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Control characters mark hits inside the engine's output; the text is HTML-escaped
# afterwards and only these markers become <mark>, so a message can't inject markup.
START, STOP = "\x02", "\x03"
# Hits kept per table, best first; and how many hits per table are ranked to choose them. Ranking every
# hit of a common word means scoring millions of rows at a million tickets; then the newest
# are what an agent searching a live desk is after. A search with fewer hits is ranked whole.
HIT_LIMIT = 200
CANDIDATES = 2000
# PostgreSQL: for common words the planner walks the primary key backwards testing each
# row, so it ranks only the newest HIT_LIMIT hits (a rarer word's hits are all ranked, from
# the GIN index). Messages test a stored vector (search_index); subjects recompute theirs,
# 25-100 µs a row. Not fewer than 200: at a LIMIT of 100 the planner chose that backwards walk
# for a word with 80 hits and tested all five million messages (50 s with the recomputed vector).
PG_CANDIDATES = HIT_LIMIT
WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Hit:
    """A ticket found, by its best-ranked match: its subject (``ticket``) or one of its messages."""

    ticket_id: int
    rank: float
    source: str  # "ticket" or "message"
    rowid: int  # the ticket's or the message's id
    match: str  # the engine's query that found it, for its fragment


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


def find(query: str, queue_ids: Sequence[int] | None = None) -> list[Hit]:
    """The best hit per ticket, best first: every word must appear in the subject or in one message.

    ``queue_ids`` keeps only tickets of those queues (an agent restricted to them:
    ``tickets.scoping.agent_queue_ids``), inside the engine's query: filtered afterwards,
    the desk's newest and best hits would fill the cap and hide every hit in their queues.
    Ranking only: the fragments are made by ``fragments`` for the hits a page shows, as
    they re-read and re-tokenise each text (PostgreSQL's ts_headline most of all).
    """
    terms = words(query)
    if not terms or (queue_ids is not None and not queue_ids):
        return []
    queues = None if queue_ids is None else sorted(set(queue_ids))
    found = _sqlite(terms, queues) if connection.vendor == "sqlite" else _postgres(terms, queues)
    best: dict[int, Hit] = {}
    for hit in found:
        if hit.ticket_id not in best or hit.rank > best[hit.ticket_id].rank:
            best[hit.ticket_id] = hit
    return sorted(best.values(), key=lambda h: -h.rank)


def fragments(hits: list[Hit]) -> dict[int, SafeString]:
    """Each hit's text around its matched words, marked, by ticket id."""
    texts: dict[tuple[str, int], str] = {}
    for source in ("ticket", "message"):
        chosen = [h for h in hits if h.source == source]
        if chosen:
            read = _sqlite_fragments if connection.vendor == "sqlite" else _postgres_fragments
            texts |= {(source, rowid): text for rowid, text in read(source, chosen)}
    return {h.ticket_id: highlight(texts.get((h.source, h.rowid)) or "") for h in hits}


def _by_match(hits: list[Hit]) -> dict[str, list[int]]:
    """The hits' row ids by the engine query that found them: one fragment query per query."""
    grouped: dict[str, list[int]] = {}
    for h in hits:
        grouped.setdefault(h.match, []).append(h.rowid)
    return grouped


def search(query: str) -> list[tuple[Hit, SafeString]]:
    """Every hit of ``find`` with its fragment: the whole search, where no filter comes between."""
    hits = find(query)
    marked = fragments(hits)
    return [(h, marked[h.ticket_id]) for h in hits]


# --- SQLite: FTS5 ---------------------------------------------------------------------------

_FTS = {"ticket": "console_ticket_fts", "message": "console_message_fts"}
_SQLITE_FRAGMENT = {
    "ticket": "highlight({fts}, 0, char(2), char(3))",
    "message": "snippet({fts}, 0, char(2), char(3), '…', 16)",
}
_WEIGHT = {"ticket": 2.0, "message": 1.0}


def _sqlite(terms: list[str], queues: list[int] | None) -> list[Hit]:
    # Each word quoted (a literal token, never an operator); the last one also as a prefix,
    # so "rollb" already finds "rollback" while the agent types.
    exact = " ".join(f'"{t}"' for t in terms)
    return [*_sqlite_table("ticket", exact, queues), *_sqlite_table("message", exact, queues)]


def _sqlite_scope(source: str, queues: list[int] | None) -> tuple[str, str]:
    """The join and the condition (its parameters are ``queues``) keeping the hits on tickets
    of ``queues``; none for every queue, so an unrestricted search reads the index alone.

    CROSS JOIN keeps the FTS5 table the outer loop, as its MATCH, bm25() and rowid order need.
    """
    if queues is None:
        return "", ""
    fts = _FTS[source]
    join = ""
    ticket_id = f"{fts}.rowid"
    if source == "message":
        join, ticket_id = f" CROSS JOIN tickets_message m ON m.id = {fts}.rowid", "m.ticket_id"
    join += f" CROSS JOIN tickets_ticket t ON t.id = {ticket_id}"
    return join, f" AND t.queue_id IN ({', '.join(['%s'] * len(queues))})"


def _sqlite_table(source: str, exact: str, queues: list[int] | None) -> list[Hit]:
    """Up to ``HIT_LIMIT`` hits in one FTS5 table: the best by bm25, or the newest of very many."""
    fts = _FTS[source]
    join, scope = _sqlite_scope(source, queues)
    within = queues or []
    # Identifiers and expressions come from this module, never from input.
    newest = (
        f"SELECT {fts}.rowid FROM {fts}{join} WHERE {fts} MATCH %s{scope} ORDER BY {fts}.rowid DESC LIMIT %s"  # noqa: S608
    )
    with connection.cursor() as cursor:
        # A prefix query merges the doclists of every word it starts (seconds for "update*"
        # over five million messages); when the whole last word alone already has more
        # hits than we rank, the prefix could only add more of the same, so it is skipped.
        match = exact
        cursor.execute(newest, [exact, *within, CANDIDATES + 1])
        ids = [row[0] for row in cursor.fetchall()]
        if len(ids) <= CANDIDATES:
            match = exact + "*"
            cursor.execute(newest, [match, *within, CANDIDATES + 1])
            ids = [row[0] for row in cursor.fetchall()]
        if not ids:
            return []
        if len(ids) <= CANDIDATES:
            # bm25() counts the documents of each phrase (its whole doclist) once per query: cheap
            # for a selective search, about a second for a word in half the messages.
            # It is lower for better hits; negated so higher is better, as in PostgreSQL.
            cursor.execute(
                f"SELECT {fts}.rowid, -bm25({fts}) FROM {fts}{join} WHERE {fts} MATCH %s{scope} "  # noqa: S608
                f"ORDER BY bm25({fts}) LIMIT %s",
                [match, *within, HIT_LIMIT],
            )
            ranked = dict(cursor.fetchall())
        else:
            # Too many hits to score: the newest first (what an agent on a live desk is after).
            ranked = {rowid: 1.0 - i / len(ids) for i, rowid in enumerate(ids[:HIT_LIMIT])}
        if source == "ticket":
            tickets = {rowid: rowid for rowid in ranked}
        else:
            cursor.execute(
                f"SELECT id, ticket_id FROM tickets_message WHERE id IN ({', '.join(['%s'] * len(ranked))})",  # noqa: S608
                list(ranked),
            )
            tickets = dict(cursor.fetchall())
    weight = _WEIGHT[source]
    return [
        Hit(tickets[rowid], rank * weight, source, rowid, match)
        for rowid, rank in ranked.items()
        if rowid in tickets
    ]


def _sqlite_fragments(source: str, hits: list[Hit]) -> list[tuple[int, str]]:
    fts = _FTS[source]
    fragment = _SQLITE_FRAGMENT[source].format(fts=fts)
    rows: list[tuple[int, str]] = []
    with connection.cursor() as cursor:
        for match, rowids in _by_match(hits).items():
            # highlight() and snippet() re-read and re-tokenise each text, so only the shown
            # rows get one. FTS5 takes the rowid range, which bounds the scan to them; the IN
            # list, written +rowid so SQLite checks it on each row rather than re-running the
            # MATCH once per listed id (a full scan of a common word's doclist each), keeps
            # the fragments few.
            cursor.execute(
                f"SELECT rowid, {fragment} FROM {fts} "  # noqa: S608
                f"WHERE {fts} MATCH %s AND rowid BETWEEN %s AND %s "
                f"AND +rowid IN ({', '.join(['%s'] * len(rowids))})",
                [match, min(rowids), max(rowids), *rowids],
            )
            rows += cursor.fetchall()
    return rows


# --- PostgreSQL: the GIN expression indexes of search_index ------------------------------------


def _postgres(terms: list[str], queues: list[int] | None) -> list[Hit]:
    # to_tsquery from words we quote ourselves: 'word' & 'other':* (prefix on the last one).
    parts = ["'" + t.replace("'", "''") + "'" for t in terms]
    parts[-1] += ":*"
    tsquery = " & ".join(parts)
    within = [] if queues is None else [queues]
    hits: list[Hit] = []
    with connection.cursor() as cursor:
        for source, sql in (("ticket", _PG_SUBJECTS), ("message", _PG_MESSAGES)):
            cursor.execute(_pg_scoped(sql, queues), [tsquery, *within, PG_CANDIDATES, HIT_LIMIT])
            weight = _WEIGHT[source]
            hits += [
                Hit(ticket_id, rank * weight, source, rowid, tsquery)
                for rowid, ticket_id, rank in cursor.fetchall()
            ]
    return hits


def _pg_scoped(sql: str, queues: list[int] | None) -> str:
    """``sql`` keeping the hits on tickets of ``queues`` (one array parameter), or every hit."""
    if queues is None:
        return sql.format(join="", scope="")
    return sql.format(join=" JOIN tickets_ticket t ON t.id = m.ticket_id", scope=" AND t.queue_id = ANY(%s)")


def _postgres_fragments(source: str, hits: list[Hit]) -> list[tuple[int, str]]:
    options = (
        f"StartSel={START}, StopSel={STOP}, MaxWords=30, MinWords=12, MaxFragments=1, FragmentDelimiter=…"
    )
    sql = _PG_HEADLINE[source]
    rows: list[tuple[int, str]] = []
    with connection.cursor() as cursor:
        for tsquery, rowids in _by_match(hits).items():
            cursor.execute(sql, [tsquery, options, rowids])
            rows += cursor.fetchall()
    return rows


# Ranked among the newest PG_CANDIDATES hits (by id, from the GIN index or, for a very common
# word, from the primary key backwards), then cut to HIT_LIMIT. The subject's to_tsvector
# expression repeats its GIN index's (search_index) verbatim; messages use the stored column.
# ``{join}`` and ``{scope}`` narrow the candidates to some queues' tickets (``_pg_scoped``).
_PG_SUBJECTS = (
    "SELECT c.id, c.id, ts_rank(to_tsvector('simple', c.subject), c.q) AS rank FROM ("
    "  SELECT t.id, t.subject, q FROM tickets_ticket t, to_tsquery('simple', %s) q"
    "  WHERE to_tsvector('simple', t.subject) @@ q{scope} ORDER BY t.id DESC LIMIT %s"
    ") c ORDER BY rank DESC LIMIT %s"
)
_PG_MESSAGES = (
    "SELECT c.id, c.ticket_id, ts_rank(c.search_vector, c.q) AS rank FROM ("
    "  SELECT m.id, m.ticket_id, m.search_vector, q FROM tickets_message m{join}, to_tsquery('simple', %s) q"
    "  WHERE m.search_vector @@ q{scope} ORDER BY m.id DESC LIMIT %s"
    ") c ORDER BY rank DESC LIMIT %s"
)
# ts_headline is the costly part of a PostgreSQL search: it runs for the shown hits only.
_PG_HEADLINE = {
    "ticket": "SELECT t.id, ts_headline('simple', t.subject, to_tsquery('simple', %s), %s) "
    "FROM tickets_ticket t WHERE t.id = ANY(%s)",
    "message": "SELECT m.id, ts_headline('simple', m.body_text, to_tsquery('simple', %s), %s) "
    "FROM tickets_message m WHERE m.id = ANY(%s)",
}
