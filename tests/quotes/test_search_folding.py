"""Accents fold the same way on both engines (FTS5 unicode61 remove_diacritics 2 on SQLite, the
`storybot` configuration with unaccent on PostgreSQL, migration 0011): "cafe" finds "café" and
"café" finds "cafe", in /search and in /quote's `contains:`, and the snippet shows the text as
written. The `store` fixture runs each test on both engines with the same expectations."""
from __future__ import annotations

import pytest

from bot.errors import NothingMatches
from bot.store import Store
from bot.store.audience import Audience
from bot.store.quotes import QuoteFilters, pick_quote
from bot.store.search import MATCH_END, MATCH_START, save_search, search_page
from tests.quotes.helpers import add, dialogue_story, prose_story

PARAGRAPHS = (
    "They met at the café at noon.",
    "A plain cafe sign hung over the door.",
    "Ångström thought it NAÏVE, and the façade crème.",
    "Nothing to see here.",
)


async def _found(store: Store, words: str) -> set[str]:
    page = await search_page(store, await save_search(store, 1, Audience(None), words))
    return {hit.snippet.replace(MATCH_START, "").replace(MATCH_END, "") for hit in page.hits}


async def test_search_folds_accents_in_the_text_and_the_query(store: Store) -> None:
    await add(store, prose_story("f", (PARAGRAPHS,)))
    cafes = {PARAGRAPHS[0], PARAGRAPHS[1]}
    for words in ("cafe", "café", "CAFÉ", "Cafe"):
        assert await _found(store, words) == cafes, words
    for words in ("angstrom", "naive", "ÅNGSTRÖM naïve", "facade creme", "Façade"):
        assert await _found(store, words) == {PARAGRAPHS[2]}, words
    assert await _found(store, "cafes") == set()


async def test_the_snippet_marks_the_word_as_written(store: Store) -> None:
    await add(store, prose_story("f", (PARAGRAPHS,)))
    page = await search_page(store, await save_search(store, 1, Audience(None), "cafe naive"))
    assert page.total == 0
    page = await search_page(store, await save_search(store, 1, Audience(None), "angstrom facade"))
    (hit,) = page.hits
    assert f"{MATCH_START}Ångström{MATCH_END}" in hit.snippet
    assert f"{MATCH_START}façade{MATCH_END}" in hit.snippet
    page = await search_page(store, await save_search(store, 1, Audience(None), "café"))
    snippets = sorted(hit.snippet for hit in page.hits)
    assert any(f"{MATCH_START}café{MATCH_END}" in s for s in snippets)
    assert any(f"{MATCH_START}cafe{MATCH_END}" in s for s in snippets)


async def test_quote_contains_folds_accents(store: Store) -> None:
    extra = ("Meet me at the café before noon today", "The crème brûlée was far too sweet")
    await add(store, dialogue_story("alpha", lines=3, extra_quotes=extra))
    for words, expected in (("cafe", extra[0]), ("CAFÉ noon", extra[0]), ("creme brulee", extra[1])):
        card = await pick_quote(store, Audience(None), QuoteFilters(contains=words))
        assert card.quote.text == expected, words
        card = await pick_quote(store, Audience(None), QuoteFilters(character="Naruto", contains=words))
        assert card.quote.text == expected, words
    with pytest.raises(NothingMatches):
        await pick_quote(store, Audience(None), QuoteFilters(character="Sasuke", contains="cafe"))
