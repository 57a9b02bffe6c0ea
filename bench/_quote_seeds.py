"""A word filter's first /quote pick under many cycle seeds, on a database `bench/quote.py --cache`
built: per seed a new cycle (the stored and remembered ones dropped), its CPU time, the block
queries it ran (sqlite3's trace callback) and the story of its first block's first id, whose
visibility decides whether that block holds lines the channel may see (issue 20's stray first pick:
docs/benchmarks.md, "The stray contains first pick"). Run with a checkout's code:

    .venv/bin/python bench/_quote_seeds.py REPO /tmp/qc/quote-10^6.db aaa 40

(a leading underscore: `make bench` does not run it; it needs a cached database).
"""
from __future__ import annotations

import asyncio
import gc
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(sys.argv[1]).resolve()))

from bot.errors import UserError
from bot.store import Store, quotes
from bot.store.audience import Audience

GUILD = 777  # bench/quote.py's measured guild


async def main(path: str, word: str, seeds: int) -> None:
    async with Store.open(path) as store:
        conn = store.db._conn  # the connection's own thread sets the callback (aiosqlite)
        statements: list[str] = []
        await store.db._execute(conn.set_trace_callback, lambda sql: statements.append(sql)
                                if "at (x, qid) AS (" in sql and not sql.startswith("--") else None)
        gc.collect()
        gc.freeze()
        filters, audience = quotes.QuoteFilters(contains=word), Audience(GUILD)
        key = (GUILD, filters.key(False, None))
        results = []
        for seed in range(seeds):
            await store.db.execute("DELETE FROM quote_cycles")
            quotes._memory(store).cycles.clear()
            statements.clear()
            started = time.process_time()
            try:
                await quotes.pick_quote(store, audience, filters, rng=random.Random(seed))
                outcome = ""
            except UserError as exc:
                outcome = f"  {type(exc).__name__}: {exc}"
            cpu = time.process_time() - started
            cycle = quotes._memory(store).cycles.get(key)
            bits = quotes._block_bits(cycle.domain) if cycle is not None else None
            if cycle is None or bits is None:
                sys.exit(f"{word!r}: no cycle walked in blocks ({outcome.strip() or 'another domain'})")
            first = cycle.low + (quotes.permute(0, cycle.size >> bits, cycle.seed) << bits)
            ((scope, rating),) = await store.db.execute_fetchall(
                "SELECT s.scope, s.rating FROM quotes AS q JOIN stories AS s ON s.id = q.story_id WHERE q.id = ?",
                (first,))
            hidden = scope not in (0, GUILD) or rating == "M"
            results.append((cpu, len(statements), hidden, outcome))
            print(f"seed {seed:3}: cpu {cpu * 1000:7.2f} ms, block queries {len(statements):2},"
                  f" first block in {'a hidden' if hidden else 'a visible'} story{outcome}")
        cpus = sorted(cpu for cpu, *_ in results)
        print(f"median {cpus[len(cpus) // 2] * 1000:.2f} max {cpus[-1] * 1000:.2f} ms; block queries max"
              f" {max(n for _, n, _, _ in results)}; gave up {sum(bool(o) for *_, o in results)};"
              f" first block hidden {sum(h for _, _, h, _ in results)} of {len(results)}")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[2], sys.argv[3], int(sys.argv[4])))
