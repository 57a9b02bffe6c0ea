"""Store.checkpoint_behind: the write-behind copies the WAL back on a connection of its own, so a
background write's commit never runs SQLite's autocheckpoint (and its fsync) on the store's thread."""
from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

from bot.store import Store
from bot.store import connection as store_connection
from bot.store.connection import Statement


def _wal_frames(path: Path) -> int:
    """Frames in the WAL now (what a checkpoint would have to copy back, plus those already copied
    since the WAL last started afresh)."""
    conn = sqlite3.connect(path)
    try:
        (_busy, frames, _copied), = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    finally:
        conn.close()
    return frames


async def _background_writes(store: Store, count: int) -> None:
    for i in range(count):  # one batch each: every write is flushed before the next is submitted
        store.write_behind.submit(
            ("test", i), Statement("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (f"k{i % 7}", str(i))))
        await store.write_behind.flush()
        await store.db.execute_fetchall("SELECT count(*) FROM meta")  # a pick's read meanwhile


async def test_background_writes_keep_the_wal_short_without_the_store_connection_checkpointing(
    tmp_path: Path, monkeypatch
):
    path = tmp_path / "bot.db"
    monkeypatch.setattr(store_connection, "_CHECKPOINT_EVERY", 8, raising=False)
    commits = 8 * 8
    async with Store.open(path) as store:
        # The store's connection never checkpoints now: any copying back is the write-behind's.
        await store.db.execute_fetchall("PRAGMA wal_autocheckpoint = 0")
        await store.db.execute_fetchall("PRAGMA wal_checkpoint(TRUNCATE)")  # the migrations' pages
        await _background_writes(store, commits)
        frames = _wal_frames(path)
        # Each commit writes at least one frame: without the background checkpoints the WAL holds
        # them all; with them it starts afresh every _CHECKPOINT_EVERY commits.
        assert frames < commits // 2, frames
        assert getattr(store, "_checkpointer", None) is not None and store._checkpointer is not store.db
    assert store._checkpointer is None  # closed with the store
    assert (await _read_meta(path))["k0"] is not None  # nothing lost


async def _read_meta(path: Path) -> dict[str, str]:
    async with Store.open(path) as store:
        return {row[0]: row[1] for row in await store.db.execute_fetchall("SELECT key, value FROM meta")}


async def test_no_checkpointer_for_an_in_memory_store(monkeypatch):
    monkeypatch.setattr(store_connection, "_CHECKPOINT_EVERY", 8, raising=False)
    async with Store.open(":memory:") as store:
        await _background_writes(store, 9)
        assert store._checkpointing is None and store._checkpointer is None


async def test_a_failed_background_checkpoint_is_harmless(tmp_path: Path, monkeypatch):
    path = tmp_path / "bot.db"
    monkeypatch.setattr(store_connection, "_CHECKPOINT_EVERY", 8, raising=False)
    async with Store.open(path) as store:
        store._checkpoint_path = tmp_path / "missing-folder" / "bot.db"  # the checkpointer cannot open it
        await _background_writes(store, 9)
        assert store._checkpointer is None
        rows = await store.db.execute_fetchall("SELECT count(*) FROM meta WHERE key LIKE 'k%'")
        assert rows[0][0] == 7


async def test_no_background_commit_lands_while_a_checkpoint_copies(tmp_path: Path, monkeypatch):
    # A commit during the checkpoint adds pages it does not copy back, so the WAL could never start
    # afresh under steady writes: the write-behind waits for it before its next batch.
    monkeypatch.setattr(store_connection, "_CHECKPOINT_EVERY", 4, raising=False)
    spans: list[tuple[float, float]] = []
    commits: list[float] = []
    checkpoint_now, transaction_nowait = Store._checkpoint_now, store_connection._transaction_nowait

    def slow_checkpoint(self):  # type: ignore[no-untyped-def]
        started = time.monotonic()
        checkpoint_now(self)
        time.sleep(0.05)  # as a checkpoint's fsync on a busy disk
        spans.append((started, time.monotonic()))

    def timed_commit(conn, fn):  # type: ignore[no-untyped-def]
        result = transaction_nowait(conn, fn)
        commits.append(time.monotonic())
        return result

    monkeypatch.setattr(Store, "_checkpoint_now", slow_checkpoint)
    monkeypatch.setattr(store_connection, "_transaction_nowait", timed_commit)
    async with Store.open(tmp_path / "bot.db") as store:
        for i in range(20):  # submitted back to back, as picks would
            store.write_behind.submit(
                ("test", i), Statement("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (f"k{i}", "v")))
            # Each write its own batch, however loaded the machine (back-to-back writes may merge):
            # the next is submitted once this one committed, while a checkpoint may still be copying.
            deadline = time.monotonic() + 10
            while len(commits) <= i and time.monotonic() < deadline:  # noqa: ASYNC110 (the count grows on the database thread)
                await asyncio.sleep(0.001)
        await store.write_behind.flush()
    assert spans and len(commits) == 20
    assert not [t for t in commits for started, ended in spans if started < t < ended]


async def test_a_flush_does_not_wait_behind_the_loops_busy_thread_pool(tmp_path: Path, monkeypatch):
    # The checkpoint runs on a thread of its own: with the loop's default pool full of blocking jobs
    # (an ingest's reads and parses), a flush (a bookmark read, autocomplete) still returns at once.
    monkeypatch.setattr(store_connection, "_CHECKPOINT_EVERY", 1, raising=False)
    async with Store.open(tmp_path / "bot.db") as store:
        loop = asyncio.get_running_loop()
        gate = threading.Event()
        jobs = [loop.run_in_executor(None, gate.wait, 10) for _ in range(40)]
        try:
            await asyncio.sleep(0.05)
            store.write_behind.submit(("bm", 1), Statement("INSERT OR REPLACE INTO meta (key, value) VALUES ('x', '1')"))
            await asyncio.sleep(0.1)
            started = time.monotonic()
            await asyncio.wait_for(store.write_behind.flush(), 5)
            took = time.monotonic() - started
        finally:
            gate.set()
            await asyncio.gather(*jobs)
        assert took < 1.0
        rows = await store.db.execute_fetchall("SELECT value FROM meta WHERE key = 'x'")
        assert [tuple(row) for row in rows] == [("1",)]


async def test_a_checkpoint_never_creates_a_database_that_went_missing(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(store_connection, "_CHECKPOINT_EVERY", 8, raising=False)
    async with Store.open(tmp_path / "bot.db") as store:
        gone = tmp_path / "moved" / "bot.db"
        gone.parent.mkdir()
        store._checkpoint_path = gone  # as if the file were moved away under the bot
        await _background_writes(store, 9)
        assert store._checkpointer is None and not gone.exists()
