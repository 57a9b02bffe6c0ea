"""Read repository: visibility, lookups, autocomplete, chapters, paragraphs, notes."""
from __future__ import annotations

import pytest

from bot.store import Store, loader, stories
from tests.store.helpers import make_story


async def add(store: Store, title: str, guild_id: int | None = None, **kw) -> int:
    return await loader.load_story(store, make_story(title, chapters=1), title=title,
                                   content_hash=f"{title}-{guild_id}", guild_id=guild_id, **kw)


async def test_visible_stories_are_bundled_plus_own(store: Store) -> None:
    await add(store, "Zeta")
    await add(store, "alpha", guild_id=1)
    await add(store, "Beta", guild_id=2)
    assert [s.title for s in await stories.visible_stories(store, 1)] == ["alpha", "Zeta"]
    assert [s.title for s in await stories.visible_stories(store, None)] == ["Zeta"]
    beta = (await stories.visible_stories(store, 2))[0]
    assert beta.title == "Beta" and not beta.bundled
    assert await stories.get_visible_story(store, beta.id, 1) is None
    assert await stories.get_visible_story(store, beta.id, 2) == beta
    assert await stories.find_by_content(store, 2, "Beta-2") == beta
    assert await stories.find_by_content(store, 1, "Beta-2") is None


async def test_find_by_title_ignores_case_and_spacing(store: Store) -> None:
    bundled = await add(store, "The  Blood Clone")
    own = await loader.load_story(store, make_story("x"), title="the blood clone", content_hash="x", guild_id=4)
    assert [s.id for s in await stories.find_by_title(store, 4, "THE BLOOD CLONE")] == [own, bundled]


async def test_autocomplete_prefix_then_substring_case_insensitive(store: Store) -> None:
    for title in ("Naruto: The Return of Darkness", "The Blood Clone", "Itachi's Deal", "Blood Moon"):
        await add(store, title)
    await add(store, "Blood of Others", guild_id=99)
    titles = [s.title for s in await stories.autocomplete_titles(store, None, "blood")]
    assert titles == ["Blood Moon", "The Blood Clone"]
    titles = [s.title for s in await stories.autocomplete_titles(store, 99, "BLOOD")]
    assert titles == ["Blood Moon", "Blood of Others", "The Blood Clone"]
    assert [s.title for s in await stories.autocomplete_titles(store, None, "it")] == ["Itachi's Deal"]
    assert [s.title for s in await stories.autocomplete_titles(store, None, "retURN OF")] == [
        "Naruto: The Return of Darkness"]
    assert len(await stories.autocomplete_titles(store, None, "")) == 4


async def test_autocomplete_is_capped_and_safe_with_fts_syntax(store: Store) -> None:
    for i in range(30):
        await add(store, f"Story number {i:02d}")
    assert len(await stories.autocomplete_titles(store, None, "story")) == 25
    assert len(await stories.autocomplete_titles(store, None, "umber 1")) == 10
    for hostile in ('"', 'NEAR(a b)', "title:x", "a* OR b", "%_\\", "^st"):
        assert await stories.autocomplete_titles(store, None, hostile) == []


@pytest.mark.sqlite_only  # SQLite's EXPLAIN QUERY PLAN
async def test_autocomplete_queries_use_indexes(store: Store) -> None:
    await add(store, "Alpha")
    for sql, args in [
        ("SELECT id FROM stories WHERE scope = ? AND title_key >= ? AND title_key < ? ORDER BY title_key LIMIT 25",
         (0, "al", "al\U0010ffff")),
        ("SELECT s.id FROM stories_title_fts JOIN stories AS s ON s.id = stories_title_fts.rowid"
         " WHERE stories_title_fts MATCH ? AND s.scope IN (0, ?) LIMIT 25", ('"lph"', 0)),
    ]:
        async with store.db.execute("EXPLAIN QUERY PLAN " + sql, args) as cur:
            steps = [row[3] for row in await cur.fetchall()]
        # A "SCAN ... VIRTUAL TABLE INDEX" step is the FTS index answering MATCH, not a table scan.
        assert not [s for s in steps if s.startswith("SCAN") and "VIRTUAL TABLE INDEX" not in s], steps
        assert not [s for s in steps if "TEMP B-TREE" in s], steps


async def test_chapters_scenes_paragraphs_and_notes_in_order(store: Store) -> None:
    story_id = await loader.load_story(store, make_story("s", chapters=3, scenes=2, paragraphs=2),
                                       title="S", content_hash="s")
    chapters = await stories.chapters(store, story_id)
    assert [(c.index, c.display_number, c.title) for c in chapters] == [(0, 1, "Title 0"), (1, 2, "Title 1"), (2, 3, "Title 2")]
    assert (await stories.chapter_by_number(store, story_id, 2)).index == 1
    assert await stories.chapter_by_number(store, story_id, 9) is None
    scenes = await stories.scenes(store, story_id, 1)
    assert [(s.heading, s.first_paragraph, s.paragraph_count) for s in scenes] == [(None, 4, 2), ("Heading 1", 6, 2)]
    chapter = await stories.paragraphs(store, story_id, 2)
    assert [p.seq for p in chapter] == [8, 9, 10, 11]
    assert [p.text for p in chapter][:1] == ["s chapter 2 scene 0 paragraph 0 words here"]
    assert await stories.paragraphs(store, story_id, 7) == []
    assert [p.seq for p in await stories.paragraph_range(store, story_id, 10, 5)] == [10, 11]
    assert (await stories.get_paragraph(store, story_id, 3)).text == "s chapter 0 scene 1 paragraph 1 words here"
    assert [(n.chapter_index, n.position, n.kind) for n in await stories.notes(store, story_id)] == [
        (0, "before", "disclaimer"), (2, "after", "note")]
    assert [n.text for n in await stories.notes(store, story_id, 2)] == ["A/N: review!"]


async def test_character_autocomplete(store: Store) -> None:
    story_id = await add(store, "A")
    await add(store, "Hidden", guild_id=3)
    assert await stories.autocomplete_characters(store, None, "kun", story_id=story_id) == ["Naruto", "Sasuke"]
    assert await stories.autocomplete_characters(store, None, "sa", story_id=story_id) == ["Sasuke", "Sakura"]
    assert await stories.autocomplete_characters(store, None, "%", story_id=story_id) == []
    # Across stories: distinct names of characters who speak, by prefix.
    assert await stories.autocomplete_characters(store, None, "") == ["Naruto", "Sasuke"]
    assert await stories.autocomplete_characters(store, 3, "n") == ["Naruto"]
