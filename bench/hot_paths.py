"""Database round trips and time per call of the read paths behind /quote, /excerpt, /search,
/story list, /story info and the autocompletes, on a temporary database holding the seeds.

    .venv/bin/python bench/hot_paths.py [--calls 300] [--profile excerpt]

A round trip is one job queued to aiosqlite's worker thread (each costs a thread hop, and the
queue is shared by every interaction in flight), so the count matters as much as the time.
"""
from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _roundtrips import RoundTrips  # noqa: E402

from bot.store import Store  # noqa: E402
from bot.store.audience import Audience, character_choices, resolve_story, story_choices  # noqa: E402
from bot.store.library import library_page, story_details  # noqa: E402
from bot.store.loader import load_directory  # noqa: E402
from bot.store.quotes import QuoteFilters, cycle_filters, pick_excerpt, pick_quote, quote_context  # noqa: E402
from bot.store.search import get_search, save_search, search_page  # noqa: E402

GUILD = 1


async def scenarios(store: Store) -> dict[str, Callable[[], Awaitable[object]]]:
    audience = Audience(GUILD)
    story = (await story_choices(store, audience, ""))[0]
    title = story.title
    card = await pick_quote(store, audience, QuoteFilters())
    saved = await save_search(store, 7, audience, "the")

    async def another() -> object:
        filters = await cycle_filters(store, card.cycle_id or 0, audience)
        assert filters is not None
        return await pick_quote(store, audience, filters)

    async def search_next() -> object:
        search = await get_search(store, saved.id)
        assert search is not None
        return await search_page(store, search, 1)

    return {
        "quote": lambda: pick_quote(store, audience, QuoteFilters()),
        "quote (Another)": another,
        "quote story=": lambda: pick_quote(store, audience, QuoteFilters(story_id=story.id)),
        "quote context": lambda: quote_context(store, audience, card.quote.id),
        "excerpt": lambda: pick_excerpt(store, audience),
        "excerpt story=": lambda: pick_excerpt(store, audience, story.id),
        "search": lambda: search_page(store, saved),
        "search (Next)": search_next,
        "story list": lambda: library_page(store, GUILD, 0, adult=False),
        "story info": lambda: _info(store, audience, title),
        "story autocomplete": lambda: story_choices(store, audience, "th"),
        "character autocomplete": lambda: character_choices(store, audience, "a", None),
        "character autocomplete story=": lambda: character_choices(store, audience, "a", str(story.id)),
    }


async def _info(store: Store, audience: Audience, title: str) -> object:
    return await story_details(store, await resolve_story(store, audience, title))


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="storybot-hot-") as scratch:
        async with Store.open(Path(scratch) / "hot.db") as store:
            await load_directory(store, ROOT / "seeds")
            cases = await scenarios(store)
            if args.profile:
                work = cases[args.profile]
                profiler = cProfile.Profile()
                profiler.enable()
                for _ in range(args.calls):
                    await work()
                profiler.disable()
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
                return
            print(f"{'path':32} {'round trips':>11} {'µs/call':>9}")
            for name, work in cases.items():
                await work()  # warm caches and cycles
                with RoundTrips() as trips:
                    started = time.perf_counter()
                    for _ in range(args.calls):
                        await work()
                    elapsed = time.perf_counter() - started
                print(f"{name:32} {trips.count / args.calls:11.1f} {elapsed / args.calls * 1e6:9.0f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--profile", help="print a cProfile of one path instead of the table")
    asyncio.run(main(parser.parse_args()))
