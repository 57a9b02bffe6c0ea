"""load_story / delete_story: what is written, idempotence, replacement and all-or-nothing."""
from __future__ import annotations

import pytest

from bot.parsing.model import Character, Quote, Story
from bot.store import Store, loader, stories
from tests.store.helpers import assert_fts_in_sync, assert_lines_dense, dump, make_story


async def count(store: Store, table: str, story_id: int) -> int:
    async with store.db.execute(f"SELECT count(*) FROM {table} WHERE story_id = ?", (story_id,)) as cur:
        return (await cur.fetchone())[0]


async def test_load_story_writes_every_part(store: Store) -> None:
    story_id = await loader.load_story(
        store, make_story("a"), title="Alpha", author="Someone", fandom="Naruto", rating="T",
        source="a.txt", content_hash="h-a",
    )
    await assert_fts_in_sync(store)
    saved = await stories.get_story(store, story_id)
    assert (saved.title, saved.author, saved.rating, saved.source, saved.summary) == (
        "Alpha", "Someone", "T", "a.txt", "summary a")
    assert (saved.chapter_count, saved.paragraph_count, saved.quote_count) == (2, 12, 4)
    assert saved.word_count == 12 * 9
    assert await count(store, "scenes", story_id) == 4
    assert await count(store, "notes", story_id) == 2
    chapter = (await stories.chapters(store, story_id))[1]
    assert (chapter.number, chapter.title, chapter.first_paragraph, chapter.paragraph_count) == (2, "Title 1", 6, 6)
    texts = [p.text for p in await stories.paragraphs(store, story_id, 1, 1)]
    assert texts == [f"a chapter 1 scene 1 paragraph {i} words here" for i in range(3)]


async def test_quotes_link_to_characters_with_dense_speaker_numbers(store: Store) -> None:
    story_id = await loader.load_story(store, make_story("a", chapters=3), title="A", content_hash="h")
    async with store.db.execute(
        "SELECT c.name, q.speaker_seq, q.paragraph_seq, p.text FROM quotes q"
        " JOIN paragraphs p ON p.story_id = q.story_id AND p.seq = q.paragraph_seq"
        " LEFT JOIN characters c ON c.id = q.character_id ORDER BY q.seq", ()
    ) as cur:
        rows = [tuple(r) for r in await cur.fetchall()]
    assert [r[0] for r in rows] == ["Naruto", "Sasuke", None, "Naruto", "Sasuke", None]
    assert [r[1] for r in rows] == [0, 0, None, 1, 1, None]
    assert rows[0][3] == "a chapter 0 scene 0 paragraph 2 words here"
    by_name = {c.name: c for c in await stories.characters(store, story_id)}
    assert by_name["Naruto"].lines == 2 and by_name["Sakura"].lines == 0
    assert set(by_name["Naruto"].aliases) == {"Naruto-kun", "Uzumaki Naruto"}
    found = await stories.find_character(store, story_id, "uzumaki naruto")
    assert found is not None and found.name == "Naruto"


async def test_unknown_speaker_still_gets_a_character(store: Store) -> None:
    base = make_story("a")
    story = Story(base.title, None, chapters=base.chapters,
                  quotes=(Quote("hi", "speech", "Kyuubi", 0.5, 0, 0, 0),), characters=(Character("Naruto"),))
    story_id = await loader.load_story(store, story, title="A", content_hash="h")
    names = {c.name: c.lines for c in await stories.characters(store, story_id)}
    assert names == {"Naruto": 0, "Kyuubi": 1}


async def test_same_content_twice_changes_nothing(store: Store) -> None:
    first = await loader.load_story(store, make_story("a"), title="A", source="a.txt", content_hash="h")
    before = await dump(store)
    again = await loader.load_story(store, make_story("a"), title="A", source="a.txt", content_hash="h")
    assert again == first
    assert await dump(store) == before


async def test_changed_bundled_source_replaces_in_place(store: Store) -> None:
    old = await loader.load_story(store, make_story("old", chapters=3), title="A", source="a.txt", content_hash="h1")
    other = await loader.load_story(store, make_story("b"), title="B", source="b.txt", content_hash="h2")
    new = await loader.load_story(store, make_story("new", chapters=1), title="A2", source="a.txt", content_hash="h2x")
    assert new == old
    saved = await stories.get_story(store, new)
    assert (saved.title, saved.content_hash, saved.chapter_count) == ("A2", "h2x", 1)
    texts = [p.text for p in await stories.paragraphs(store, new, 0)]
    assert texts and all(t.startswith("new ") for t in texts)
    async with store.db.execute("SELECT count(*) FROM paragraphs WHERE text LIKE 'old %'") as cur:
        assert (await cur.fetchone())[0] == 0
    assert await stories.get_story(store, other) is not None
    await assert_lines_dense(store)
    await assert_fts_in_sync(store)


async def test_guild_copies_are_separate_from_bundled(store: Store) -> None:
    bundled = await loader.load_story(store, make_story("a"), title="A", source="a.txt", content_hash="h")
    in_guild = await loader.load_story(store, make_story("a"), title="A", content_hash="h", guild_id=7, added_by=3)
    again = await loader.load_story(store, make_story("a"), title="A again", content_hash="h", guild_id=7)
    assert bundled != in_guild == again
    assert (await stories.get_story(store, in_guild)).added_by == 3
    await assert_lines_dense(store)


async def test_delete_story_removes_everything(store: Store) -> None:
    keep = await loader.load_story(store, make_story("keep"), title="Keep", content_hash="h1")
    gone = await loader.load_story(store, make_story("gone"), title="Gone", content_hash="h2")
    assert await loader.delete_story(store, gone)
    assert not await loader.delete_story(store, gone)
    for table in ("chapters", "scenes", "paragraphs", "notes", "characters", "aliases", "quotes"):
        assert await count(store, table, gone) == 0, table
    async with store.db.execute("SELECT count(*) FROM paragraphs_fts WHERE paragraphs_fts MATCH 'gone'") as cur:
        assert (await cur.fetchone())[0] == 0
    async with store.db.execute("SELECT count(*) FROM paragraphs_fts WHERE paragraphs_fts MATCH 'keep'") as cur:
        assert (await cur.fetchone())[0] == 12
    await assert_fts_in_sync(store)
    assert await stories.get_story(store, keep) is not None
    await assert_lines_dense(store)


async def test_failure_midway_leaves_no_partial_story(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    await loader.load_story(store, make_story("a"), title="A", content_hash="h1")
    before = await dump(store)
    original = store.db.executemany
    calls = 0

    async def failing_executemany(sql, rows):
        nonlocal calls
        calls += 1
        if calls == 4:  # after chapters, scenes and paragraphs went in
            raise OSError("disk went away")
        return await original(sql, rows)

    monkeypatch.setattr(store.db, "executemany", failing_executemany)
    with pytest.raises(OSError):
        await loader.load_story(store, make_story("b"), title="B", content_hash="h2")
    monkeypatch.undo()
    assert await dump(store) == before


async def test_quote_outside_the_story_is_refused_before_writing(store: Store) -> None:
    base = make_story("a")
    broken = Story(base.title, None, chapters=base.chapters, quotes=(Quote("x", "speech", None, 0.1, 0, 9, 0),))
    with pytest.raises(ValueError, match="outside"):
        await loader.load_story(store, broken, title="A", content_hash="h")
    assert await stories.visible_stories(store, None) == []


@pytest.mark.parametrize(
    "paragraphs",
    [
        ["Naruto ran.", "He fell over the bridge."], ["one  two"], [" lead"], ["trail "], ["tab\tand\nline", "x"],
        ["nbsp\u00a0here too"], ["x\u3000y z"], [""], ["a", ""], ["", "a"], ["a", "", "b"], [], ["a"],
    ],
)
def test_word_counts_match_a_plain_split(paragraphs: list[str]) -> None:
    assert loader._word_count(paragraphs) == sum(len(p.split()) for p in paragraphs)
