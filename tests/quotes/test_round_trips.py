"""Database round trips before the reply (issue 20: /quote in at most two; once warm it takes one
with any options): /quote with every option combination, /search and /excerpt with and without a
story, counted through the local Discord; and story_and_limits (the story and the reader's limits
in one read) on both engines."""
from __future__ import annotations

import pytest

from bot.errors import StoryNotFound
from bot.store import Store, spoilers
from bot.store.audience import Audience, resolve_story, story_and_limits
from tests.quotes.helpers import add, dialogue_story, prose_story
from tests.roundtrips import RoundTrips

MAX_TRIPS = 2


async def _trips_of(storybot, trips: RoundTrips, command: str, options: dict, *, calls: int = 3) -> list[int]:
    """Round trips of each of `calls` replies, after two warm-up calls (a cycle started, limits seen)."""
    counts = []
    for i in range(2 + calls):
        await storybot.store.write_behind.flush()
        trips.count, trips.counting = 0, i >= 2
        reply = await (await storybot.run(command, options)).reply()
        trips.counting = False
        assert reply.embeds, (command, options, reply.content)
        if i >= 2:
            counts.append(trips.count)
    return counts


@pytest.mark.parametrize("limited", [False, True], ids=["no limits", "a server limit"])
async def test_quote_takes_one_round_trip_with_every_option_when_warm(storybot, monkeypatch, limited) -> None:
    story_id = await add(storybot.store, dialogue_story("spark", lines=60), title="Spark Tale",
                         guild_id=storybot.guild.id)
    if limited:
        await spoilers.set_limit(storybot.store, storybot.guild.id, story_id, 0, storybot.admin.id)
    trips = RoundTrips(monkeypatch, counting=False, foreground_only=True)
    combinations = [
        {}, {"character": "Naruto"}, {"contains": "enough words"}, {"character": "Sasuke", "contains": "line"},
        {"story": str(story_id)}, {"story": "spark tale"}, {"story": str(story_id), "character": "Sasuke"},
        {"story": "Spark Tale", "contains": "enough"},
        {"story": str(story_id), "character": "Naruto", "contains": "words"},
    ]
    for options in combinations:
        counts = await _trips_of(storybot, trips, "quote", options)
        # Warm (the cycle in memory, the reader's limits and the story's name seen before): the
        # limits, the story's title-or-id query and the line in one round trip, whatever the options.
        assert counts == [1, 1, 1], (options, counts)


async def test_search_and_excerpt_take_at_most_two_round_trips(storybot, monkeypatch) -> None:
    scenes = ((*(f"Paragraph {i} mentions a zebra." for i in range(12)), "Nothing here."),)
    story_id = await add(storybot.store, prose_story("z", scenes), title="Zebra Tale", guild_id=storybot.guild.id)
    trips = RoundTrips(monkeypatch, counting=False, foreground_only=True)
    for command, options in [
        ("search", {"text": "zebra"}), ("search", {"text": "zebra", "story": "zebra tale"}),
        ("search", {"text": "zebra", "story": str(story_id)}), ("excerpt", {"story": str(story_id)}),
    ]:
        counts = await _trips_of(storybot, trips, command, options)
        assert max(counts) <= MAX_TRIPS, (command, options, counts)


# --- story_and_limits: what resolve_story and chapter_limits answer, on both engines -------------

GUILD, OTHER, READER, MOD = 71, 72, 601, 602


async def test_story_and_limits_answers_as_the_two_reads_do(store: Store) -> None:
    mine = await add(store, dialogue_story("mine"), title="Mine Tale", guild_id=GUILD)
    theirs = await add(store, dialogue_story("theirs"), title="Their Tale", guild_id=OTHER)
    adult = await add(store, dialogue_story("adult"), title="Adult Tale", guild_id=GUILD, rating="M")
    here, after_dark = Audience(GUILD), Audience(GUILD, adult=True)
    await spoilers.set_limit(store, GUILD, mine, 0, MOD)
    for typed in ("Mine Tale", "  mine   tale ", str(mine), "Mine", None, "  "):
        story, limits = await story_and_limits(store, here, typed, READER)
        expected = await resolve_story(store, here, typed) if typed and typed.strip() else None
        assert story == expected and limits == await spoilers.chapter_limits(store, GUILD, READER), typed
    assert (await story_and_limits(store, here, "mine tale", READER))[0].id == mine
    # Server scope and the age gate hold, by title and by the id autocomplete sends.
    for typed in ("Their Tale", str(theirs), "Adult Tale", str(adult), "no such tale"):
        with pytest.raises(StoryNotFound):
            await story_and_limits(store, here, typed, READER)
    assert (await story_and_limits(store, after_dark, str(adult), READER))[0].id == adult
    # The reader's own mode: their (absent) bookmarks tighten the limits to the first chapter.
    await spoilers.set_reader_mode(store, READER, True)
    story, limits = await story_and_limits(store, here, "Mine Tale", READER)
    assert story is not None and story.id == mine
    assert limits == await spoilers.chapter_limits(store, GUILD, READER) and limits.default == 0
    # Lifted by another command: seen at once.
    await spoilers.set_reader_mode(store, READER, False)
    await spoilers.clear_limit(store, GUILD, mine)
    assert (await story_and_limits(store, here, str(mine), READER))[1].unlimited


async def test_search_without_a_story_reads_the_limits_with_its_page(storybot, monkeypatch) -> None:
    scenes = ((*(f"Paragraph {i} mentions a zebra." for i in range(12)), "Nothing here."),)
    await add(storybot.store, prose_story("z", scenes), title="Zebra Tale", guild_id=storybot.guild.id)
    counts = await _trips_of(storybot, RoundTrips(monkeypatch, counting=False, foreground_only=True), "search", {"text": "zebra"})
    assert counts == [1, 1, 1], counts


async def test_search_page_for_holds_a_limit_set_or_lifted_since_the_last_search(store: Store) -> None:
    from bot.store.search import new_search, search_page_for
    from tests.spoilers.helpers import chaptered_story

    story_id = await add(store, chaptered_story(lines=2), title="Lantern Tale", guild_id=GUILD)  # 2+2+6 lines
    search = new_search(store, READER, Audience(GUILD), "lantern")
    await store.write_behind.flush()
    assert (await search_page_for(store, search, GUILD, READER)).total == 10
    await spoilers.set_limit(store, GUILD, story_id, 0, MOD)
    assert (await search_page_for(store, search, GUILD, READER)).total == 2
    assert (await search_page_for(store, search, GUILD, READER)).total == 2
    await spoilers.set_reader_mode(store, READER, True)
    await spoilers.clear_limit(store, GUILD, story_id)
    assert (await search_page_for(store, search, GUILD, READER)).total == 2  # no bookmark: chapter 1 only
    await spoilers.set_reader_mode(store, READER, False)
    assert (await search_page_for(store, search, GUILD, READER)).total == 10


async def test_quote_from_a_small_story_starts_its_next_cycle_in_the_same_round_trip(storybot, monkeypatch) -> None:
    """Three lines: every third /quote finds its cycle's end and starts the next (3 round trips
    before, with every /quote of the story waiting behind them)."""
    await add(storybot.store, dialogue_story("tiny", lines=3), title="Tiny Tale", guild_id=storybot.guild.id)
    trips = RoundTrips(monkeypatch, counting=False, foreground_only=True)
    counts = await _trips_of(storybot, trips, "quote", {"story": "Tiny Tale"}, calls=9)
    assert counts == [1] * 9, counts
