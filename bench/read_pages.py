"""Page-fetch latency of /read: a chapter of about 500 pages, paginated once, then random pages.

    python bench/read_pages.py            # 500-page chapter, 5,000 fetches
    python bench/read_pages.py --fetches 20000
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.parsing.model import Chapter, Scene, Story  # noqa: E402
from bot.reading.pages import DEFAULT_CACHE_CHARS, ChapterPages  # noqa: E402
from bot.render import chapter_label, escape  # noqa: E402
from bot.store import Store, stories  # noqa: E402
from bot.store.loader import load_story  # noqa: E402
from bot.store.records import StoredChapter  # noqa: E402

# About 1,700 characters per paragraph: one paragraph per page, so ~500 paragraphs ≈ 500 pages.
SENTENCE = "The *old* fox crossed the river_bank at dawn, and nobody saw it go. "


def big_chapter(paragraphs: int, rng: random.Random) -> Chapter:
    scenes = []
    for scene in range(paragraphs // 50):
        texts = tuple(
            f"Paragraph {scene * 50 + i}. " + SENTENCE * rng.randint(20, 24) for i in range(50)
        )
        scenes.append(Scene(f"Scene {scene + 1}" if scene else None, texts))
    return Chapter(1, "The Very Long Chapter", tuple(scenes))


def heading(chapter: StoredChapter) -> str:
    return chapter_label(chapter.number, chapter.title, chapter.index + 1)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def main(fetches: int, paragraphs: int) -> None:
    rng = random.Random(5)
    story = Story(title="Bench", summary=None, chapters=(big_chapter(paragraphs, rng),))
    with tempfile.TemporaryDirectory() as folder:
        async with Store.open(Path(folder) / "bench.db") as store:
            story_id = await load_story(store, story, title="Bench", content_hash="bench")
            chapter = (await stories.chapters(store, story_id))[0]
            story_row = await stories.get_story(store, story_id)
            started = time.perf_counter()
            total = await ChapterPages(store, escape=escape, heading=heading).page_count(chapter)
            build = time.perf_counter() - started
            # Stored pages alone (no memory cache), then the way the bot reads them (with it).
            figures = {}
            for label, cache_chars in (("stored, no cache", 0), ("stored + memory cache", DEFAULT_CACHE_CHARS)):
                book = ChapterPages(store, escape=escape, heading=heading, cache_chars=cache_chars)
                timings = []
                for _ in range(fetches):
                    number = rng.randint(1, total)
                    started = time.perf_counter()
                    page = await book.page(story_row, chapter, number)
                    timings.append((time.perf_counter() - started) * 1000)
                    assert page.number == number
                figures[label] = timings
    print(f"chapter: {paragraphs} paragraphs, {total} pages; paginated and stored once in {build * 1000:.0f} ms")
    for label, timings in figures.items():
        print(f"page fetch ({label}), {fetches} random pages: p50 {statistics.median(timings):.3f} ms,"
              f" p99 {percentile(timings, 0.99):.3f} ms, max {max(timings):.3f} ms")
    # Tail latency is mostly thread scheduling; the load average says how busy the machine was.
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fetches", type=int, default=5000)
    parser.add_argument("--paragraphs", type=int, default=500)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.fetches, arguments.paragraphs))
