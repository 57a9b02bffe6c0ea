"""Full-text search over story paragraphs for /search: ranked FTS5 hits with snippets, counted and
paged; each search is saved so its Prev/Next buttons keep working after a restart."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.errors import InvalidInput
from bot.store.audience import RATING_SQL, Audience
from bot.store.connection import Store
from bot.store.fts import fts_query

log = logging.getLogger(__name__)

PAGE_SIZE = 5
KEEP_SEARCHES = timedelta(days=30)  # buttons on older results answer "run the search again"
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
        await store.db.execute(
            "DELETE FROM searches WHERE created_at < ?", ((now - KEEP_SEARCHES).isoformat(timespec="seconds"),)
        )
        cur = await store.db.execute(
            "INSERT INTO searches (user_id, scope, story_id, text, adult, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (user_id, audience.scope, story_id, text, int(audience.adult), now.isoformat(timespec="seconds")),
        )
        search_id = cur.lastrowid
        await cur.close()
    return SavedSearch(search_id, user_id, audience.scope, story_id, text, audience.adult)


async def get_search(store: Store, search_id: int) -> SavedSearch | None:
    async with store.db.execute(
        "SELECT id, user_id, scope, story_id, text, adult FROM searches WHERE id = ?", (search_id,)
    ) as cur:
        row = await cur.fetchone()
    return None if row is None else SavedSearch(row[0], row[1], row[2], row[3], row[4], bool(row[5]))


_FROM = (
    " FROM paragraphs_fts JOIN paragraphs AS p ON p.id = paragraphs_fts.rowid"
    " JOIN stories AS s ON s.id = p.story_id"
    f" WHERE paragraphs_fts MATCH ? AND s.scope IN (0, ?) AND {RATING_SQL} AND (? IS NULL OR p.story_id = ?)"
)


async def search_page(store: Store, search: SavedSearch, page: int = 0) -> SearchPage:
    """One page of ranked hits (best first by bm25) and the total number of matching paragraphs."""
    args = (match_expression(search.text), search.scope, search.adult, search.story_id, search.story_id)
    async with store.db.execute("SELECT count(*)" + _FROM, args) as cur:
        total = (await cur.fetchone())[0]
    last = max(0, (total - 1) // PAGE_SIZE)
    page = min(max(page, 0), last)
    async with store.db.execute(
        "SELECT p.id, p.story_id, s.title, p.seq, p.chapter_index, ch.number, ch.title,"
        f" snippet(paragraphs_fts, 0, '{MATCH_START}', '{MATCH_END}', '…', {_SNIPPET_TOKENS})"
        + _FROM.replace(
            " WHERE",
            " LEFT JOIN chapters AS ch ON ch.story_id = p.story_id AND ch.chapter_index = p.chapter_index WHERE",
            1,
        )
        + " ORDER BY paragraphs_fts.rank, p.id LIMIT ? OFFSET ?",
        (*args, PAGE_SIZE, page * PAGE_SIZE),
    ) as cur:
        hits = tuple(SearchHit(*row) for row in await cur.fetchall())
    return SearchPage(search, page, total, hits)
