"""Spoiler limits in the store: chapter_limits (server, reader, both) and every repository that
shows story text stopping at them."""
from __future__ import annotations

import random
from dataclasses import replace

import pytest

from bot.errors import ChapterNotFound, CharacterNotFound, NothingMatches
from bot.store import Store, reading, spoilers
from bot.store import trivia as trivia_repo
from bot.store.audience import Audience
from bot.store.characters import find_character, name_choices
from bot.store.library import limited_details, story_details
from bot.store.quotes import QuoteFilters, pick_excerpt, pick_quote
from bot.store.search import new_search, search_page
from bot.store.spoilers import NO_LIMITS, ChapterLimits, chapter_limits
from bot.store.stories import get_story
from tests.quotes.helpers import add
from tests.spoilers.helpers import CAST, LATECOMER, chaptered_story, leaked

GUILD, OTHER = 111, 222
READER, OTHER_READER, MOD = 5, 6, 7


async def _story(store: Store) -> int:
    return await add(store, chaptered_story(), title="Limit Tale", guild_id=GUILD)


async def _limited(store: Store, story_id: int, last: int = 0, user: int | None = None) -> Audience:
    await spoilers.set_limit(store, GUILD, story_id, last, MOD)
    return Audience(GUILD, limits=await chapter_limits(store, GUILD, user))


async def test_no_limits_anywhere_by_default(store: Store) -> None:
    await _story(store)
    assert await chapter_limits(store, GUILD, READER) == NO_LIMITS
    assert NO_LIMITS.key() is None and NO_LIMITS.shows(1, 10_000)


async def test_server_limit_is_per_server_and_story(store: Store) -> None:
    story_id = await _story(store)
    await spoilers.set_limit(store, GUILD, story_id, 1, MOD)
    here = await chapter_limits(store, GUILD, READER)
    assert here.last_chapter(story_id) == 1 and here.last_chapter(story_id + 1) is None
    assert here.shows(story_id, 1) and not here.shows(story_id, 2)
    assert (await chapter_limits(store, OTHER, READER)).unlimited
    assert await spoilers.clear_limit(store, GUILD, story_id)
    assert not await spoilers.clear_limit(store, GUILD, story_id)
    assert (await chapter_limits(store, GUILD, READER)).unlimited


async def test_reader_mode_follows_bookmarks_and_defaults_to_the_first_chapter(store: Store) -> None:
    story_id = await _story(store)
    await spoilers.set_reader_mode(store, READER, True)
    fresh = await chapter_limits(store, None, READER)
    assert fresh.last_chapter(story_id) == spoilers.UNREAD_LAST_CHAPTER == 0
    reading.save_bookmark_later(store, READER, story_id, 2, 1)  # written behind: still counted
    assert (await chapter_limits(store, None, READER)).last_chapter(story_id) == 2
    # The server's limit still holds where it is tighter; the reader's where theirs is.
    await spoilers.set_limit(store, GUILD, story_id, 1, MOD)
    assert (await chapter_limits(store, GUILD, READER)).last_chapter(story_id) == 1
    assert (await chapter_limits(store, GUILD, OTHER_READER)).last_chapter(story_id) == 1
    await spoilers.set_reader_mode(store, READER, False)
    assert (await chapter_limits(store, None, READER)).unlimited


async def test_chapter_numbers_are_the_storys_own(store: Store) -> None:
    story = await get_story(store, await _story(store))
    assert (await spoilers.chapter_for_number(store, story, 2)).index == 1
    with pytest.raises(ChapterNotFound, match="no chapter 9"):
        await spoilers.chapter_for_number(store, story, 9)


@pytest.mark.parametrize("filters", [
    {}, {"story": True}, {"character": CAST[0]}, {"contains": "lantern"},
    {"story": True, "character": CAST[1]}, {"story": True, "contains": "burns low"},
    {"story": True, "character": CAST[2], "contains": "lantern"},
])
async def test_quote_filters_stop_at_the_limit_and_never_repeat(store: Store, filters: dict) -> None:
    story_id = await _story(store)
    audience = await _limited(store, story_id)
    chosen = QuoteFilters(story_id if filters.get("story") else None, filters.get("character"), filters.get("contains"))
    expected = 8 if chosen.character is None else 2  # chapter 1's lines (each of the four speaks twice)
    rng = random.Random(3)
    seen = [(await pick_quote(store, audience, chosen, rng=rng)).quote.text for _ in range(expected)]
    assert not [t for t in seen if leaked(t)], seen
    assert len(set(seen)) == expected  # the whole of chapter 1 before any repeat
    assert (await pick_quote(store, audience, chosen, rng=rng)).quote.text in seen


async def test_a_limit_is_a_cycle_of_its_own(store: Store) -> None:
    story_id = await _story(store)
    everything = Audience(GUILD)
    limited = await _limited(store, story_id)
    filters = QuoteFilters(story_id)
    first = await pick_quote(store, everything, filters, rng=random.Random(1))
    later = [(await pick_quote(store, limited, filters, rng=random.Random(2))).quote.text for _ in range(8)]
    assert len(set(later)) == 8 and not [t for t in later if leaked(t)]
    assert first.cycle_id != (await pick_quote(store, limited, filters)).cycle_id


async def test_nothing_past_the_limit_matches(store: Store) -> None:
    story_id = await _story(store)
    audience = await _limited(store, story_id)
    for filters in (QuoteFilters(story_id, contains="gamma"), QuoteFilters(None, LATECOMER),
                    QuoteFilters(story_id, LATECOMER)):
        with pytest.raises(NothingMatches, match="spoiler limits"):
            await pick_quote(store, audience, filters)


async def test_excerpts_stop_at_the_limit(store: Store) -> None:
    story_id = await _story(store)
    audience = await _limited(store, story_id, last=1)
    rng = random.Random(5)
    shown = [await pick_excerpt(store, audience, story_id, rng=rng) for _ in range(30)]
    shown += [await pick_excerpt(store, audience, None, rng=rng) for _ in range(30)]
    texts = [p.text for e in shown for p in e.paragraphs]
    assert not [t for t in texts if leaked(t, 1)]
    assert {e.chapter.index for e in shown} == {0, 1}


async def test_reader_mode_excerpts_without_bookmarks_show_first_chapters(store: Store) -> None:
    story_id = await _story(store)
    await spoilers.set_reader_mode(store, READER, True)
    audience = Audience(GUILD, limits=await chapter_limits(store, GUILD, READER))
    rng = random.Random(9)
    for _ in range(20):
        excerpt = await pick_excerpt(store, audience, None, rng=rng)
        assert excerpt.story.id == story_id and excerpt.chapter.index == 0


async def test_search_counts_and_pages_only_what_the_limit_shows(store: Store) -> None:
    story_id = await _story(store)
    audience = await _limited(store, story_id)
    search = new_search(store, READER, audience, "lantern", story_id)
    page = await search_page(store, search, limits=audience.limits)
    assert page.total == 8 and {h.chapter_index for h in page.hits} == {0}
    assert (await search_page(store, search)).total == 28  # the same search without the limit
    gamma = new_search(store, READER, audience, "gamma")
    assert (await search_page(store, gamma, limits=audience.limits)).total == 0


async def test_trivia_material_stops_at_the_limit(store: Store) -> None:
    story_id = await _story(store)
    audience = await _limited(store, story_id)
    (material,) = await trivia_repo.load_game_material(store, audience, story_id, random.Random(1))
    assert len(material.chapters) == 1
    assert {p.chapter for p in material.paragraphs} == {0} and {line.chapter for line in material.lines} == {0}
    assert LATECOMER not in {c.name for c in material.characters}
    assert not leaked(" ".join(p.text for p in material.paragraphs))
    (whole,) = await trivia_repo.load_game_material(store, Audience(GUILD), story_id, random.Random(1))
    assert len(whole.chapters) == 3 and LATECOMER in {c.name for c in whole.characters}


async def test_story_details_under_a_limit(store: Store) -> None:
    story = await get_story(store, await _story(store))
    details = await story_details(store, story)
    assert LATECOMER in {c.name for c in details.main_characters}
    shown = await limited_details(store, details, 0)
    assert [c.index for c in shown.chapters] == [0] and shown.chapters_hidden == 2
    assert {c.name for c in shown.main_characters} == set(CAST)
    assert all(c.lines == 2 for c in shown.main_characters)
    assert await limited_details(store, details, 2) == details


def test_limits_key_is_stable_and_names_the_default() -> None:
    limits = ChapterLimits(((12, 3), (4, 0)), 0)
    assert limits.key() == '{"*":0,"12":3,"4":0}'
    assert replace(limits, default=None).key() == '{"12":3,"4":0}'


async def test_aliases_are_not_matched_under_a_limit(store: Store) -> None:
    """Which chapter reveals an alias isn't stored: under a limit, a lookup or autocomplete by alias
    finds nothing (it would confirm a late secret name); without one it finds the character."""
    story_id = await _story(store)
    open_audience = Audience(GUILD)
    assert (await find_character(store, open_audience, "the masked heir")).name == "Quillon"
    assert [c.name for c in await name_choices(store, open_audience, "the mask")] == ["Quillon"]
    limited = await _limited(store, story_id)
    with pytest.raises(CharacterNotFound):
        await find_character(store, limited, "the masked heir")
    assert await name_choices(store, limited, "the mask") == []
    assert (await find_character(store, limited, "Quillon")).name == "Quillon"
