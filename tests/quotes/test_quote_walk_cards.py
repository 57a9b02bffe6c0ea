"""A walk's batch reads what its checks need for each line, and the card (story, character,
chapter) of the one line it takes: counted in rows, on SQLite, where a pick is one job."""
from __future__ import annotations

import pytest

from bot.store import Store, quotes
from bot.store.audience import Audience
from bot.store.quotes import QuoteFilters, pick_quote
from tests.quotes.helpers import add, dialogue_story

GUILD = 111
_STORY_ID = quotes._CARD_WIDTH - quotes._STORY_FIELDS  # s.id in a card row: NULL in a row of checks only


@pytest.mark.parametrize("filters", [QuoteFilters(), QuoteFilters(contains="line"), QuoteFilters(character="Naruto")],
                         ids=["line", "blocks", "speakers"])
@pytest.mark.sqlite_only  # PostgreSQL reads every line's card: a second statement would be a round trip
async def test_a_walk_reads_one_card(store: Store, monkeypatch, filters):
    await add(store, dialogue_story("alpha", lines=40))
    await add(store, dialogue_story("beta", lines=40), guild_id=GUILD)
    batches: list[tuple[int, int]] = []  # (lines read, cards among them) per statement of 2+ rows or a card
    original = quotes._OnThread.execute_fetchall

    async def counted(self, sql, params=()):
        rows = await original(self, sql, params)
        cards = sum(1 for row in rows if len(row) >= quotes._CARD_WIDTH and row[_STORY_ID] is not None)
        batches.append((len(rows), cards))
        return rows

    monkeypatch.setattr(quotes._OnThread, "execute_fetchall", counted)
    shown = set()
    for _ in range(30):
        batches.clear()
        card = await pick_quote(store, Audience(GUILD), filters)
        assert card.story.title.startswith("Story ") and card.chapter.number == 7
        assert card.quote.text in {f"{tag} line number {i} has enough words" for tag in ("alpha", "beta")
                                   for i in range(40)}
        shown.add(card.quote.id)
        # A pick taking a line found ahead reads it alone, outside the job; a walk's job reads one card.
        if batches:
            assert sum(cards for _, cards in batches) == 1, batches
            assert max(lines for lines, _ in batches) > 1 or len(batches) > 1
    assert len(shown) == 30
