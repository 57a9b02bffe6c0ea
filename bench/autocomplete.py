"""Story and character autocomplete latency with 100,000 stories in the database (target: < 200 ms).

Builds a temporary database through the real migrations, bulk-inserts synthetic stories (half
bundled, a third in the measured guild, the rest in other guilds) and three characters each, then
times the same calls the /quote autocompletes make. Prints p50 / p99 per kind of input.

    .venv/bin/python bench/autocomplete.py [--stories 100000] [--queries 200]
"""
from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.store import Store
from bot.store.audience import Audience, character_choices, story_choices

GUILD = 4242
WORDS = (
    "spark shadow leaf fox moon storm blade promise road return darkness hidden village chunin "
    "exam clone blood deal scroll mask river summer winter ember silent broken last first long "
    "night dawn orange wind sand mist cloud rain stone sound fire bond rival path dream"
).split()
NAMES = "Naruto Sasuke Sakura Kakashi Hinata Itachi Gaara Jiraiya Tsunade Shikamaru Neji Rock".split()


def _title(rng: random.Random, i: int) -> str:
    return " ".join(rng.choice(WORDS).capitalize() for _ in range(rng.randint(2, 5))) + f" {i}"


async def populate(store: Store, count: int, rng: random.Random) -> None:
    stories, characters = [], []
    for i in range(1, count + 1):
        r = rng.random()
        guild = None if r < 0.5 else GUILD if r < 0.83 else rng.randint(1, 500)
        title = _title(rng, i)
        stories.append((i, guild, title, " ".join(title.split()).casefold(), f"hash{i}", "T", "2026-01-01T00:00:00"))
        for name in rng.sample(NAMES, 3):
            characters.append((i, name, name.casefold(), rng.randint(1, 50), rng.randint(0, 40)))
    async with store.atomic():
        await store.db.executemany(
            "INSERT INTO stories (id, guild_id, title, title_key, content_hash, rating, added_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)", stories,
        )
        await store.db.executemany(
            "INSERT INTO characters (story_id, name, name_key, mentions, lines) VALUES (?, ?, ?, ?, ?)",
            characters,
        )
    await store.db.execute("ANALYZE")


def _figures(label: str, samples: list[float], answers: list[int]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p99 = ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))]
    return (f"{label:<30} n={len(ms):<4} p50={statistics.median(ms):6.2f} ms  p99={p99:6.2f} ms"
            f"  max={ms[-1]:6.2f} ms  choices/answer={statistics.mean(answers):4.1f}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as folder:
        async with Store.open(Path(folder) / "bench.db") as store:
            started = time.perf_counter()
            await populate(store, args.stories, rng)
            print(f"{args.stories:,} stories inserted in {time.perf_counter() - started:.1f} s")
            audience = Audience(GUILD)
            kinds = {
                "story: empty input": lambda: "",
                "story: 1-2 letter prefix": lambda: rng.choice(WORDS)[: rng.randint(1, 2)],
                "story: word prefix": lambda: rng.choice(WORDS)[:4],
                "story: substring (mid-title)": lambda: " ".join(rng.sample(WORDS, 1))[1:5],
                "story: no match": lambda: "zzqx" + str(rng.randint(0, 999)),
            }
            worst = 0.0
            for label, typed in kinds.items():
                samples, answers = [], []
                for _ in range(args.queries):
                    text = typed()
                    t0 = time.perf_counter()
                    answers.append(len(await story_choices(store, audience, text)))
                    samples.append(time.perf_counter() - t0)
                worst = max(worst, max(samples))
                print(_figures(label, samples, answers))
            for label, story in (("character: across stories", None), ("character: of one story", "given")):
                samples, answers = [], []
                for _ in range(args.queries):
                    story_typed = str(rng.randint(1, args.stories // 2)) if story else None
                    t0 = time.perf_counter()
                    found = await character_choices(store, audience, rng.choice(NAMES)[:2], story_typed)
                    samples.append(time.perf_counter() - t0)
                    answers.append(len(found))
                worst = max(worst, max(samples))
                print(_figures(label, samples, answers))
            print(f"worst single answer: {worst * 1000:.1f} ms (target < 200 ms)")


if __name__ == "__main__":
    asyncio.run(main())
