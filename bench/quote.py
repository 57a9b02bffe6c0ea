"""/quote pick latency at 10^5 .. 10^7 quotations, for every filter combination, beside the naive
`ORDER BY RANDOM() LIMIT 1` with the same filters, measured in the same run.

For each size: a temporary database through the real migrations and the real loader
(bot/store/loader.py, foreign keys on): stories of 1,000 quotations, one paragraph each, in ten
chapters; 5 of 50 character names per story, every sixth line without a speaker; 6-word lines
from a 4,096-word vocabulary drawn with Zipf frequencies (so `contains` meets common and rare
words), every tenth a 2-word fragment /quote must skip. Of the stories, 70 % are bundled, 20 % the
measured guild's own, 10 % another guild's, and every seventh is rated M (the measured channel is
not age-restricted), so the server scope and the age gate are exercised on every filter.

Per filter combination: "first" is a filter's first pick (no cycle stored or remembered: each
sample uses a new story, character or word), "steady" the picks that follow on one filter. Both
are wall clock around `pick_quote`, its writes behind the reply included as they happen ("cpu"
is this process's CPU time per pick, first or steady: what a pick costs when it gets a core at
once, since on a shared machine wall-clock p99 mostly measures waiting for one); "trips" is the
mean number of jobs queued to the database thread per steady pick, background writes included.
`--only` measures some combinations, `--no-naive` skips the ORDER BY RANDOM() baseline, `--worst`
prints each combination's dearest first pick (its CPU time, wall time and filters: with 30 first
picks, "p99" is that one sample). Objects made before the picks are frozen out of the garbage
collector's reach as the bot freezes its start-up objects (`--no-freeze`: not).

With `--spoiler-chapters K` every pick runs under a spoiler limit showing only the first K of each
story's ten chapters (as `/spoilers mine` does for a reader with no bookmarks when K=1): the limit
is part of each filter's no-repeat cycle, and the lines past it are passed over.

With `--visible P` the measured guild sees only P % of the library's stories (the others become
another guild's: a bot serving many servers, or an ordinary channel where most stories are rated
M): the first pick of a word filter then meets long runs of blocks it may not see. The database is
a copy of the size's (kept in the cache as quote-10^N-visibleP.db) whose stories are moved between
guilds without rebuilding the scopes' dense lines or name lines, so only the filters that use
neither are measured (not `no filter` nor `character`).

With `--cache DIR` a size's database is built once and kept in DIR (quote-10^N.db and its story
list; about 5 GB at 10^7), and later runs reuse it: the stored /quote cycles are dropped first, so
every first pick is a first pick again. A database built by older code is migrated on open, as the
bot's would be (the time it takes is printed).

With `--url postgresql://...` (a server's URL, with `--cache`) the picks run on PostgreSQL: each size's
SQLite database in the cache (built first when missing) is copied once into the database
`storybot_quote_N` on that server (bot/store/copy.py: the same rows, so the same filters), then
analyzed; later runs reuse it when it holds the same stories. (The ORDER BY RANDOM() baseline is
SQLite's: use `--no-naive`.)

    .venv/bin/python bench/quote.py [--sizes 5,6] [--picks 2000] [--firsts 100] [--spoiler-chapters K]
        [--cache DIR] [--only character,story+character] [--no-naive] [--worst] [--no-freeze] [--visible P]
        [--url postgresql://USER@127.0.0.1:PORT/postgres]
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from itertools import accumulate
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _roundtrips import RoundTrips

from bot.errors import UserError
from bot.parsing.model import Chapter, Character, Quote, Scene, Story
from bot.store import Store
from bot.store.audience import RATING_SQL, Audience
from bot.store.fts import fts_query
from bot.store.loader import load_story
from bot.store.quotes import QuoteFilters, pick_quote
from bot.store.spoilers import NO_LIMITS, ChapterLimits

GUILD, OTHER_GUILD = 777, 888
PER_STORY = 1000
CHAPTERS = 10
CHARACTERS = 5  # per story; lines with seq % 6 == 5 have no speaker
NAMES = 50  # character names drawn from this many, so a name spans many stories
VOCABULARY = 4096
COMBINATIONS = ("no filter", "story", "character", "contains", "story+character", "story+contains",
                "character+contains", "story+character+contains")


def _vocabulary(rng: random.Random) -> list[str]:
    words: set[str] = set()
    while len(words) < VOCABULARY:
        words.add("".join(rng.choice("abcdefghijklmnoprstuvwy") for _ in range(rng.randint(3, 9))))
    return sorted(words)


def _story(sid: int, words: list[str], cumulative: list[float], rng: random.Random) -> Story:
    names = [f"Name{(sid * 7 + k) % NAMES}" for k in range(CHARACTERS)]
    chapters, quotes = [], []
    per_chapter = PER_STORY // CHAPTERS
    for c in range(CHAPTERS):
        paragraphs = []
        for p in range(per_chapter):
            seq = c * per_chapter + p
            text = " ".join(rng.choices(words, cum_weights=cumulative, k=2 if seq % 10 == 9 else 6))
            speaker = None if seq % 6 == 5 else names[seq % 6]
            paragraphs.append(f'"{text}," someone said.')
            quotes.append(Quote(text, "speech", speaker, 0.5 + (seq % 5) / 10, c, 0, p, 1, 1 + len(text)))
        chapters.append(Chapter(number=c + 1, title=None, scenes=(Scene(None, tuple(paragraphs)),)))
    return Story(title=f"Story {sid}", summary=None, chapters=tuple(chapters), quotes=tuple(quotes),
                 characters=tuple(Character(n) for n in names))


async def populate(store: Store, quotations: int, rng: random.Random) -> tuple[list[str], dict[int, tuple]]:
    """Load the stories through the loader; returns the vocabulary (most frequent first) and
    each story's (guild, rating, character names)."""
    words = _vocabulary(rng)
    cumulative = list(accumulate(1 / (rank + 1) for rank in range(VOCABULARY)))
    stories: dict[int, tuple] = {}
    for n in range(1, max(1, quotations // PER_STORY) + 1):
        guild = GUILD if n % 5 == 0 else OTHER_GUILD if n % 10 == 1 else None
        rating = "M" if n % 7 == 0 else "T"
        story = _story(n, words, cumulative, rng)
        sid = await load_story(store, story, title=story.title or "", rating=rating, content_hash=f"bench-{n}",
                               guild_id=guild)
        stories[sid] = (guild, rating, [c.name for c in story.characters])
    await store.db.execute("ANALYZE")
    return words, stories


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ms = sorted(s * 1000 for s in samples)
    if not ms:
        return float("nan"), float("nan")
    return statistics.median(ms), ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))]


class Library:
    """What the filters draw from: the measured guild's visible stories, names and words."""

    def __init__(self, words: list[str], stories: dict[int, tuple], rng: random.Random) -> None:
        self.rng = rng
        self.words = words
        self.visible = [sid for sid, (guild, rating, _) in stories.items()
                        if guild in (None, GUILD) and rating != "M"]
        self.names = {sid: names for sid, (_, _, names) in stories.items()}

    def story(self) -> int:
        return self.rng.choice(self.visible)

    def name(self, story_id: int | None = None) -> str:
        return self.rng.choice(self.names[story_id if story_id is not None else self.story()])

    def word(self) -> str:
        # Ranks 0-299 of the Zipf vocabulary: from a word in most lines to one in a few hundredths of them.
        return self.words[self.rng.randrange(300)]

    def filters(self, combination: str) -> QuoteFilters:
        parts = combination.split("+")
        story = self.story() if "story" in parts else None
        character = self.name(story) if "character" in parts else None
        contains = self.word() if "contains" in parts else None
        return QuoteFilters(story, character, contains)


async def _first_picks(
    store: Store, library: Library, combination: str, samples: int, limits: ChapterLimits,
    worst: list[tuple[float, float, QuoteFilters]] | None = None,
) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU-time samples, a new filter each time (a new guild for "no filter": its
    cycle starts from nothing too). `worst` receives (cpu, wall, filters) of the dearest sample."""
    times, cpu, seen = [], [], set()
    for i in range(samples * 4):
        if len(times) == samples:
            break
        filters = library.filters(combination)
        guild = GUILD + 1000 + i if combination == "no filter" else GUILD
        if (guild, filters) in seen:
            continue
        seen.add((guild, filters))
        started, cpu_started = time.perf_counter(), time.process_time()
        try:
            await pick_quote(store, Audience(guild, limits=limits), filters)
        except UserError:
            pass  # a filter matching nothing is timed all the same
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
        if worst is not None and (not worst or cpu[-1] > worst[0][0]):
            worst[:] = [(cpu[-1], times[-1], filters)]
    return times, cpu


async def _steady(
    store: Store, library: Library, combination: str, picks: int, limits: ChapterLimits
) -> tuple[list[float], list[float], float]:
    """Wall-clock and CPU-time samples and round trips per pick, on one filter that matches."""
    audience = Audience(GUILD, limits=limits)
    while True:
        filters = library.filters(combination)
        try:
            await pick_quote(store, audience, filters)
            break
        except UserError:
            continue
    wall, cpu = [], []
    with RoundTrips() as trips:
        for _ in range(picks):
            started, cpu_started = time.perf_counter(), time.process_time()
            await pick_quote(store, audience, filters)
            wall.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
    return wall, cpu, trips.count / picks


def _naive_sql(filters: QuoteFilters) -> tuple[str, list]:
    where = ["s.scope IN (0, ?)", RATING_SQL, "length(q.text) <= 600",
             "length(q.text) - length(replace(q.text, ' ', '')) >= 3"]
    args: list = [GUILD, False]
    if filters.story_id is not None:
        where.append("q.story_id = ?")
        args.append(filters.story_id)
    if filters.character is not None:
        where.append("q.character_id IN (SELECT id FROM characters WHERE name_key = ?)")
        args.append(filters.character.casefold())
    if filters.contains is not None:
        where.append("q.id IN (SELECT rowid FROM quotes_fts WHERE quotes_fts MATCH ?)")
        args.append(fts_query(filters.contains))
    return ("SELECT q.id, q.text FROM quotes AS q JOIN stories AS s ON s.id = q.story_id WHERE "
            + " AND ".join(where) + " ORDER BY random() LIMIT 1"), args


async def _naive(store: Store, make: Callable[[], QuoteFilters], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        sql, args = _naive_sql(make())
        started = time.perf_counter()
        await store.db.execute_fetchall(sql, args)
        times.append(time.perf_counter() - started)
    return times


def _clear(path: Path) -> None:
    """Room for a new cached database (a half-built one is removed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)


async def _prepare(
    stack: contextlib.AsyncExitStack, folder: str, cache: Path | None, exponent: int, rng: random.Random
) -> tuple[Store, list[str], dict[int, tuple]]:
    """The size's store (reused from `cache` when built there before), the vocabulary and the stories."""
    started = time.perf_counter()
    path = Path(folder) / "bench.db" if cache is None else cache / f"quote-10^{exponent}.db"
    listing = path.with_suffix(".json")
    if cache is not None and listing.exists():
        store = await stack.enter_async_context(Store.open(path))
        await store.db.execute("DELETE FROM quote_cycles")
        print(f"\n10^{exponent}: {path} opened (migrated where needed) in {time.perf_counter() - started:.1f} s")
        words = _vocabulary(rng)
        stories = {int(k): tuple(v) for k, v in json.loads(listing.read_text()).items()}
        return store, words, stories
    if cache is not None:
        _clear(path)
    store = await stack.enter_async_context(Store.open(path))
    words, stories = await populate(store, quotations=10 ** exponent, rng=rng)
    if cache is not None:
        listing.write_text(json.dumps(stories))
    print(f"\n10^{exponent}: loaded in {time.perf_counter() - started:.1f} s (foreign keys on)")
    return store, words, stories


async def _on_postgres(
    stack: contextlib.AsyncExitStack, url: str, cache: Path, exponent: int, rng: random.Random
) -> tuple[Store, list[str], dict[int, tuple]]:
    """The size's database on the PostgreSQL server at `url`: the cache's SQLite database copied
    there once (made first when missing), analyzed; reused when it holds the same stories."""
    import asyncpg

    from bot.store.copy import copy_database

    name = f"storybot_quote_{exponent}"
    admin = await asyncpg.connect(url)
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    target = url.rsplit("/", 1)[0] + "/" + name
    store = await stack.enter_async_context(Store.open(target))
    listing = cache / f"quote-10^{exponent}.json"
    (held,) = (await store.db.execute_fetchall("SELECT count(*) FROM stories"))[0]
    if not listing.exists() or held != len(json.loads(listing.read_text())):
        started = time.perf_counter()
        async with contextlib.AsyncExitStack() as source_stack:
            source, _, stories = await _prepare(source_stack, "", cache, exponent, random.Random(exponent))
            if held:
                raise SystemExit(f"{name} holds {held} stories, not the cache's {len(stories)}: drop it first")
            await copy_database(source, store)
        await store.db.execute("ANALYZE")
        print(f"10^{exponent}: copied into PostgreSQL ({name}) and analyzed in {time.perf_counter() - started:.1f} s")
    await store.db.execute("DELETE FROM quote_cycles")
    print(f"\n10^{exponent}: PostgreSQL database {name} ({store.dialect})")
    words = _vocabulary(rng)
    stories = {int(k): tuple(v) for k, v in json.loads(listing.read_text()).items()}
    return store, words, stories


_NARROWABLE = tuple(c for c in COMBINATIONS if c not in ("no filter", "character"))


def _narrow(base: Path, path: Path, stories: dict[int, tuple], percent: float) -> dict[int, tuple]:
    """Copy the database at `base` to `path` with all but `percent` % of the stories (those the
    measured guild sees, picked by a hash of their id) moved to another guild; the stories' new
    (guild, rating, names)."""
    _clear(path)
    keep = round(len(stories) * percent / 100)
    visible = sorted((sid for sid, (guild, rating, _) in stories.items() if guild in (None, GUILD) and rating != "M"),
                     key=lambda sid: (sid * 2654435761) % (1 << 32))
    hide = set(visible[keep:])
    with contextlib.closing(sqlite3.connect(base)) as src, contextlib.closing(sqlite3.connect(path)) as dst:
        src.backup(dst)
        dst.executemany("UPDATE stories SET guild_id = ? WHERE id = ?", [(OTHER_GUILD, sid) for sid in sorted(hide)])
        dst.commit()
    return {sid: (OTHER_GUILD, *rest) if sid in hide else (guild, *rest) for sid, (guild, *rest) in stories.items()}


async def bench_size(
    exponent: int, picks: int, firsts: int, limits: ChapterLimits, cache: Path | None,
    combinations: tuple[str, ...] = COMBINATIONS, naive_baseline: bool = True, show_worst: bool = False,
    freeze: bool = True, visible: float | None = None, url: str | None = None,
) -> None:
    quotations = 10 ** exponent
    rng = random.Random(exponent)
    with tempfile.TemporaryDirectory() as folder:
        async with contextlib.AsyncExitStack() as stack:
            if url is not None and cache is not None:
                store, words, stories = await _on_postgres(stack, url, cache, exponent, rng)
            else:
                store, words, stories = await _prepare(stack, folder, cache, exponent, rng)
            if visible is not None:
                narrowed = (Path(folder) if cache is None else cache) / f"quote-10^{exponent}-visible{visible:g}.db"
                listing = narrowed.with_suffix(".json")
                if listing.exists():
                    stories = {int(k): tuple(v) for k, v in json.loads(listing.read_text()).items()}
                else:
                    started = time.perf_counter()
                    base = Path(store.path)
                    await stack.aclose()
                    stories = _narrow(base, narrowed, stories, visible)
                    if cache is not None:
                        listing.write_text(json.dumps(stories))
                    print(f"10^{exponent}: {narrowed} made in {time.perf_counter() - started:.1f} s")
                store = await stack.enter_async_context(Store.open(narrowed))
                await store.db.execute("DELETE FROM quote_cycles")
                seen = sum(guild in (None, GUILD) and rating != "M" for guild, rating, _ in stories.values())
                print(f"10^{exponent}: the measured guild sees {seen:,} of {len(stories):,} stories"
                      f" ({100 * seen / len(stories):.1f} %)")
            print(f"10^{exponent} quotations ({quotations:,}) in {len(stories):,} stories")
            library = Library(words, stories, random.Random(exponent + 100))
            if freeze:
                # As the bot does once started (runtime.setup_hook): what exists now (modules, the
                # store, the library's listing) is never walked by a collection again. Unfrozen, a
                # full collection walks them all (about 21-24 ms of CPU on the tenth session's
                # machine) inside whichever pick it falls in: one sample of 30 first picks, the "p99".
                gc.collect()
                gc.freeze()
            naive_runs = max(3, min(50, 5 * 10 ** (6 - exponent)))
            print(f"  {'filters':26} {'first p50':>9} {'p99':>7} {'cpu p50':>7} {'cpu p99':>7} | {'steady p50':>10} {'p99':>7} {'cpu p99':>7}"
                  f" {'trips':>5} | {'ORDER BY RANDOM() p50':>21} {'p99':>8}   (ms; first n={firsts},"
                  f" steady n={picks}, naive n={naive_runs})")
            for combination in combinations:
                worst: list[tuple[float, float, QuoteFilters]] = []
                first, first_cpu = await _first_picks(store, library, combination, firsts, limits, worst)
                steady, cpu, trips = await _steady(store, library, combination, picks, limits)
                naive = await _naive(store, lambda c=combination: library.filters(c), naive_runs if naive_baseline else 0)
                (f50, f99), (fc50, fc99), (s50, s99), (_, c99), (n50, n99) = map(
                    _percentiles, (first, first_cpu, steady, cpu, naive))
                print(f"  {combination:26} {f50:9.3f} {f99:7.3f} {fc50:7.3f} {fc99:7.3f} | {s50:10.3f} {s99:7.3f} {c99:7.3f} {trips:5.2f}"
                      f" | {n50:21.2f} {n99:8.2f}")
                if show_worst and worst:
                    (w_cpu, w_wall, w_filters), = worst
                    print(f"    dearest first pick: cpu {w_cpu * 1000:.3f} ms, wall {w_wall * 1000:.3f} ms, story"
                          f" {w_filters.story_id}, character {w_filters.character!r}, contains {w_filters.contains!r}")
            gc.unfreeze()  # this size's objects may go now


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5,6", help="powers of ten of quotations (7 takes a while)")
    parser.add_argument("--picks", type=int, default=2000, help="steady picks per filter combination")
    parser.add_argument("--firsts", type=int, default=100, help="first picks (new filters) per combination")
    parser.add_argument("--spoiler-chapters", type=int, default=0,
                        help="show only the first K of each story's ten chapters (0: no limit)")
    parser.add_argument("--cache", type=Path, help="keep each size's database in this folder and reuse it")
    parser.add_argument("--only", help="comma-separated filter combinations to measure (default: all)")
    parser.add_argument("--no-naive", action="store_true", help="skip the ORDER BY RANDOM() baseline")
    parser.add_argument("--no-freeze", action="store_true",
                        help="leave start-up objects to the collector (the bot freezes them: gc.freeze)")
    parser.add_argument("--visible", type=float,
                        help="the measured guild sees only this percentage of the stories (word filters only)")
    parser.add_argument("--worst", action="store_true",
                        help="print each combination's dearest first pick (CPU) and its filters")
    parser.add_argument("--url", help="a PostgreSQL server's URL (with --cache): the picks run there")
    args = parser.parse_args()
    if args.url is not None and (args.cache is None or args.visible is not None):
        parser.error("--url needs --cache (the databases copied there), and not --visible")
    combinations = tuple(args.only.split(",")) if args.only else COMBINATIONS
    if args.visible is not None:
        combinations = tuple(c for c in combinations if c in _NARROWABLE)
    if unknown := set(combinations) - set(COMBINATIONS):
        parser.error(f"unknown combinations: {', '.join(sorted(unknown))}")
    limits = ChapterLimits((), args.spoiler_chapters - 1) if args.spoiler_chapters > 0 else NO_LIMITS
    for exponent in (int(x) for x in args.sizes.split(",")):
        await bench_size(exponent, args.picks, min(args.firsts, max(3, args.picks)), limits, args.cache,
                         combinations, not args.no_naive, args.worst, not args.no_freeze, args.visible, args.url)


if __name__ == "__main__":
    asyncio.run(main())
