"""Time the store's lookups that must not grow with the library: title autocomplete and random
quote/paragraph picks, on a generated database of many stories (default 100,000).

    python bench/store_lookups.py               # 100,000 stories
    python bench/store_lookups.py --stories 20000
"""
from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.store import Store  # noqa: E402
from bot.store.random_pick import random_paragraph, random_quote  # noqa: E402
from bot.store.stories import autocomplete_titles  # noqa: E402

WORDS = ("blood", "clone", "shadow", "leaf", "return", "darkness", "deal", "moon", "fox", "storm",
         "village", "promise", "kunai", "spark", "bond", "rain", "sand", "mist", "sage", "scroll")
PARAGRAPHS_PER_STORY = 4
GUILDS = 50


async def _migrate(path: Path) -> None:
    async with Store.open(path):
        pass


def build(path: Path, stories: int, rng: random.Random) -> None:
    """Fill a migrated database directly with sqlite3 (fast), keeping the store's invariants."""
    asyncio.run(_migrate(path))
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous = OFF")
    bases: dict[int, int] = {}
    story_rows, paragraph_rows, character_rows, quote_rows = [], [], [], []
    for story_id in range(1, stories + 1):
        guild = None if story_id % 10 == 0 else rng.randrange(1, GUILDS + 1)
        scope = guild or 0
        title = " ".join(rng.choice(WORDS) for _ in range(3)).title() + f" {story_id}"
        base = bases.get(scope, 0)
        bases[scope] = base + PARAGRAPHS_PER_STORY
        story_rows.append((story_id, guild, title, title.casefold(), f"h{story_id}", PARAGRAPHS_PER_STORY,
                           PARAGRAPHS_PER_STORY, base, base, "2026-01-01"))
        character_rows.append((story_id, story_id, "Naruto", "naruto", PARAGRAPHS_PER_STORY))
        for seq in range(PARAGRAPHS_PER_STORY):
            paragraph_rows.append((story_id, seq, f"Paragraph {seq} of story {story_id} about the {rng.choice(WORDS)}."))
            quote_rows.append((story_id, seq, seq, f"Line {seq} of {story_id}", story_id, seq))
    db.executemany(
        "INSERT INTO stories (id, guild_id, title, title_key, content_hash, paragraph_count, quote_count,"
        " paragraph_base, quote_base, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", story_rows)
    db.executemany("INSERT INTO scope_totals (scope, paragraphs, quotes) VALUES (?, ?, ?)",
                   [(scope, total, total) for scope, total in bases.items()])
    db.executemany("INSERT INTO chapters VALUES (?, 0, 1, NULL, 0, ?, 0)",
                   [(i, PARAGRAPHS_PER_STORY) for i in range(1, stories + 1)])
    db.executemany("INSERT INTO paragraphs (story_id, seq, chapter_index, scene_index, paragraph_index, text)"
                   " VALUES (?, ?, 0, 0, 0, ?)", paragraph_rows)
    db.execute("INSERT INTO paragraphs_fts (paragraphs_fts) VALUES ('rebuild')")
    db.executemany("INSERT INTO characters (id, story_id, name, name_key, lines) VALUES (?, ?, ?, ?, ?)", character_rows)
    db.executemany(
        "INSERT INTO quotes (story_id, seq, paragraph_seq, chapter_index, scene_index, paragraph_index, text, kind,"
        " confidence, character_id, speaker_seq) VALUES (?, ?, ?, 0, 0, 0, ?, 'speech', 0.9, ?, ?)", quote_rows)
    db.commit()
    db.execute("PRAGMA optimize")
    db.close()


async def timed(label: str, calls: list) -> None:
    times = []
    for call in calls:
        start = time.perf_counter()
        await call()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    print(f"{label:<42} median {statistics.median(times):6.2f} ms   p95 {times[int(len(times) * 0.95)]:6.2f} ms")


async def measure(path: Path, rng: random.Random) -> None:
    async with Store.open(path) as store:
        guild = 7
        await timed("autocomplete '' (first 25)", [lambda: autocomplete_titles(store, guild, "")] * 50)
        await timed("autocomplete prefix 'bl'", [lambda: autocomplete_titles(store, guild, "bl")] * 50)
        await timed("autocomplete substring (3+ chars)",
                    [lambda w=w: autocomplete_titles(store, guild, w[1:5]) for w in rng.choices(WORDS, k=100)])
        await timed("autocomplete rare substring 'ow 9999'", [lambda: autocomplete_titles(store, guild, "ow 9999")] * 50)
        await timed("random paragraph (guild: bundled + own)", [lambda: random_paragraph(store, guild_id=guild)] * 500)
        await timed("random quote (guild)", [lambda: random_quote(store, guild_id=guild)] * 500)
        await timed("random quote by character name (one story)",
                    [lambda: random_quote(store, guild_id=None, story_id=10, character_name="Naruto")] * 500)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=100_000)
    args = parser.parse_args()
    rng = random.Random(42)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "lookups.db"
        start = time.perf_counter()
        build(path, args.stories, rng)
        print(f"built {args.stories} stories ({args.stories * PARAGRAPHS_PER_STORY} paragraphs and quotes)"
              f" in {time.perf_counter() - start:.1f} s")
        asyncio.run(measure(path, rng))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
