"""bot/store/characters.py on hand-built stories: who talks to whom, the counts per chapter, the
share of dialogue, chapter limits, and finding characters by name or alias."""
from __future__ import annotations

import hashlib

import pytest

from bot.errors import CharacterNotFound
from bot.parsing.model import Character, Story
from bot.store import Store
from bot.store.audience import Audience
from bot.store.characters import find_character, name_choices, story_figures
from bot.store.loader import load_story
from bot.store.spoilers import ChapterLimits
from bot.store.stories import get_story
from tests.charts.helpers import scripted_story

GUILD, OTHER = 111, 222


async def _add(store: Store, story: Story, title: str, *, guild_id: int | None = GUILD, rating: str = "T"):
    digest = hashlib.sha256(f"{title}|{guild_id}|{story!r}".encode()).hexdigest()
    story_id = await load_story(store, story, title=title, rating=rating, content_hash=digest,
                                guild_id=guild_id, source=None)
    return await get_story(store, story_id)


def _id(figures, name: str) -> int:
    return next(s.id for s in figures.speakers.values() if s.name == name)


def _talks(figures, name: str) -> list[tuple[str, int]]:
    return [(s.name, n) for s, n in figures.talks_to(_id(figures, name))]


EXCHANGES = [
    [  # chapter 1
        [("Naruto", "Hey Sasuke"), ("Sasuke", "What"), ("Naruto", "Fight me right now, Sasuke"), ("Sasuke", "No"),
         ("Sakura", "Stop it both of you"), ("Naruto", "Fine")],
        [("Kakashi", "Yo"), ("Naruto", "You are late"),
         ("Naruto", "thinking about ramen", "thought"), ("Kakashi", "I got lost")],
    ],
    [  # chapter 2
        [("Naruto", "Morning"), "A long silence.", "Another paragraph.", "And a third.", "And a fourth.",
         ("Sakura", "Far later: a new conversation"), ("Hinata", "Hello"), (None, "who said this"),
         ("Naruto", "Hi Hinata")],
    ],
]


async def test_talks_to_counts_turns_next_to_each_other_in_a_scene(store) -> None:
    story = await _add(store, scripted_story(EXCHANGES), "Exchanges")
    figures = await story_figures(store, story)
    # Naruto-Sasuke: 3 turns; Naruto-Sakura: 1 (ch 1); Naruto-Kakashi: 2 (the thought is no turn);
    # Naruto-Hinata: 1 (the unknown line in between is skipped); the Naruto -> Sakura jump in
    # chapter 2 is five paragraphs apart, so no turn; scenes never join (Naruto "Fine" / Kakashi "Yo").
    assert _talks(figures, "Naruto") == [("Sasuke", 3), ("Kakashi", 2), ("Hinata", 1)]
    assert _talks(figures, "Sasuke") == [("Naruto", 3), ("Sakura", 1)]
    assert _talks(figures, "Sakura") == [("Hinata", 1), ("Naruto", 1), ("Sasuke", 1)]
    assert _talks(figures, "Kakashi") == [("Naruto", 2)]


async def test_lines_per_chapter_words_and_share_of_dialogue(store) -> None:
    story = await _add(store, scripted_story(EXCHANGES), "Exchanges")
    figures = await story_figures(store, story)
    naruto = _id(figures, "Naruto")
    assert figures.units == 2 and not figures.by_scene
    assert figures.lines[naruto] == (5, 2)  # the thought counts as a line
    assert figures.lines[None] == (0, 1)
    assert figures.chapters_of[naruto] == (0, 1)
    assert figures.chapters_of[_id(figures, "Hinata")] == (1,)
    assert figures.quotations == 15 == story.quote_count
    quoted = sum(len(q.text.split()) for q in scripted_story(EXCHANGES).quotes)
    assert figures.dialogue_words == quoted
    assert figures.words == story.word_count
    assert [(s.name, n) for s, n in figures.ranked()] == [
        ("Naruto", 7), ("Kakashi", 2), ("Sakura", 2), ("Sasuke", 2), ("Hinata", 1)]


async def test_chapter_limit_leaves_later_chapters_out(store) -> None:
    story = await _add(store, scripted_story(EXCHANGES), "Exchanges")
    figures = await story_figures(store, story, last_chapter=0)
    naruto = _id(figures, "Naruto")
    assert len(figures.chapters) == 1 and figures.by_scene  # one chapter left: its scenes are the units
    assert figures.lines[naruto] == (3, 2)
    assert _id(figures, "Hinata") not in figures.chapters_of
    assert _talks(figures, "Naruto") == [("Sasuke", 3), ("Kakashi", 2), ("Sakura", 1)]
    assert figures.quotations == 10
    whole = await story_figures(store, story)
    assert whole.quotations == 15  # cached per limit, not mixed up


async def test_find_character_by_alias_across_visible_stories(store) -> None:
    cast = [Character("Naruto", ("Naruto-kun",)), Character("Sasuke")]
    mine = await _add(store, scripted_story(EXCHANGES, cast), "Mine")
    small = scripted_story([[[("Naruto", "Only one line here")]]], [Character("Naruto", ("Naruto-kun",))])
    bundled = await _add(store, small, "Bundled", guild_id=None)
    await _add(store, scripted_story(EXCHANGES, cast), "Theirs", guild_id=OTHER)
    await _add(store, scripted_story(EXCHANGES, cast), "Grown", rating="Explicit")
    audience = Audience(GUILD)
    found = await find_character(store, audience, "  naruto-KUN ")
    assert (found.name, found.story.id) == ("Naruto", mine.id)  # most lines first
    assert [s.title for s in found.others] == ["Bundled"]  # not another guild's, not the adult one
    only = await find_character(store, audience, "Naruto", bundled.id)
    assert only.story.id == bundled.id and only.others == ()
    with pytest.raises(CharacterNotFound):
        await find_character(store, audience, "Kakashi", bundled.id)
    with pytest.raises(CharacterNotFound):
        await find_character(store, Audience(None), "Sasuke")  # a DM sees bundled stories only
    by_choice = await find_character(store, audience, f"c:{only.id}")
    assert by_choice.story.id == bundled.id
    with pytest.raises(CharacterNotFound):  # another guild's character, even by id
        theirs = await find_character(store, Audience(OTHER), "Sasuke")
        await find_character(store, audience, f"c:{theirs.id}")


async def test_name_choices_match_names_and_aliases_by_prefix(store) -> None:
    cast = [Character("Naruto", ("Uzumaki Naruto", "Naruto-kun")), Character("Sasuke", ("Uchiha Sasuke",))]
    await _add(store, scripted_story(EXCHANGES, cast), "Mine")
    audience = Audience(GUILD)
    found = await name_choices(store, audience, "uzu")
    assert [(c.name, c.alias, c.story_title) for c in found] == [("Naruto", "Uzumaki Naruto", "Mine")]
    found = await name_choices(store, audience, "u")
    assert {(c.name, c.alias) for c in found} == {("Naruto", "Uzumaki Naruto"), ("Sasuke", "Uchiha Sasuke")}
    assert [c.name for c in await name_choices(store, audience, "naruto")] == ["Naruto"]  # once, no alias
    assert [c.name for c in await name_choices(store, audience, "")][:2] == ["Naruto", "Kakashi"]
    assert await name_choices(store, Audience(OTHER), "naruto") == []


async def test_a_one_chapter_story_is_counted_scene_by_scene(store) -> None:
    script = [[[("Naruto", "First scene line")], ["Only narration here."], [("Sasuke", "Third scene line")],
               ["A closing scene without a word said."]]]
    story = await _add(store, scripted_story(script), "One Chapter")
    figures = await story_figures(store, story)
    assert figures.by_scene and figures.units == 4
    assert figures.lines[_id(figures, "Naruto")] == (1, 0, 0, 0)
    assert figures.lines[_id(figures, "Sasuke")] == (0, 0, 1, 0)
    assert figures.pairs == {}  # different scenes: no exchange


async def test_chapter_limits_hide_characters_who_first_speak_later(store) -> None:
    story = await _add(store, scripted_story(EXCHANGES), "Exchanges")
    audience = Audience(GUILD)
    limited = Audience(GUILD, limits=ChapterLimits(((story.id, 0),)))  # only chapter 1: Hinata first speaks in chapter 2
    assert (await find_character(store, audience, "Hinata", story.id)).name == "Hinata"
    with pytest.raises(CharacterNotFound):
        await find_character(store, limited, "Hinata", story.id)
    assert (await find_character(store, limited, "Sakura", story.id)).name == "Sakura"
    assert [c.name for c in await name_choices(store, audience, "h", story.id)] == ["Hinata"]
    assert await name_choices(store, limited, "h", story.id) == []
    other = Audience(GUILD, limits=ChapterLimits(((story.id + 1, 0),)))  # another story's limit leaves this one whole
    assert [c.name for c in await name_choices(store, other, "h", story.id)] == ["Hinata"]
