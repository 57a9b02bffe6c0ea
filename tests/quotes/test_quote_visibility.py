"""/quote never shows a line its audience may not see, whatever the filters: an M-rated story's
lines stay out of ordinary channels and another server's uploaded story stays in that server.

Every story here has the same speakers and a line with the same words, so each filter matches lines
in every story and only the age gate and the server scope keep the hidden ones out. Each check
walks more picks than there are matching lines in all the stories together, so a hidden line that
had slipped into a cycle would be shown.
"""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.errors import NothingMatches
from bot.store import Store, quotes
from bot.store.audience import Audience
from bot.store.quotes import QuoteFilters, pick_quote
from tests.quotes.helpers import add, dialogue_story

HERE, ELSEWHERE = 111, 222
SHARED_LINE = "Believe it, the secret word is dattebayo"
LINES = 4  # per story, plus SHARED_LINE


@dataclass(frozen=True)
class Library:
    bundled: int  # rated T, every server
    adult: int  # bundled, rated M
    own: int  # uploaded in HERE
    own_adult: int  # uploaded in HERE, rated Explicit
    foreign: int  # uploaded in ELSEWHERE

    @property
    def everything(self) -> set[int]:
        return {self.bundled, self.adult, self.own, self.own_adult, self.foreign}


@pytest.fixture(params=["matches", "probe"])
def word_filter(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways a `contains` filter is walked: its full-text matches themselves, or the lines of
    the story, character or scope with a full-text probe each (what many matches choose)."""
    if request.param == "probe":
        monkeypatch.setattr(quotes, "_MATCHES_MAX", 0)
    return request.param


@pytest.fixture
async def library(store: Store, word_filter: str) -> Library:
    def story(tag: str):
        return dialogue_story(tag, lines=LINES, speakers=("Naruto", "Sasuke"), extra_quotes=(SHARED_LINE,))

    return Library(
        bundled=await add(store, story("open")),
        adult=await add(store, story("grown"), rating="M"),
        own=await add(store, story("ours"), guild_id=HERE),
        own_adult=await add(store, story("ours grown"), guild_id=HERE, rating="Explicit"),
        foreign=await add(store, story("theirs"), guild_id=ELSEWHERE),
    )


# (audience, the stories it may be shown)
def _audiences(lib: Library) -> list[tuple[Audience, set[int]]]:
    return [
        (Audience(HERE), {lib.bundled, lib.own}),
        (Audience(HERE, adult=True), {lib.bundled, lib.adult, lib.own, lib.own_adult}),
        (Audience(ELSEWHERE), {lib.bundled, lib.foreign}),
        (Audience(None), {lib.bundled}),
        (Audience(None, adult=True), {lib.bundled, lib.adult}),
    ]


# Filters without a story: each matches lines in all five stories.
ACROSS_STORIES = {
    "no filter": QuoteFilters(),
    "character": QuoteFilters(character="Naruto"),
    "contains": QuoteFilters(contains="dattebayo"),
    "character+contains": QuoteFilters(character="Sasuke", contains="line number"),
}
# Filters with a story, as (character, contains).
WITH_STORY = {
    "story": (None, None),
    "story+character": ("Naruto", None),
    "story+contains": (None, "dattebayo"),
    "story+character+contains": ("Sasuke", "line number"),
}


async def _shown_stories(store: Store, audience: Audience, filters: QuoteFilters) -> set[int]:
    picks = 5 * (LINES + 1) + 1  # more than every matching line of every story
    return {(await pick_quote(store, audience, filters)).story.id for _ in range(picks)}


@pytest.mark.parametrize("name", ACROSS_STORIES)
async def test_filters_across_stories_show_only_what_the_audience_may_see(
    store: Store, library: Library, name: str
) -> None:
    for audience, visible in _audiences(library):
        shown = await _shown_stories(store, audience, ACROSS_STORIES[name])
        assert shown == visible, (name, audience)


@pytest.mark.parametrize("name", WITH_STORY)
async def test_a_story_filter_never_reaches_a_story_the_audience_may_not_see(
    store: Store, library: Library, name: str
) -> None:
    character, contains = WITH_STORY[name]
    for audience, visible in _audiences(library):
        for story_id in sorted(library.everything):
            filters = QuoteFilters(story_id, character, contains)
            if story_id in visible:
                assert await _shown_stories(store, audience, filters) == {story_id}, (name, audience)
            else:
                with pytest.raises(NothingMatches):
                    await pick_quote(store, audience, filters)
