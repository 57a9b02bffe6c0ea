"""The library repository: paging, details, duplicates and titles, per-server isolation, removal cascade."""
from __future__ import annotations

import pytest

from bot.parsing.model import Chapter, Character, Note, Quote, Scene, Story
from bot.store import Store
from bot.store.library import (
    LibraryConflict,
    add_story,
    check_new_story,
    library_page,
    own_stories,
    remove_story,
    story_details,
)
from bot.store.loader import load_story
from bot.store.stories import autocomplete_titles, get_story

GUILD, OTHER = 111, 222




def make_story(word: str = "dawn") -> Story:
    paragraphs = (f'"We leave at {word}," Naruto said.', "Sakura smiled.", f'"Fine," Sakura said. "{word}."')
    return Story(
        title=None,
        summary="A mission.",
        notes=(Note(0, "before", "Thanks, beta."), Note(0, "after", "Review please.")),
        chapters=(
            Chapter(1, "Dawn", (Scene(None, paragraphs),)),
            Chapter(2, None, (Scene(None, ("The road went on.",)),)),
        ),
        quotes=(
            Quote(f"We leave at {word},", "speech", "Naruto", 0.9, 0, 0, 0),
            Quote("Fine,", "speech", "Sakura", 0.9, 0, 0, 2),
            Quote(f"{word}.", "speech", "Sakura", 0.9, 0, 0, 2),
        ),
        characters=(Character("Naruto", mentions=3), Character("Sakura", mentions=2), Character("Kakashi", mentions=1)),
    )


async def add(store: Store, title: str, digest: str, guild: int = GUILD):
    return await add_story(
        store, make_story(digest), guild_id=guild, added_by=42, title=title, content_hash=digest, rating="T"
    )


async def test_added_story_is_listed_only_in_its_own_server(store):
    await load_story(store, make_story("bundled"), title="Bundled Tale", content_hash="b1")
    added = await add(store, "Our Tale", "h1")
    assert (added.guild_id, added.added_by, added.chapter_count, added.quote_count) == (GUILD, 42, 2, 3)
    here = await library_page(store, GUILD, 0)
    there = await library_page(store, OTHER, 0)
    assert [s.title for s in here.stories] == ["Bundled Tale", "Our Tale"]
    assert [s.title for s in there.stories] == ["Bundled Tale"]
    assert [s.title for s in await autocomplete_titles(store, OTHER, "our")] == []


async def test_library_pages_are_clamped(store):
    for i in range(12):
        await add(store, f"Tale {i:02d}", f"h{i}")
    first = await library_page(store, GUILD, 0, per_page=5)
    last = await library_page(store, GUILD, 99, per_page=5)
    assert (first.pages, first.total, len(first.stories)) == (3, 12, 5)
    assert (last.page, [s.title for s in last.stories]) == (2, ["Tale 10", "Tale 11"])


async def test_adult_stories_are_left_out_of_ordinary_channels_but_counted(store):
    await add(store, "Gentle Tale", "h1")
    await add_story(store, make_story("m"), guild_id=GUILD, added_by=42, title="Dark Tale", content_hash="h2", rating="M")
    ordinary = await library_page(store, GUILD, 0, adult=False)
    restricted = await library_page(store, GUILD, 0, adult=True)
    assert ([s.title for s in ordinary.stories], ordinary.total, ordinary.hidden) == (["Gentle Tale"], 1, 1)
    assert ([s.title for s in restricted.stories], restricted.hidden) == (["Dark Tale", "Gentle Tale"], 0)


async def test_details_count_notes_and_rank_speakers(store):
    added = await add(store, "Our Tale", "h1")
    details = await story_details(store, added)
    assert details.notes_set_aside == 2
    assert [(c.name, c.lines) for c in details.main_characters] == [("Sakura", 2), ("Naruto", 1)]
    assert [(c.number, c.title) for c in details.chapters] == [(1, "Dawn"), (2, None)]
    assert details.story.word_count == 16


async def test_same_text_is_already_in_the_library_here_or_bundled(store):
    await load_story(store, make_story("bundled"), title="Bundled Tale", content_hash="b1")
    await add(store, "Our Tale", "h1")
    with pytest.raises(LibraryConflict, match="already in the library as “Bundled Tale”"):
        await check_new_story(store, GUILD, "b1", "Another")
    with pytest.raises(LibraryConflict, match="already in the library as “Our Tale”"):
        await add(store, "Other Title", "h1")
    # Another server may add the same text: libraries are separate.
    assert (await add(store, "Our Tale", "h1", guild=OTHER)).guild_id == OTHER


async def test_title_in_use_here_is_refused_with_a_hint(store):
    await load_story(store, make_story("bundled"), title="Bundled Tale", content_hash="b1")
    await add(store, "Our Tale", "h1")
    for title in ("our  TALE", "Bundled tale"):
        with pytest.raises(LibraryConflict, match="different `title`"):
            await add(store, title, "h2")
    assert (await library_page(store, GUILD, 0)).total == 2


async def test_remove_only_own_story_and_everything_goes_with_it(store):
    bundled_id = await load_story(store, make_story("bundled"), title="Bundled Tale", content_hash="b1")
    mine = await add(store, "Our Tale", "h1")
    theirs = await add(store, "Their Tale", "h2", guild=OTHER)
    assert await remove_story(store, bundled_id, GUILD) is None
    assert await remove_story(store, theirs.id, GUILD) is None
    assert [s.title for s in await own_stories(store, GUILD)] == ["Our Tale"]
    removed = await remove_story(store, mine.id, GUILD)
    assert removed is not None and removed.title == "Our Tale"
    assert await get_story(store, mine.id) is None
    for table in ("paragraphs", "quotes", "characters", "notes", "chapters", "scenes"):
        async with store.db.execute(f"SELECT count(*) FROM {table} WHERE story_id = ?", (mine.id,)) as cur:
            assert (await cur.fetchone())[0] == 0, table
    async with store.db.execute("SELECT count(*) FROM paragraphs_fts WHERE paragraphs_fts MATCH 'h1'") as cur:
        assert (await cur.fetchone())[0] == 0
    assert await get_story(store, theirs.id) is not None
    assert await remove_story(store, mine.id, GUILD) is None


async def test_own_stories_filter_by_substring_safely(store):
    await add(store, "100% Tale", "h1")
    await add(store, "Quiet_Rain", "h2")
    await add(store, "Quiet Rain", "h3")
    assert [s.title for s in await own_stories(store, GUILD, "%")] == ["100% Tale"]
    assert [s.title for s in await own_stories(store, GUILD, "t_r")] == ["Quiet_Rain"]
    assert [s.title for s in await own_stories(store, GUILD, "RAIN")] == ["Quiet Rain", "Quiet_Rain"]


async def test_removal_takes_bookmarks_and_searches_but_keeps_trivia_points(store):
    from bot.store.reading import get_bookmark, save_bookmark

    mine = await add(store, "Our Tale", "h1")
    await save_bookmark(store, 7, mine.id, 0, 1)
    async with store.atomic():
        await store.db.execute(
            "INSERT INTO searches (user_id, scope, story_id, text, adult, created_at) VALUES (7, ?, ?, 'dawn', 0, 'now')",
            (GUILD, mine.id),
        )
        cur = await store.db.execute(
            "INSERT INTO trivia_games (guild_id, channel_id, starter_id, story_id, state, questions_planned, started_at)"
            " VALUES (?, 1, 7, ?, 'finished', 1, 'now')",
            (GUILD, mine.id),
        )
        await store.db.execute(
            "INSERT INTO trivia_answers (game_id, question_no, user_id, guild_id, story_id, correct, points)"
            " VALUES (?, 1, 7, ?, ?, 1, 3)",
            (cur.lastrowid, GUILD, mine.id),
        )
    assert await remove_story(store, mine.id, GUILD) is not None
    assert await get_bookmark(store, 7, mine.id) is None
    async with store.db.execute("SELECT count(*) FROM searches") as cur:
        assert (await cur.fetchone())[0] == 0
    async with store.db.execute("SELECT story_id, points FROM trivia_answers WHERE user_id = 7") as cur:
        assert [tuple(r) for r in await cur.fetchall()] == [(None, 3)]


def chapters_story(*titles: str) -> Story:
    return Story(
        title=None, summary=None, notes=(),
        chapters=tuple(Chapter(n, t, (Scene(None, (f"{t} begins here.",)),)) for n, t in enumerate(titles, start=1)),
        quotes=(), characters=(),
    )


async def test_details_of_a_replaced_or_removed_story_are_never_stale(store):
    # A bundled file whose text changed replaces the story in place: same id, new text.
    first_id = await load_story(store, chapters_story("One", "Two"), title="Tale", content_hash="v1", source="tale.txt")
    first = await get_story(store, first_id)
    assert [c.title for c in (await story_details(store, first)).chapters] == ["One", "Two"]
    await load_story(store, chapters_story("Uno", "Dos", "Tres"), title="Tale", content_hash="v2", source="tale.txt")
    replaced = await get_story(store, first_id)
    assert replaced.content_hash == "v2"
    assert [c.title for c in (await story_details(store, replaced)).chapters] == ["Uno", "Dos", "Tres"]
    # A server's story removed, then another text added under the id SQLite hands out again
    # (PostgreSQL's sequence never hands an id out twice; the details must be right either way).
    mine = await add_story(store, chapters_story("Mine"), guild_id=GUILD, added_by=42, title="Mine",
                           content_hash="v3")
    assert [c.title for c in (await story_details(store, mine)).chapters] == ["Mine"]
    assert await remove_story(store, mine.id, GUILD) is not None
    other = await add_story(store, chapters_story("Alpha", "Beta"), guild_id=GUILD, added_by=42, title="Other",
                            content_hash="v4")
    assert other.id == mine.id or store.dialect != "sqlite"
    assert [c.title for c in (await story_details(store, other)).chapters] == ["Alpha", "Beta"]
