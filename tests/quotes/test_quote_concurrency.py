"""Concurrent /quote picks over one filter: they overlap their queries and still never repeat a line."""
from __future__ import annotations

import asyncio

from bot.store import Store, quotes
from bot.store.audience import Audience
from bot.store.quotes import QuoteFilters

WORKERS, PICKS = 20, 5


async def test_concurrent_picks_overlap_their_queries_and_never_repeat(fresh_database, monkeypatch) -> None:
    in_flight = most = 0
    original = quotes._batch_rows

    async def counted(*args, **kwargs):
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        try:
            return await original(*args, **kwargs)
        finally:
            in_flight -= 1

    monkeypatch.setattr(quotes, "_batch_rows", counted)
    async with Store.open(fresh_database()) as store:
        audience = Audience(1)
        await quotes.pick_quote(store, audience, QuoteFilters())  # the cycle is in memory now
        shown: list[int] = []

        async def worker() -> None:
            for _ in range(PICKS):
                shown.append((await quotes.pick_quote(store, audience, QuoteFilters())).quote.id)

        await asyncio.gather(*(worker() for _ in range(WORKERS)))
        async with store.db.execute("SELECT count(*) FROM quotes") as cur:
            (lines,) = await cur.fetchone()
    assert lines > WORKERS * PICKS + 1  # one cycle holds every pick
    assert len(set(shown)) == len(shown) == WORKERS * PICKS
    # Picks that knew their line waited only for their own query, not for one another's.
    assert most > 1
