"""atomic() waits for another process's write lock by polling, not in SQLite's busy handler: while it
waits, the store's one connection keeps answering reads (a busy-waiting BEGIN held them all)."""
from __future__ import annotations

import asyncio
import sqlite3
import time

import pytest

from bot.store import Store
from tests.locks import locked


async def test_reads_flow_while_a_transaction_waits_for_another_process(store):
    with locked(store.path, 0.6):

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
    assert await store.get_meta("waited") == "yes"


async def test_a_transaction_gives_up_after_the_busy_timeout(tmp_path):
    async with Store.open(tmp_path / "a.db", busy_timeout_ms=200) as store:
        with locked(store.path, 1.0):
            started = time.perf_counter()
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                async with store.atomic():
                    await store.db.execute("INSERT INTO meta (key, value) VALUES ('x', 'y')")
            assert 0.15 < time.perf_counter() - started < 0.9
            assert not store.db.in_transaction
