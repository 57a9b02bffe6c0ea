"""What keeping the name lines (migration 0013, bot/store/name_lines.py) costs a delete: on a copy
of a bench/quote.py cache, `delete_story` of the first stories (the ones with the most characters
after theirs on their name lines), with the time spent closing their gaps on those lines and how
many entries were shifted.

    cp /tmp/qc/quote-10^7.db /tmp/copy.db   # the database is changed: never the cache itself
    .venv/bin/python bench/name_lines.py /tmp/copy.db [--stories 6]
    .venv/bin/python bench/name_lines.py --build 5   # a new 10^5-quotation library in a temporary folder
"""
from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from quote import populate

from bot.store import Store, loader
from bot.store.name_lines import unlink_names

_SHIFTED = (
    "SELECT count(*) FROM name_lines AS a JOIN name_lines AS d ON d.name_key = a.name_key AND d.scope = a.scope"
    " AND d.gated = a.gated AND d.base > a.base WHERE a.story_id = ?"
)


async def main(path: Path, stories: int, build: int | None) -> None:
    spent: list[float] = []

    async def timed(store: Store, story_id: int) -> None:
        started = time.perf_counter()
        await unlink_names(store, story_id)
        spent.append(time.perf_counter() - started)

    loader.unlink_names = timed  # type: ignore[assignment]  # the loader's own call, timed
    async with Store.open(path) as store:
        if build is not None:
            await populate(store, 10 ** build, random.Random(build))
        ids = [row[0] for row in await store.db.execute_fetchall(
            "SELECT id FROM stories ORDER BY id LIMIT ?", (stories,))]
        for story_id in ids:
            (shifted,) = (await store.db.execute_fetchall(_SHIFTED, (story_id,)))[0]
            started = time.perf_counter()
            await loader.delete_story(store, story_id)
            total = time.perf_counter() - started
            print(f"story {story_id}: delete_story {total * 1000:.1f} ms, of which the name lines"
                  f" {spent[-1] * 1000:.1f} ms ({shifted} entries shifted)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", type=Path, nargs="?",
                        help="a copy of a bench/quote.py cached database (it is changed)")
    parser.add_argument("--stories", type=int, default=6)
    parser.add_argument("--build", type=int, help="without a database: build one of 10^BUILD quotations first")
    args = parser.parse_args()
    if args.database is None and args.build is None:
        parser.error("give a database or --build")
    if args.database is not None:
        asyncio.run(main(args.database, args.stories, None))
    else:
        with tempfile.TemporaryDirectory() as folder:
            asyncio.run(main(Path(folder) / "names.db", args.stories, args.build))
