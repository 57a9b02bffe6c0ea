"""/quote with a `story` option reads the story the text names in the same round trip as its line
(pick_quote_for guesses it from the last time, audience.remembered_story, and checks the guess
with the title-or-id query read alongside): the story picked from is always the one the text
names now, under the server scope and the age gate, and a wrong guess passes no line over."""
from __future__ import annotations

import pytest

from bot.errors import StoryNotFound
from bot.store import Store
from bot.store.audience import Audience
from bot.store.loader import delete_story
from bot.store.quotes import QuoteFilters, pick_quote_for
from tests.quotes.helpers import add, dialogue_story

GUILD, OTHER, READER = 121, 122, 701


async def _pick(store: Store, audience: Audience, story: str) -> tuple[int, int]:
    card = await pick_quote_for(store, audience, READER, QuoteFilters(), story=story)
    return card.quote.id, card.story.id


async def test_the_story_a_title_names_now_is_the_one_picked_from(store: Store) -> None:
    bundled = await add(store, dialogue_story("bundled", lines=12), title="Shared Tale")
    here = Audience(GUILD)
    shown = []
    for _ in range(4):
        quote_id, story_id = await _pick(store, here, "Shared Tale")
        assert story_id == bundled
        shown.append(quote_id)
    # The server uploads its own story of that title: the title names it from now on (its own first).
    own = await add(store, dialogue_story("own", lines=6), title="shared tale", guild_id=GUILD)
    for _ in range(3):
        assert (await _pick(store, here, "  shared   TALE "))[1] == own
    # ... and again the bundled one once it is gone; by id too.
    await delete_story(store, own)
    for typed in ("Shared Tale", str(bundled)) * 4:
        quote_id, story_id = await _pick(store, here, typed)
        assert story_id == bundled
        shown.append(quote_id)
    # The bundled story's cycle went on without passing a line over (the pick guessed wrong
    # gave its line back): its 12 lines once each.
    assert len(shown) == len(set(shown)) == 12


async def test_a_remembered_story_keeps_the_server_scope_and_the_age_gate(store: Store) -> None:
    adult = await add(store, dialogue_story("adult"), title="Adult Tale", guild_id=GUILD, rating="M")
    after_dark = Audience(GUILD, adult=True)
    for typed in ("Adult Tale", str(adult)) * 2:
        assert (await _pick(store, after_dark, typed))[1] == adult
    for audience in (Audience(GUILD), Audience(OTHER, adult=True), Audience(None)):
        for typed in ("Adult Tale", str(adult)):
            with pytest.raises(StoryNotFound):
                await _pick(store, audience, typed)
    assert (await _pick(store, after_dark, "Adult Tale"))[1] == adult
    await delete_story(store, adult)
    with pytest.raises(StoryNotFound):
        await _pick(store, after_dark, "Adult Tale")


async def test_another_keeps_the_story_of_its_cycle(store: Store) -> None:
    """Another picks with the cycle's story id and no text: that story only, whatever else is warm."""
    first = await add(store, dialogue_story("first", lines=12), title="First Tale", guild_id=GUILD)
    second = await add(store, dialogue_story("second", lines=12), title="Second Tale", guild_id=GUILD)
    here = Audience(GUILD)
    for _ in range(3):  # the unfiltered cycle and the reader's limits are warm
        await pick_quote_for(store, here, READER, QuoteFilters())
        await pick_quote_for(store, here, READER, QuoteFilters(), story="Second Tale")
    for story_id in (first, second) * 4:
        card = await pick_quote_for(store, here, READER, QuoteFilters(story_id=story_id))
        assert card.story.id == story_id
