"""Hand-built stories and database checks shared by the store tests."""
from __future__ import annotations

import pytest

from bot.parsing.model import Chapter, Character, Note, Quote, Scene, Story
from bot.store import Store, loader


def make_story(tag: str = "a", *, chapters: int = 2, scenes: int = 2, paragraphs: int = 3) -> Story:
    """A story whose every paragraph names its place, with one quote per scene by alternating speakers."""
    built, quotes = [], []
    for ci in range(chapters):
        scene_list = []
        for si in range(scenes):
            texts = tuple(f"{tag} chapter {ci} scene {si} paragraph {pi} words here" for pi in range(paragraphs))
            scene_list.append(Scene(heading=f"Heading {si}" if si else None, paragraphs=texts))
            speaker = ("Naruto", "Sasuke", None)[(ci * scenes + si) % 3]
            quotes.append(Quote(f"{tag} line {ci}.{si}", "speech", speaker, 0.9, ci, si, paragraphs - 1, 3, 9, "tag"))
        built.append(Chapter(number=ci + 1, title=f"Title {ci}", scenes=tuple(scene_list)))
    return Story(
        title=f"Story {tag}",
        summary=f"summary {tag}",
        notes=(Note(0, "before", "Disclaimer: not mine.", "disclaimer"), Note(chapters - 1, "after", "A/N: review!")),
        chapters=tuple(built),
        quotes=tuple(quotes),
        characters=(
            Character("Naruto", ("Naruto-kun", "Uzumaki Naruto"), 12, "M"),
            Character("Sasuke", ("Sasuke-kun",), 7, "M"),
            Character("Sakura", (), 2, "F"),
        ),
    )


async def dump(store: Store) -> dict[str, list[tuple]]:
    """Every row of every table (FTS shadow tables included), to compare a database before/after."""
    async with store.db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name"
        if store.dialect == "sqlite" else
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        " AND table_type = 'BASE TABLE' ORDER BY 1"
    ) as cur:
        tables = [row[0] for row in await cur.fetchall()]
    result = {}
    for table in tables:
        async with store.db.execute(f'SELECT * FROM "{table}" ORDER BY 1') as cur:
            result[table] = [tuple(row) for row in await cur.fetchall()]
    return result


async def without_added_at(store: Store, rows: list[tuple]) -> list[tuple]:
    """`stories` rows of dump() without their added_at (the time each was written)."""
    async with store.db.execute("SELECT * FROM stories LIMIT 0") as cur:
        at = [d[0] for d in cur.description].index("added_at")
    return [row[:at] + row[at + 1:] for row in rows]


async def assert_lines_dense(store: Store) -> None:
    """The random-pick invariant: per scope, stories tile [0, total) with no gap or overlap."""
    async with store.db.execute("SELECT scope, paragraphs, quotes FROM scope_totals") as cur:
        totals = {row[0]: (row[1], row[2]) for row in await cur.fetchall()}
    for index, (base, count) in enumerate((("paragraph_base", "paragraph_count"), ("quote_base", "quote_count"))):
        async with store.db.execute(
            f"SELECT scope, {base}, {count} FROM stories WHERE {count} > 0 ORDER BY scope, {base}"
        ) as cur:
            rows = await cur.fetchall()
        ends: dict[int, int] = {}
        for scope, start, n in rows:
            assert start == ends.get(scope, 0), f"{base} gap or overlap in scope {scope}"
            ends[scope] = start + n
        for scope, total in totals.items():
            assert ends.get(scope, 0) == total[index]
    async with store.db.execute(
        "SELECT s.id FROM stories s WHERE paragraph_count != (SELECT count(*) FROM paragraphs p WHERE p.story_id = s.id)"
        " OR quote_count != (SELECT count(*) FROM quotes q WHERE q.story_id = s.id)"
    ) as cur:
        assert await cur.fetchall() == []


async def assert_fts_in_sync(store: Store) -> None:
    """FTS5's own check of paragraphs_fts and quotes_fts against their tables (raises when out of sync).
    PostgreSQL's index is a generated column of the table itself; the count below checks it."""
    if store.dialect == "sqlite":
        await store.db.execute("INSERT INTO paragraphs_fts (paragraphs_fts, rank) VALUES ('integrity-check', 1)")
        await store.db.execute("INSERT INTO quotes_fts (quotes_fts, rank) VALUES ('integrity-check', 1)")
    async with store.db.execute("SELECT count(*) FROM paragraphs_fts WHERE paragraphs_fts MATCH 'paragraph'") as cur:
        indexed = (await cur.fetchone())[0]
    async with store.db.execute("SELECT count(*) FROM paragraphs WHERE text LIKE '%paragraph%'") as cur:
        assert indexed == (await cur.fetchone())[0]


def on_batch_written(store: Store, monkeypatch: pytest.MonkeyPatch, hook) -> None:
    """Call hook(n) as the n-th batch of paragraphs is written (from the writer's thread on SQLite,
    on the event loop on PostgreSQL), before it is; hook may raise."""
    count = 0

    def counted() -> None:
        nonlocal count
        count += 1
        hook(count)

    if store.dialect == "sqlite":
        write_batch = loader._write_batch

        def written(conn, story_id, first, chunk):
            counted()
            write_batch(conn, story_id, first, chunk)

        monkeypatch.setattr(loader, "_write_batch", written)
    else:
        real = loader._insert_paragraphs

        async def insert(store_, story_id, paragraphs, first, end):
            counted()
            await real(store_, story_id, paragraphs, first, end)

        monkeypatch.setattr(loader, "_insert_paragraphs", insert)


async def assert_stories_unchanged(store: Store, before: dict) -> None:
    """Every story table as dump() found it in `before` (a failed load left nothing behind)."""
    after = await dump(store)
    for name in ("stories", "chapters", "scenes", "paragraphs", "quotes", "characters", "scope_totals"):
        assert after[name] == before[name], name
