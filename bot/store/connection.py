"""The Store: one long-lived aiosqlite connection per process, migrated on open, with atomic()."""
from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from bot.store.migrate import MIGRATIONS_DIR, apply_migrations

log = logging.getLogger(__name__)

# How long a statement waits for a lock another process holds. Generous for the command line and
# ingest, which have no deadline; the bot passes a shorter one to fit Discord's 3-second limit.
BUSY_TIMEOUT_MS = 10_000


class StoreError(Exception):
    """The database cannot be opened or used (bad path, not a database). The message is user-facing."""


class Store:
    """Owns the connection. Use `async with Store.open(path) as store:`.

    All writes go through `async with store.atomic():` — the connection is shared by every
    coroutine, so atomic() also serialises writers (reads may run at any time).
    """

    def __init__(self, db: aiosqlite.Connection, path: Path | str) -> None:
        self.db = db
        self.path = path
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task | None = None
        self._depth = 0

    @classmethod
    @asynccontextmanager
    async def open(
        cls, path: Path | str, *, migrations: Path = MIGRATIONS_DIR, busy_timeout_ms: int = BUSY_TIMEOUT_MS
    ) -> AsyncIterator[Store]:
        """Connect (creating the folder), set WAL / foreign keys / busy timeout, apply migrations.

        `busy_timeout_ms`: how long a statement waits for another process's lock before SQLite
        raises "database is locked".
        """
        if isinstance(busy_timeout_ms, bool) or not isinstance(busy_timeout_ms, int) or busy_timeout_ms < 0:
            raise ValueError(f"busy_timeout_ms must be a whole number of milliseconds >= 0, not {busy_timeout_ms!r}")
        if str(path) != ":memory:":
            path = Path(path)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the folder for the database {path}: {exc.strerror}") from exc
        try:
            # isolation_level=None: no implicit transactions; atomic() issues BEGIN itself.
            db = await aiosqlite.connect(path, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the database {path}: {exc}") from exc
        try:
            db.row_factory = sqlite3.Row
            try:
                await db.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
                await db.execute("PRAGMA journal_mode = WAL")
                # NORMAL is durable against a killed process in WAL mode; only power loss can
                # drop the last commits, and it never corrupts.
                await db.execute("PRAGMA synchronous = NORMAL")
                await db.execute("PRAGMA foreign_keys = ON")
                applied = await apply_migrations(db, migrations)
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"cannot use the database {path}: {exc}") from exc
            if applied:
                log.info("database %s migrated to %04d", path, applied[-1])
            yield cls(db, path)
        finally:
            await db.close()

    @asynccontextmanager
    async def atomic(self) -> AsyncIterator[None]:
        """BEGIN IMMEDIATE … COMMIT, ROLLBACK on any exception.

        Nested use in the same task becomes a SAVEPOINT, so an inner failure that is caught
        undoes only the inner block. Other tasks wait for the outer transaction to finish.
        """
        task = asyncio.current_task()
        if self._owner is not None and self._owner is task:
            name = f"sp{self._depth}"
            self._depth += 1
            try:
                await self._settled(f"SAVEPOINT {name}")
                try:
                    yield
                except BaseException:
                    if self.db.in_transaction:
                        await self._settled(f"ROLLBACK TO {name}")
                        await self._settled(f"RELEASE {name}")
                    raise
                else:
                    await self._settled(f"RELEASE {name}")
            finally:
                self._depth -= 1
            return
        async with self._lock:
            self._owner = task
            self._depth = 0
            try:
                try:
                    await self._settled("BEGIN IMMEDIATE")
                    yield
                    await self._settled("COMMIT")
                except BaseException:
                    # SQLite may already have rolled back on its own (e.g. after SQLITE_FULL).
                    if self.db.in_transaction:
                        await self._settled("ROLLBACK")
                    raise
            finally:
                self._owner = None

    async def _settled(self, sql: str) -> None:
        """Run a transaction-control statement to its end even when the caller is cancelled.

        aiosqlite runs a queued statement after its awaiting task is cancelled; without this a
        BEGIN cancelled in flight would leave the shared connection inside a transaction that
        nobody owns, and every later atomic() would fail.
        """
        statement = asyncio.ensure_future(self.db.execute(sql))
        try:
            await asyncio.shield(statement)
        except asyncio.CancelledError:
            await statement
            raise

    async def get_meta(self, key: str) -> str | None:
        async with self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)) as cur:
            row = await cur.fetchone()
        return None if row is None else row[0]

    async def set_meta(self, key: str, value: str) -> None:
        async with self.atomic():
            await self.db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    async def schema_version(self) -> int:
        async with self.db.execute("SELECT max(version) FROM schema_migrations") as cur:
            row = await cur.fetchone()
        return row[0] or 0
