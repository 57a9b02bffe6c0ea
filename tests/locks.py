"""Another process holding the database's write lock, for the tests that must wait it out.

On SQLite a write transaction of another connection; on PostgreSQL (a postgresql:// URL) another
connection's transaction holding the writers' advisory lock (bot/store/postgres.py), which is what
a writer in another bot process or an upload worker holds.
"""
from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

from bot.store.postgres import WRITE_LOCK, is_url


class WriteLockHolder:
    """A writer in another connection, in its own thread, holding the write lock until release()."""

    def __init__(self, target: Path | str, *, exclusive: bool = False, seconds: float | None = None) -> None:
        self._seconds = seconds  # released by itself after this long, else by release()
        self._release = threading.Event()
        self._taken = threading.Event()
        self._failure: list[BaseException] = []
        runner = self._hold_postgres if is_url(target) else self._hold_sqlite
        self._thread = threading.Thread(target=runner, args=(target, exclusive), name="lock holder")
        self._thread.start()
        self._taken.wait(10)
        assert not self._failure, self._failure

    def _hold_sqlite(self, path: Path | str, exclusive: bool) -> None:
        connection = sqlite3.connect(path, isolation_level=None, timeout=0)
        try:
            connection.execute("BEGIN EXCLUSIVE" if exclusive else "BEGIN IMMEDIATE")
            self._taken.set()
            self._release.wait(self._seconds)
            connection.execute("COMMIT")
        except sqlite3.Error as exc:
            self._failure.append(exc)
            self._taken.set()
        finally:
            connection.close()

    def _hold_postgres(self, url: str, exclusive: bool) -> None:
        import asyncpg

        async def hold() -> None:
            connection = await asyncpg.connect(url)
            try:
                await connection.execute("BEGIN")
                await connection.execute("SELECT pg_advisory_xact_lock($1)", WRITE_LOCK)
                self._taken.set()
                await asyncio.get_running_loop().run_in_executor(None, self._release.wait, self._seconds)
                await connection.execute("COMMIT")
            finally:
                await connection.close()

        try:
            asyncio.run(hold())
        except Exception as exc:
            self._failure.append(exc)
            self._taken.set()

    def release(self) -> None:
        self._release.set()
        self._thread.join()

    def join(self) -> None:
        self._thread.join()


def hold_write_lock(target: Path | str) -> WriteLockHolder:
    """Another process's long write transaction (e.g. the upload worker storing a story)."""
    return WriteLockHolder(target)


@contextlib.contextmanager
def locked(path: Path | str, seconds: float) -> Iterator[None]:
    """Another process's writer holding the write lock for `seconds` (BEGIN EXCLUSIVE on SQLite)."""
    holder = WriteLockHolder(path, exclusive=True, seconds=seconds)
    try:
        yield
    finally:
        holder.join()
