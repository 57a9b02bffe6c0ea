"""Full-text search over story paragraphs for /search: ranked FTS5 hits with snippets, counted and
paged; each search is saved so its Prev/Next buttons keep working after a restart."""
from __future__ import annotations

import logging
import secrets
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from weakref import WeakKeyDictionary

from bot.errors import InvalidInput
from bot.store.audience import RATING_SQL, Audience
from bot.store.connection import Statement, Store
from bot.store.fts import fts_query
from bot.store.spoilers import (
    NO_LIMITS,
    ChapterLimits,
    chapter_limits,
    limit_sql,
    limits_in_thread,
    note_limits,
    remembered_limits,
)

log = logging.getLogger(__name__)

PAGE_SIZE = 5
KEEP_SEARCHES = timedelta(days=30)  # buttons on older results answer "run the search again"
PRUNE_EVERY = timedelta(hours=1)
_NEVER = datetime.min.replace(tzinfo=UTC)
_pruned: WeakKeyDictionary[Store, datetime] = WeakKeyDictionary()  # when each database was last pruned
# Searches answered but not yet written (see new_search): their buttons work meanwhile.
_unwritten: WeakKeyDictionary[Store, dict[int, SavedSearch]] = WeakKeyDictionary()
# Snippet markers: control characters never found in stored text (the parser collapses whitespace
# and drops control characters), so they mark exactly FTS5's matched tokens.
MATCH_START = "\x02"
MATCH_END = "\x03"
_SNIPPET_TOKENS = 24


@dataclass(frozen=True, slots=True)
class SavedSearch:
    id: int
    user_id: int
    scope: int
    story_id: int | None
    text: str
    adult: bool


@dataclass(frozen=True, slots=True)
class SearchHit:
    paragraph_id: int
    story_id: int
    story_title: str
    seq: int
    chapter_index: int
    chapter_number: int | None
    chapter_title: str | None
    snippet: str  # matched words between MATCH_START and MATCH_END


@dataclass(frozen=True, slots=True)
class SearchPage:
    search: SavedSearch
    page: int  # 0-based, clamped to the last page
    total: int
    hits: tuple[SearchHit, ...]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def match_expression(text: str) -> str:
    """The FTS5 MATCH for user text (each word quoted; all must appear). InvalidInput when empty."""
    match = fts_query(text)
    if match is None:
        raise InvalidInput("Type at least one word to search for.")
    return match


async def save_search(
    store: Store, user_id: int, audience: Audience, text: str, story_id: int | None = None
) -> SavedSearch:
    """Record a search (and forget ones older than KEEP_SEARCHES)."""
    text = " ".join(text.split())
    match_expression(text)
    now = datetime.now(UTC)
    async with store.atomic():
        # Forgetting old searches is housekeeping: once per PRUNE_EVERY is plenty, not on every search.
        if now - _pruned.get(store, _NEVER) >= PRUNE_EVERY:
            await store.db.execute(
                "DELETE FROM searches WHERE created_at < ?", ((now - KEEP_SEARCHES).isoformat(timespec="seconds"),)
            )
            _pruned[store] = now
        ((search_id,),) = await store.db.execute_fetchall(
            "INSERT INTO searches (user_id, scope, story_id, text, adult, created_at) VALUES (?, ?, ?, ?, ?, ?)"
            " RETURNING id",
            (user_id, audience.scope, story_id, text, int(audience.adult), now.isoformat(timespec="seconds")),
        )
    return SavedSearch(search_id, user_id, audience.scope, story_id, text, audience.adult)


def new_search(
    store: Store, user_id: int, audience: Audience, text: str, story_id: int | None = None
) -> SavedSearch:
    """Like save_search, without waiting: the id is made here and the row written behind the reply.

    The id is random in [2**61, 2**62) (a clash is negligible, and SQLite's AUTOINCREMENT sequence
    stays far from wrapping); until the row is written get_search answers from memory, so a button pressed
    at once still works. A crash before the write loses only that search (its buttons then say
    "run the search again").
    """
    text = " ".join(text.split())
    match_expression(text)
    now = datetime.now(UTC)
    search = SavedSearch(secrets.randbits(62) | 1 << 61, user_id, audience.scope, story_id, text, audience.adult)
    prune = now - _pruned.get(store, _NEVER) >= PRUNE_EVERY
    if prune:
        _pruned[store] = now

    insert = (
        "INSERT INTO searches (id, user_id, scope, story_id, text, adult, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (search.id, user_id, audience.scope, story_id, text, int(audience.adult), now.isoformat(timespec="seconds")),
    )
    prune_sql = ("DELETE FROM searches WHERE created_at < ?", ((now - KEEP_SEARCHES).isoformat(timespec="seconds"),))
    write = Statement(*prune_sql, insert) if prune else Statement(*insert)

    unwritten = _unwritten.setdefault(store, {})
    unwritten[search.id] = search
    store.write_behind.submit(("search", search.id), write, done=lambda: unwritten.pop(search.id, None))
    return search


async def get_search(store: Store, search_id: int) -> SavedSearch | None:
    if (pending := _unwritten.get(store, {}).get(search_id)) is not None:
        return pending
    rows = await store.db.execute_fetchall(
        "SELECT id, user_id, scope, story_id, text, adult FROM searches WHERE id = ?", (search_id,)
    )
    return SavedSearch(*rows[0][:5], bool(rows[0][5])) if rows else None


_FROM = (
    " FROM paragraphs_fts JOIN paragraphs AS p ON p.id = paragraphs_fts.rowid"
    " JOIN stories AS s ON s.id = p.story_id"
    f" WHERE paragraphs_fts MATCH :match AND s.scope IN (0, :scope) AND {RATING_SQL.replace('?', ':adult')}"
    " AND (:story IS NULL OR p.story_id = :story) AND " + limit_sql("p.story_id", "p.chapter_index")
)
# The total, the clamped page and its hits in one round trip (an empty result is one row of counts).
# The page's rows are ranked first and only those five get a snippet and a chapter: computing the
# snippet for every match before the sort cost 3-4x the whole query once a big upload put tens of
# thousands of matches in reach (a common name over 10 MB: 92 -> 29 ms).
_PAGE_SQL = (
    f"WITH counted (total) AS (SELECT count(*){_FROM}),"
    " clamped (page) AS (SELECT max(0, min(:page, (max(total, 1) - 1) / :per)) FROM counted),"
    f" ranked (id, hit_rank) AS (SELECT p.id, paragraphs_fts.rank{_FROM}"
    "  ORDER BY paragraphs_fts.rank, p.id LIMIT :per OFFSET (SELECT page FROM clamped) * :per)"
    " SELECT counted.total, clamped.page, hits.* FROM counted, clamped LEFT JOIN ("
    "  SELECT p.id, p.story_id, s.title, p.seq, p.chapter_index, ch.number, ch.title AS chapter_title,"
    f"  snippet(paragraphs_fts, 0, '{MATCH_START}', '{MATCH_END}', '…', {_SNIPPET_TOKENS}),"
    "  ranked.hit_rank AS hit_rank"
    "  FROM ranked JOIN paragraphs_fts ON paragraphs_fts.rowid = ranked.id AND paragraphs_fts MATCH :match"
    "  JOIN paragraphs AS p ON p.id = ranked.id JOIN stories AS s ON s.id = p.story_id"
    "  LEFT JOIN chapters AS ch ON ch.story_id = p.story_id AND ch.chapter_index = p.chapter_index) AS hits"
    " ORDER BY hits.hit_rank, hits.id"
)

# The same on PostgreSQL: the paragraphs' tsvector column (GIN index) matched against the query,
# ranked with ts_rank (higher is better), the snippet cut by ts_headline around the matched words.
_PG_FROM = (
    " FROM paragraphs AS p JOIN stories AS s ON s.id = p.story_id, query"
    f" WHERE p.tsv @@ query.q AND s.scope IN (0, :scope) AND {RATING_SQL.replace('?', ':adult')}"
    " AND (:story IS NULL OR p.story_id = :story) AND " + limit_sql("p.story_id", "p.chapter_index")
)
_PG_PAGE_SQL = (
    "WITH query (q) AS (SELECT storybot_tsquery(:match)),"
    f" counted (total) AS (SELECT count(*){_PG_FROM}),"
    " clamped (page) AS (SELECT max(0, min(:page, (max(total, 1) - 1) / :per)) FROM counted),"
    f" ranked (id, hit_rank) AS (SELECT p.id, -ts_rank(p.tsv, query.q){_PG_FROM}"
    "  ORDER BY 2, p.id LIMIT :per OFFSET (SELECT page FROM clamped) * :per)"
    " SELECT counted.total, clamped.page, hits.* FROM counted CROSS JOIN clamped LEFT JOIN ("
    "  SELECT p.id, p.story_id, s.title, p.seq, p.chapter_index, ch.number, ch.title AS chapter_title,"
    "  ts_headline('storybot', p.text, query.q, :headline), ranked.hit_rank AS hit_rank"
    "  FROM ranked JOIN paragraphs AS p ON p.id = ranked.id JOIN stories AS s ON s.id = p.story_id"
    "  LEFT JOIN chapters AS ch ON ch.story_id = p.story_id AND ch.chapter_index = p.chapter_index, query)"
    "  AS hits ON 1 = 1"
    " ORDER BY hits.hit_rank, hits.id"
)
_PG_HEADLINE = (
    f'StartSel="{MATCH_START}", StopSel="{MATCH_END}", MaxWords={_SNIPPET_TOKENS},'
    f" MinWords={_SNIPPET_TOKENS // 2}, ShortWord=0"
)


async def search_page(
    store: Store, search: SavedSearch, page: int = 0, limits: ChapterLimits = NO_LIMITS
) -> SearchPage:
    """One page of ranked hits (best first by bm25; ts_rank on PostgreSQL) and the total number of
    matching paragraphs, none past the spoiler `limits` of whoever is looking."""
    # On the reader connection: a ranked search over a big library takes tens of milliseconds.
    sql = _PAGE_SQL if store.dialect == "sqlite" else _PG_PAGE_SQL
    rows = await (await store.reader()).execute_fetchall(sql, _page_params(store, search, page, limits))
    return _page_of(search, rows)


async def search_page_for(
    store: Store, search: SavedSearch, guild_id: int | None, reader: int | None, page: int = 0
) -> SearchPage:
    """search_page under `reader`'s spoiler limits here (spoilers.chapter_limits). On SQLite, when
    their limits were seen before (spoilers.remembered_limits), the limits are read in the same
    round trip as the page under that guess and checked against it: one round trip, unless they
    changed since (then the page is read again under the limits just read)."""
    guessed = remembered_limits(store, guild_id, reader)
    if guessed is not None and store.dialect == "sqlite":
        params = _page_params(store, search, page, guessed)
        limits, rows = await store.reader_job(_limits_and_page, guild_id, reader, params)
        if limits == guessed:
            return _page_of(search, rows)
        note_limits(store, guild_id, reader, limits)
    return await search_page(store, search, page, await chapter_limits(store, guild_id, reader))


def _limits_and_page(
    conn: sqlite3.Connection, guild_id: int | None, reader: int | None, params: dict[str, object]
) -> tuple[ChapterLimits | None, list[Sequence]]:
    """search_page_for's two reads, in one job on the reader connection's thread."""
    return limits_in_thread(conn, guild_id, reader), conn.execute(_PAGE_SQL, params).fetchall()


def _page_params(store: Store, search: SavedSearch, page: int, limits: ChapterLimits) -> dict[str, object]:
    return {
        "match": match_expression(search.text), "scope": search.scope, "adult": search.adult,
        "story": search.story_id, "page": page, "per": PAGE_SIZE, "limits": limits.key(),
        **({} if store.dialect == "sqlite" else {"headline": _PG_HEADLINE}),
    }


def _page_of(search: SavedSearch, rows: Sequence[Sequence]) -> SearchPage:
    total, page = rows[0][:2]
    hits = tuple(SearchHit(*row[2:-1]) for row in rows if row[2] is not None)
    return SearchPage(search, page, total, hits)
