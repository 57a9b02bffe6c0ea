"""Time /character and /story stats on synthetic stories: the figures query (cold, then cached),
drawing each chart, and a cached chart. Target: < 1 s per chart for a 500-chapter story.

    python bench/charts.py                      # 50- and 500-chapter stories
    python bench/charts.py --chapters 50,500,2000
    python bench/charts.py --docs               # also redraw docs/images/ from a bundled seed story
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.charts import PALETTE, Chart, ChartCache, Series, draw  # noqa: E402
from bot.parsing import content_hash, parse_story  # noqa: E402
from bot.parsing.model import Chapter, Character, Quote, Scene, Story  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.store.characters import story_figures  # noqa: E402
from bot.store.loader import load_story  # noqa: E402
from bot.store.stories import get_story  # noqa: E402
from cogs.character import character_chart, story_chart  # noqa: E402

CAST = 25
SCENES = 3
LINES_PER_SCENE = 20
DRAWS = 3  # each chart is drawn this many times; the median is shown
DOCS_SEED = ROOT / "seeds" / "001_c873871c6bd971e6.txt"  # "Naruto: The Return of Darkness"
DOCS_IMAGES = ROOT / "docs" / "images"


def synthetic(chapters: int, rng: random.Random) -> Story:
    """`chapters` chapters of SCENES scenes; speakers Zipf-distributed, each with a narration beat."""
    names = [f"Character{k:02d}" for k in range(CAST)]
    weights = [1 / (k + 1) for k in range(CAST)]
    built, quotes = [], []
    for ci in range(chapters):
        scenes = []
        for si in range(SCENES):
            paragraphs = []
            for _ in range(LINES_PER_SCENE):
                speaker = rng.choices(names, weights)[0] if rng.random() < 0.9 else None
                text = " ".join(rng.choice(("we", "go", "now", "the", "leaf", "fight", "wait")) for _ in range(8))
                quotes.append(Quote(text, "speech", speaker, 0.9, ci, si, len(paragraphs), 1, 1 + len(text)))
                paragraphs.append(f'"{text}" said someone.')
                paragraphs.append("The wind moved through the trees while they thought about it.")
            scenes.append(Scene(None, tuple(paragraphs)))
        built.append(Chapter(ci + 1, f"Part {ci + 1}", tuple(scenes)))
    return Story("Synthetic", None, chapters=tuple(built), quotes=tuple(quotes),
                 characters=tuple(Character(n) for n in names))


def story_chart_of_nothing() -> Chart:
    return Chart("warm-up", "Chapter", (Series("", (1, 2, 3), PALETTE[0]),))


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


async def measure(store: Store, chapters: int, rng: random.Random) -> None:
    story_id = await load_story(store, synthetic(chapters, rng), title=f"Synthetic {chapters}", rating="T",
                                content_hash=f"bench-{chapters}", guild_id=None, source=None)
    story = await get_story(store, story_id)
    assert story is not None
    start = time.perf_counter()
    figures = await story_figures(store, story)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    await story_figures(store, story)
    warm = time.perf_counter() - start
    top = figures.ranked()[0][0]
    times = {}
    for name, make in (("story chart", lambda: story_chart(figures)),
                       ("character chart", lambda: character_chart(figures, top.id, top.name))):
        took = []
        for _ in range(DRAWS):
            start = time.perf_counter()
            png = draw(make())
            took.append(time.perf_counter() - start)
        times[name] = (statistics.median(took), len(png))
    cache = ChartCache()
    await cache.png("k", lambda: story_chart(figures))
    start = time.perf_counter()
    await cache.png("k", lambda: story_chart(figures))
    cached = time.perf_counter() - start
    print(f"{chapters:5d} chapters, {figures.quotations:,} quotations:"
          f" figures cold {_ms(cold)}, cached {_ms(warm)};"
          + "".join(f" {name} {_ms(t)} ({size / 1024:.0f} KB);" for name, (t, size) in times.items())
          + f" cached chart {_ms(cached)}")


async def docs_images(store: Store) -> None:
    """The README's pictures: /story stats and /character charts of a bundled seed story."""
    data = DOCS_SEED.read_bytes()
    story_id = await load_story(store, parse_story(data), title="Naruto: The Return of Darkness", rating="T",
                                content_hash=content_hash(data), guild_id=None, source=DOCS_SEED.name)
    story = await get_story(store, story_id)
    assert story is not None
    figures = await story_figures(store, story)
    top = figures.ranked()[0][0]
    DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
    (DOCS_IMAGES / "story-stats.png").write_bytes(draw(story_chart(figures)))
    (DOCS_IMAGES / "character.png").write_bytes(draw(character_chart(figures, top.id, top.name)))
    print(f"wrote {DOCS_IMAGES / 'story-stats.png'} and character.png ({top.name}), {figures.quotations} quotations")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chapters", default="50,500", help="comma-separated story sizes in chapters")
    parser.add_argument("--docs", action="store_true", help="redraw docs/images/ from a bundled seed story")
    args = parser.parse_args()
    rng = random.Random(7)
    start = time.perf_counter()
    draw(story_chart_of_nothing())
    print(f"first chart in a process (matplotlib loads its fonts): {_ms(time.perf_counter() - start)}")
    print(f"median of {DRAWS} draws per chart:")
    with tempfile.TemporaryDirectory() as folder:
        async with Store.open(Path(folder) / "bench.db") as store:
            for chapters in (int(c) for c in args.chapters.split(",")):
                await measure(store, chapters, rng)
            if args.docs:
                await docs_images(store)


if __name__ == "__main__":
    asyncio.run(main())
