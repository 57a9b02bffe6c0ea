"""Bookmarks written behind the reply: saving never waits for another process's write lock, reads
on the store's connection keep going meanwhile, and the latest place is what ends up stored."""
from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest

from bot.store import Store, reading
from bot.store.connection import WriteBehind
from tests.locks import hold_write_lock

from .test_reading_store import add, make_story

READER = 42
_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def store(bot_store: Store) -> Store:
    """Opened as the running bot opens it: the short busy timeout is what these tests exercise."""
    return bot_store


async def test_bookmark_save_and_reads_do_not_wait_for_a_held_lock(store, tmp_path):
    story_id = await add(store, make_story())
    other = hold_write_lock(store.path)
    try:
        started = time.perf_counter()
        reading.save_bookmark_later(store, READER, story_id, 1, 3)
        await asyncio.sleep(0.05)  # the background writer is now waiting for the lock
        rows = await store.db.execute_fetchall("SELECT count(*) FROM stories")
        assert rows[0][0] == 1
        assert time.perf_counter() - started < 2.0  # blocked, it would wait for the lock (busy timeout 10 s)
        # Not committed yet: the writer is still waiting for the lock, off the read connection.
        assert (await store.db.execute_fetchall("SELECT count(*) FROM reading_bookmarks"))[0][0] == 0
    finally:
        await asyncio.sleep(0.2)
        other.release()
    mark = await reading.get_bookmark(store, READER, story_id)  # waits for the pending write
    assert (mark.chapter_index, mark.page_number) == (1, 3)


async def test_only_the_latest_turn_is_kept_and_latest_bookmark_follows_order(store):
    first = await add(store, make_story(), digest="a", source="a.txt")
    second = await add(store, make_story(), digest="b", source="b.txt")
    for page in (1, 2, 3):
        reading.save_bookmark_later(store, READER, first, 0, page)
    reading.save_bookmark_later(store, READER, second, 0, 7)
    reading.save_bookmark_later(store, READER, first, 0, 4)  # read `first` last
    latest = await reading.latest_bookmark(store, READER, None)
    assert (latest.story_id, latest.page_number) == (first, 4)
    assert await reading.bookmarked_story_ids(store, READER, None) == [first, second]
    other = await reading.get_bookmark(store, READER, second)
    assert other.page_number == 7 and other.updated_at < latest.updated_at


async def test_pending_writes_are_flushed_when_the_store_closes(tmp_path):
    path = tmp_path / "close.db"
    async with Store.open(path) as store:
        story_id = await add(store, make_story())
        reading.save_bookmark_later(store, READER, story_id, 0, 5)
    async with Store.open(path) as store:
        mark = await reading.get_bookmark(store, READER, story_id)
    assert mark is not None and mark.page_number == 5


async def test_a_failing_write_is_logged_and_dropped_without_losing_the_others(store, caplog):
    async def bad(db) -> None:
        await db.execute("INSERT INTO no_such_table VALUES (1)")

    async def good(db) -> None:
        await db.execute("INSERT INTO meta (key, value) VALUES ('wb-test', 'yes')")

    dropped: list[str] = []
    store.write_behind.submit(None, bad, done=lambda: dropped.append("bad"))
    store.write_behind.submit(None, good)
    await store.write_behind.flush()
    assert dropped == ["bad"]
    assert await store.get_meta("wb-test") == "yes"
    assert "dropped" in caplog.text


async def test_memory_databases_share_the_one_connection():
    async with Store.open(":memory:") as store:
        async def write(db) -> None:
            await db.execute("INSERT INTO meta (key, value) VALUES ('m', '1')")

        store.write_behind.submit("m", write)
        await store.write_behind.flush()
        assert await store.get_meta("m") == "1"
        assert isinstance(store.write_behind, WriteBehind)


async def test_a_thread_write_waiting_for_the_lock_leaves_reads_free_and_gives_up_in_time(tmp_path):
    path = tmp_path / "polled.db"
    async with Store.open(path, busy_timeout_ms=400) as store:
        story_id = await add(store, make_story())
        other = hold_write_lock(path)
        try:
            waiting = asyncio.create_task(reading.save_thread(store, 9, 1, story_id, 0, 1, 100))
            await asyncio.sleep(0.1)
            started = time.perf_counter()
            assert await reading.get_thread(store, 9) is None  # a read is not queued behind the write
            assert time.perf_counter() - started < 0.05
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                await waiting
            late = asyncio.create_task(reading.save_thread(store, 9, 1, story_id, 0, 2, 101))
            await asyncio.sleep(0.1)
        finally:
            other.release()
        await late  # the lock was released within the busy timeout: the write goes through
        assert (await reading.get_thread(store, 9)).head_message_id == 101
        assert await reading.claim_head(store, 9, 101) and not await reading.claim_head(store, 9, 101)


@pytest.mark.sqlite_only  # counts jobs on aiosqlite's thread
async def test_a_batch_of_statements_commits_in_one_round_trip(store, monkeypatch):
    import aiosqlite

    story_id = await add(store, make_story())
    await store.write_behind.flush()
    jobs = []
    original = aiosqlite.Connection._execute

    async def counted(conn, fn, *args, **kwargs):
        jobs.append(fn)
        return await original(conn, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    for reader in range(5):
        reading.save_bookmark_later(store, READER + reader, story_id, 0, reader + 1)
    await store.write_behind.flush()
    assert len(jobs) == 1  # BEGIN IMMEDIATE, five bookmarks and COMMIT
    monkeypatch.undo()
    for reader in range(5):
        assert (await reading.get_bookmark(store, READER + reader, story_id)).page_number == reader + 1


async def test_written_bookmarks_survive_kill_9(tmp_path):
    """A bookmark the background writer has committed (within milliseconds of the turn, or at a
    flush) is on disk: killing the process right after loses nothing."""
    import os
    import signal
    import sys
    import textwrap

    path = tmp_path / "killed.db"
    async with Store.open(path) as store:
        story_id = await add(store, make_story())
    script = textwrap.dedent(f"""
        import asyncio, os, signal
        from bot.store import Store, reading

        async def main():
            async with Store.open({str(path)!r}) as store:
                for page in range(1, 6):
                    reading.save_bookmark_later(store, {READER}, {story_id}, 0, page)
                    await asyncio.sleep(0.05)  # a reader's pace: each turn is committed behind it
                os.kill(os.getpid(), signal.SIGKILL)

        asyncio.run(main())
    """)
    killed = await asyncio.create_subprocess_exec(sys.executable, "-c", script, cwd=_ROOT,
                                                  env={**os.environ, "PYTHONPATH": str(_ROOT)})
    assert await asyncio.wait_for(killed.wait(), 60) == -signal.SIGKILL
    async with Store.open(path) as store:
        mark = await reading.get_bookmark(store, READER, story_id)
    assert mark is not None and mark.page_number == 5


@pytest.mark.sqlite_only  # the background writer's batching is SQLite's
async def test_a_lazy_write_replacing_a_due_one_is_as_due(store):
    """A write submitted to be written now and replaced (same key) by a lazy one before the writer
    ran: the replacement is written without waiting for another write or a flush."""
    await store.db.execute("CREATE TABLE IF NOT EXISTS wb_due (k INTEGER PRIMARY KEY, v INTEGER)")
    from bot.store.connection import Statement

    def put(v: int) -> Statement:
        return Statement("INSERT INTO wb_due (k, v) VALUES (1, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v", (v,))

    async def stored() -> int:
        return (await store.db.execute_fetchall("SELECT v FROM wb_due"))[0][0]

    store.write_behind.submit("due", put(1))
    store.write_behind.submit("due", put(2), lazy=True)  # before the writer ran
    for _ in range(100):
        await asyncio.sleep(0.01)
        if not store.write_behind.pending:
            break
    assert await stored() == 2
    # A lazy write replacing a lazy one stays lazy.
    store.write_behind.submit("due", put(3), lazy=True)
    store.write_behind.submit("due", put(4), lazy=True)
    await asyncio.sleep(0.05)
    assert await stored() == 2
    await store.write_behind.flush()
    assert await stored() == 4
