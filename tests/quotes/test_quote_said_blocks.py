"""A character+words filter across stories walks the words said by that name (one full-text query:
the speaker is in the index) block by block, the blocks sized from the matches in a window of ids
(issue 20: its first pick reads a bounded number of ids whatever the library's size). These fail
on the mistakes such a walk could make: a match shown twice in a pass (or one never shown), a line
of another name, a line past the spoiler limits, another server's or an M-rated story's line."""
from __future__ import annotations

import pytest

from bot.errors import CharacterNotFound, NothingMatches
from bot.parsing.model import Chapter, Character, Quote, Scene, Story
from bot.store import Store, quotes
from bot.store.audience import Audience
from bot.store.quotes import QuoteFilters, pick_quote
from bot.store.spoilers import NO_LIMITS, ChapterLimits
from tests.quotes.helpers import add

GUILD, OTHER = 111, 222
CHAPTERS, PER_CHAPTER = 3, 9


def _story(tag: str, speakers: tuple[str | None, ...], aliases: dict[str, tuple[str, ...]] | None = None) -> Story:
    """Three chapters; line i of chapter c is said by speakers[i % len], holds "lantern" when i is
    even, and is confidently attributed unless i % 3 == 0 (taken in each cycle's second pass)."""
    chapters, lines = [], []
    for c in range(CHAPTERS):
        paragraphs: list[str] = []
        for i in range(PER_CHAPTER):
            text = f"{tag} chapter {c} line {i} {'lantern' if i % 2 == 0 else 'candle'} has enough words"
            speaker = speakers[i % len(speakers)]
            lines.append(Quote(text, "speech", speaker, 0.4 if i % 3 == 0 else 0.9, c, 0, len(paragraphs),
                               1, 1 + len(text)))
            paragraphs.append(f'"{text}" said someone.')
        lines.append(Quote("No!", "speech", speakers[0], 0.9, c, 0, len(paragraphs), 1, 4))  # a fragment
        paragraphs.append('"No!"')
        chapters.append(Chapter(number=c + 1, title=None, scenes=(Scene(None, tuple(paragraphs)),)))
    names = dict.fromkeys(s for s in speakers if s)
    characters = tuple(Character(name, (aliases or {}).get(name, ())) for name in names)
    return Story(title=f"Story {tag}", summary=None, chapters=tuple(chapters), quotes=tuple(lines),
                 characters=characters)


async def _library(store: Store) -> dict[str, int]:
    return {
        "alpha": await add(store, _story("alpha", ("Naruto", "Sasuke", None))),
        # "Uzumaki" answers to "Naruto" too (an alias); Hinata says the word but is another name.
        "beta": await add(store, _story("beta", ("Uzumaki", "Hinata"), {"Uzumaki": ("Naruto",)}), guild_id=GUILD),
        "gamma": await add(store, _story("gamma", ("Naruto", "Sasuke")), guild_id=OTHER),  # another server's
        "delta": await add(store, _story("delta", ("Naruto",)), rating="M"),  # not for an ordinary channel
        "epsilon": await add(store, _story("epsilon", ("Sakura", "Kakashi", "Naruto", "Sasuke"))),
    }


async def _expected(store: Store, visible: set[int], last_chapter: int | None) -> set[int]:
    """Every quotable line with "lantern" a character called (or aliased) Naruto said in a visible
    story, within the limit, found without the full-text index."""
    rows = await store.db.execute_fetchall(
        "SELECT q.id, q.story_id, q.chapter_index, q.text FROM quotes AS q JOIN characters AS c ON c.id = q.character_id"
        " WHERE c.name_key = 'naruto' OR EXISTS (SELECT 1 FROM aliases AS a WHERE a.character_id = c.id"
        " AND a.alias_key = 'naruto')")
    return {qid for qid, sid, chapter, text in rows if sid in visible and "lantern" in text.split()
            and (last_chapter is None or chapter <= last_chapter) and quotes.quotable(text)}


@pytest.mark.parametrize("last_chapter", [None, 0, 1])
async def test_each_line_that_name_said_with_the_words_comes_once_per_cycle_in_many_blocks(
    store: Store, monkeypatch: pytest.MonkeyPatch, last_chapter: int | None
) -> None:
    # Blocks of a few ids (2 matches each by a window of 64 ids): many blocks, some holding only
    # lines past the limits, other servers' or M-rated.
    monkeypatch.setattr(quotes, "_SAID_BLOCK_MATCHES", 2)
    monkeypatch.setattr(quotes, "_SAID_WINDOW", 64)
    ids = await _library(store)
    limits = NO_LIMITS if last_chapter is None else ChapterLimits((), last_chapter)
    audience = Audience(GUILD, limits=limits)
    expected = await _expected(store, {ids["alpha"], ids["beta"], ids["epsilon"]}, last_chapter)
    assert len(expected) >= 5
    filters = QuoteFilters(character="Naruto", contains="lantern")
    for _ in range(3):  # a cycle, and the ones after it
        cards = [await pick_quote(store, audience, filters) for _ in range(len(expected))]
        assert sorted(card.quote.id for card in cards) == sorted(expected)
        # Confident speakers first: the pass's unsure lines come after every sure one.
        sure = [card.quote.confidence >= quotes.CONFIDENT for card in cards]
        assert sure == sorted(sure, reverse=True)
    await store.write_behind.flush()
    ((domain, size),) = await store.db.execute_fetchall("SELECT domain, size FROM quote_cycles")
    bits = quotes._block_bits(domain)
    assert bits is not None and size >> bits >= 3


async def test_an_adult_channel_and_another_server_walk_their_own_lines(store: Store) -> None:
    ids = await _library(store)
    filters = QuoteFilters(character="naruto ", contains="lantern")
    for audience, visible in ((Audience(OTHER, adult=True), {"alpha", "gamma", "delta", "epsilon"}),
                              (Audience(GUILD), {"alpha", "beta", "epsilon"})):
        expected = await _expected(store, {ids[tag] for tag in visible}, None)
        shown = [(await pick_quote(store, audience, filters)).quote.id for _ in range(2 * len(expected))]
        assert sorted(shown[:len(expected)]) == sorted(shown[len(expected):]) == sorted(expected)


async def test_a_name_nobody_here_has_is_unknown_and_a_word_they_never_said_matches_nothing(store: Store) -> None:
    await _library(store)
    with pytest.raises(CharacterNotFound):  # nowhere
        await pick_quote(store, Audience(GUILD), QuoteFilters(character="Gaara", contains="lantern"))
    with pytest.raises(CharacterNotFound):  # only in a story uploaded in GUILD
        await pick_quote(store, Audience(OTHER), QuoteFilters(character="Uzumaki", contains="lantern"))
    with pytest.raises(NothingMatches):  # a word nobody says
        await pick_quote(store, Audience(GUILD), QuoteFilters(character="Naruto", contains="torch"))
    with pytest.raises(NothingMatches):  # others say "candle", Sakura says only "lantern"
        await pick_quote(store, Audience(GUILD), QuoteFilters(character="Sakura", contains="candle"))


def test_blocks_sized_from_a_window_hold_about_the_matches_wanted() -> None:
    # 100 matches among 2^18 ids: blocks of about _BLOCK_MATCHES (64) matches, i.e. 2^18 * 64 / 100 ids.
    domain, size = quotes._blocks_domain(1, 10_000_000, 100, 0, 1 << 18)
    assert domain == "blocks:18" and size >= 10_000_000
    # None in the window: the blocks are the largest allowed, still covering every id.
    domain, size = quotes._blocks_domain(1, 10_000_000, 0, 0, 1 << 18)
    assert quotes._block_bits(domain) == quotes._MAX_BLOCK_BITS and size >= 10_000_000
