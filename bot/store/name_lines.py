"""The loader's upkeep of the name lines (migration 0013): for each key a character answers to
(its name_key and each alias_key), each scope (0 bundled, else a guild id) and each gatedness (1:
the story's rating is adult-only, audience.GATED_SQL; else 0), the characters with lines laid end
to end on one dense line, each covering [base, base + lines), and the line's length in name_totals.
/quote's `character` filter across stories draws a position there (bot/store/quotes.py, the
SPEAKERS domain: the gated lines only for an age-restricted channel) and finds its character with
one index seek, whatever the number of characters sharing the name.

Both functions run inside the caller's transaction (a story is added, replaced, deleted or
published all or nothing), after the story's characters and aliases are written (link) or
before they are deleted (unlink). A new story's characters go at the end of each of their lines;
a removed one's leave a gap that is closed by shifting down the bases after it (so the cost of a
delete grows with the number of characters after it on its lines, not with the library). A
story's gatedness is read from its row when it is linked: a rating changed in place is an unlink
then a link (bot/store/loader.py, _sync_metadata).
"""
from __future__ import annotations

from collections import defaultdict

from bot.store.audience import GATED_SQL
from bot.store.connection import Store

# The story's characters with lines, once per key they answer to.
_KEYED = (
    "(SELECT id AS character_id, name_key, lines FROM characters WHERE story_id = :story AND lines > 0"
    " UNION SELECT c.id, a.alias_key, c.lines FROM aliases AS a JOIN characters AS c ON c.id = a.character_id"
    " WHERE a.story_id = :story AND c.lines > 0)"
)
_LINK = (
    "INSERT INTO name_lines (character_id, name_key, scope, gated, base, lines, story_id)"
    " SELECT k.character_id, k.name_key, :scope, g.gated, coalesce(t.lines, 0)"
    " + sum(k.lines) OVER (PARTITION BY k.name_key ORDER BY k.character_id ROWS UNBOUNDED PRECEDING) - k.lines,"
    f" k.lines, :story FROM {_KEYED} AS k CROSS JOIN (SELECT {GATED_SQL} AS gated FROM stories AS s"
    " WHERE s.id = :story) AS g"
    " LEFT JOIN name_totals AS t ON t.name_key = k.name_key AND t.scope = :scope AND t.gated = g.gated"
)
_ADD_TOTALS = (
    "INSERT INTO name_totals (name_key, scope, gated, lines, changes)"
    " SELECT name_key, scope, gated, sum(lines), 1 FROM name_lines WHERE story_id = :story"
    " GROUP BY name_key, scope, gated"
    " ON CONFLICT (name_key, scope, gated) DO UPDATE SET lines = name_totals.lines + excluded.lines,"
    " changes = name_totals.changes + 1"
)


async def link_names(store: Store, story_id: int, scope: int) -> None:
    """Put a story's characters (written already) at the end of their keys' lines in `scope` (the
    gated or the open ones, as the story's rating is now)."""
    params = {"story": story_id, "scope": scope}
    await store.db.execute(_LINK, params)
    await store.db.execute(_ADD_TOTALS, params)


async def unlink_names(store: Store, story_id: int) -> None:
    """Take a story's characters off their lines, closing each gap (the bases after it shift down)."""
    db = store.db
    rows = await db.execute_fetchall(
        "SELECT name_key, scope, gated, base, lines FROM name_lines WHERE story_id = ?", (story_id,)
    )
    if not rows:
        return
    # Highest base first on each line: a shift then never moves an entry still to be closed below it.
    entries = sorted(((row[0], row[1], row[2], row[3], row[4]) for row in rows),
                     key=lambda e: (e[0], e[1], e[2], -e[3]))
    await db.executemany(
        "UPDATE name_lines SET base = base - ? WHERE name_key = ? AND scope = ? AND gated = ? AND base > ?",
        [(lines, key, scope, gated, base) for key, scope, gated, base, lines in entries],
    )
    removed: defaultdict[tuple[str, int, int], int] = defaultdict(int)
    for key, scope, gated, _, lines in entries:
        removed[(key, scope, gated)] += lines
    await db.executemany(
        "UPDATE name_totals SET lines = lines - ?, changes = changes + 1"
        " WHERE name_key = ? AND scope = ? AND gated = ?",
        [(lines, key, scope, gated) for (key, scope, gated), lines in removed.items()],
    )
    await db.execute("DELETE FROM name_lines WHERE story_id = ?", (story_id,))
