"""atomic() waits for another process's write lock by polling, not in SQLite's busy handler: while it
waits, the store's one connection keeps answering reads (a busy-waiting BEGIN held them all)."""
from __future__ import annotations

import asyncio
import sqlite3
import threading
import time

import pytest

from bot.store import Store


def hold_lock(path, seconds: float, taken: threading.Event) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        taken.set()
        time.sleep(seconds)
        connection.execute("COMMIT")
    finally:
        connection.close()


async def test_reads_flow_while_a_transaction_waits_for_another_process(store):
    taken = threading.Event()
    holder = threading.Thread(target=hold_lock, args=(store.path, 0.6, taken))
    holder.start()
    try:
        await asyncio.to_thread(taken.wait, 5)

        async def write() -> None:
            async with store.atomic():
                await store.db.execute("INSERT INTO meta (key, value) VALUES ('waited', 'yes')")

        writing = asyncio.ensure_future(write())
        await asyncio.sleep(0.05)
        slowest = 0.0
        for _ in range(10):
            started = time.perf_counter()
            assert await store.get_meta("waited") is None
            slowest = max(slowest, time.perf_counter() - started)
        assert not writing.done(), "the lock was released too early for the test to mean anything"
        assert slowest < 0.2, f"a read waited {slowest * 1000:.0f} ms behind the waiting transaction"
        await writing
    finally:
        await asyncio.to_thread(holder.join)
    assert await store.get_meta("waited") == "yes"


async def test_a_transaction_gives_up_after_the_busy_timeout(tmp_path):
    async with Store.open(tmp_path / "a.db", busy_timeout_ms=200) as store:
        taken = threading.Event()
        holder = threading.Thread(target=hold_lock, args=(store.path, 1.0, taken))
        holder.start()
        try:
            await asyncio.to_thread(taken.wait, 5)
            started = time.perf_counter()
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                async with store.atomic():
                    await store.db.execute("INSERT INTO meta (key, value) VALUES ('x', 'y')")
            assert 0.15 < time.perf_counter() - started < 0.9
            assert not store.db.in_transaction
        finally:
            await asyncio.to_thread(holder.join)
