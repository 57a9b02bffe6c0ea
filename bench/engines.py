"""The store's hot paths on SQLite and on PostgreSQL side by side: time per call of the reads behind
/quote, /excerpt, /search, /story and the autocompletes (bench/hot_paths.py's scenarios), and of
the writes a page turn and a trivia question make, on the seeds, one engine after the other.

    .venv/bin/python bench/engines.py [--calls 300] [--url postgresql://user@host/postgres]

PostgreSQL runs in a throwaway cluster (tests/postgres.py: initdb/pg_ctl in a temporary folder on
127.0.0.1; fsync off, so its writes are cheaper than on a real server) unless --url names a server,
where a scratch database is made and dropped. Without PostgreSQL installed only SQLite is measured.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from hot_paths import scenarios  # noqa: E402

from bot.store import Store  # noqa: E402
from bot.store.loader import load_directory  # noqa: E402
from bot.store.reading import save_bookmark  # noqa: E402
from bot.store.trivia import ScoredAnswer, create_game, record_question  # noqa: E402
from tests import postgres as cluster  # noqa: E402

GUILD = 1


@contextlib.asynccontextmanager
async def scratch_postgres(server_url: str) -> AsyncIterator[str]:
    import asyncpg

    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    try:
        yield cluster.database_url(server_url, name)
    finally:
        admin = await asyncpg.connect(server_url)
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            await admin.close()


async def writes(store: Store) -> dict[str, Callable[[], Awaitable[object]]]:
    story_id = (await store.db.execute_fetchall("SELECT min(id) FROM stories"))[0][0]
    game = await create_game(store, guild_id=GUILD, channel_id=5, starter_id=7, story_id=story_id, questions=50)
    pages = iter(range(1, 10**9))
    questions = iter(range(1, 10**9))
    return {
        "bookmark save (page turn)": lambda: save_bookmark(store, 7, story_id, 0, next(pages)),
        "trivia question scored (3 players)": lambda: record_question(
            store, game_id=game, question_no=next(questions), guild_id=GUILD, story_id=story_id,
            answers=[ScoredAnswer(user, user % 2 == 0, 10) for user in (1, 2, 3)],
        ),
    }


async def measure(target: Path | str, calls: int) -> tuple[float, dict[str, float]]:
    """(seconds to load the seeds, median milliseconds per call of each scenario)."""
    async with Store.open(target) as store:
        started = time.perf_counter()
        await load_directory(store, ROOT / "seeds")
        loaded = time.perf_counter() - started
        cases = {**await scenarios(store), **await writes(store)}
        figures = {}
        for name, call in cases.items():
            times = []
            for _ in range(calls):
                started = time.perf_counter()
                await call()
                times.append(time.perf_counter() - started)
            figures[name] = statistics.median(times) * 1000
        await store.write_behind.flush()
    return loaded, figures


async def main(args: argparse.Namespace) -> None:
    results: dict[str, tuple[float, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="storybot-engines-") as scratch:
        results["sqlite"] = await measure(Path(scratch) / "bench.db", args.calls)
    with contextlib.ExitStack() as stack:
        server = args.url
        if server is None and (binaries := cluster.find_binaries()) is not None:
            server = stack.enter_context(cluster.cluster(binaries))
        if server is not None:
            async with scratch_postgres(server) as url:
                results["postgresql"] = await measure(url, args.calls)
        else:
            print("PostgreSQL is not installed: SQLite only")
    engines = list(results)
    print(f"median ms per call over {args.calls} calls, seeds loaded into each engine")
    print(f"{'':38}" + "".join(f"{engine:>12}" for engine in engines))
    print(f"{'load the seeds (s)':38}" + "".join(f"{results[e][0]:12.2f}" for e in engines))
    for name in results["sqlite"][1]:
        print(f"{name:38}" + "".join(f"{results[e][1][name]:12.2f}" for e in engines))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=300, help="calls per scenario (default 300)")
    parser.add_argument("--url", help="a PostgreSQL server's URL to use instead of a throwaway cluster")
    asyncio.run(main(parser.parse_args()))
