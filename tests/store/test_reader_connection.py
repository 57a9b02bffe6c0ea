"""Store.reader(): a second, read-only connection for long reads (ranked search), so they never queue
the short reads and writes on the store's own connection behind them."""
from __future__ import annotations

import asyncio
import sqlite3

import pytest

from bot.store import Store

# A read that keeps SQLite busy for a good fraction of a second.
_LONG_READ = "WITH RECURSIVE n (i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) SELECT count(*) FROM n"


async def test_a_long_read_on_the_reader_does_not_hold_up_the_store_connection(store):
    reader = await store.reader()
    assert reader is not store.db and await store.reader() is reader
    long_read = asyncio.ensure_future(reader.execute_fetchall(_LONG_READ))
    await asyncio.sleep(0.02)  # under way on the reader's thread
    await store.set_meta("during", "the long read")
    assert await store.get_meta("during") == "the long read"
    assert not long_read.done(), "the store's connection waited for the reader's query"
    assert (await long_read)[0][0] == 3_000_001


async def test_the_reader_sees_what_is_committed_and_cannot_write(store):
    reader = await store.reader()
    await store.set_meta("k", "v")
    assert (await reader.execute_fetchall("SELECT value FROM meta WHERE key = 'k'"))[0][0] == "v"
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        await reader.execute("INSERT INTO meta (key, value) VALUES ('x', 'y')")


async def test_the_reader_closes_with_the_store(tmp_path):
    async with Store.open(tmp_path / "a.db") as store:
        reader = await store.reader()
    with pytest.raises(ValueError, match=r"closed|no active connection"):
        await reader.execute("SELECT 1")


async def test_an_in_memory_store_reads_on_its_one_connection():
    async with Store.open(":memory:") as store:
        assert await store.reader() is store.db
