"""The Store: one long-lived connection per process, migrated on open, with atomic().

SQLite (aiosqlite) by default; a postgresql:// URL opens PostgreSQL through asyncpg behind the same
interface (bot/store/postgres.py), so the repositories run unchanged on both engines.
"""
from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import sqlite3
import urllib.parse
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

import aiosqlite

from bot.store import postgres, timing
from bot.store.migrate import MIGRATIONS_DIR, POSTGRES_MIGRATIONS_DIR, apply_migrations

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
        # checkpoint_behind's file, resolved now: a later change of working directory moves nothing
        self._checkpoint_path = Path(path).resolve() if str(path) != ":memory:" else Path(str(path))
        # "sqlite" or "postgresql": the few queries whose SQL differs between them branch on it.
        self.dialect: str = getattr(db, "dialect", "sqlite")
        self._pg_reader: postgres.PgConnection | None = None
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task | None = None
        self._depth = 0
        self._write_behind: WriteBehind | None = None
        self._reader: asyncio.Future[aiosqlite.Connection] | None = None
        self._checkpointer: sqlite3.Connection | None = None  # checkpoint_behind's, used on a worker thread
        self._checkpointing: asyncio.Task | None = None
        self._checkpoint_thread: ThreadPoolExecutor | None = None  # its own: never queued behind the loop's pool

    @property
    def write_behind(self) -> WriteBehind:
        """Writes nobody waits for (bookmarks, saved searches, quote cursors): see WriteBehind."""
        if self._write_behind is None:
            self._write_behind = WriteBehind(self)
        return self._write_behind

    async def reader(self) -> aiosqlite.Connection:
        """A second, read-only connection for reads that take tens of milliseconds (ranked search).

        aiosqlite runs one connection's statements one after another on its thread, so a 50 ms
        search on `db` held up every page turn and quote queued behind it. It sees what is
        committed (WAL), not an open transaction on `db`. Opened on first use, closed with the store;
        an in-memory database has no second connection and answers from `db`. On PostgreSQL the
        reader takes any free connection of the pool for each statement.
        """
        if self._pg_reader is not None:
            return self._pg_reader  # type: ignore[return-value]
        if str(self.path) == ":memory:":
            return self.db
        if self._reader is None:
            self._reader = asyncio.ensure_future(self._open_reader())
        try:
            return await asyncio.shield(self._reader)
        except Exception:
            self._reader = None  # the next call tries again
            raise

    async def _open_reader(self) -> aiosqlite.Connection:
        (row,) = await self.db.execute_fetchall("PRAGMA busy_timeout")
        reader = await timing.connect(self.path, isolation_level=None)
        try:
            reader.row_factory = sqlite3.Row
            await reader.execute(f"PRAGMA busy_timeout = {int(row[0])}")
            await reader.execute("PRAGMA query_only = ON")
        except BaseException:
            await reader.close()
            raise
        return reader

    async def _close_reader(self) -> None:
        if self._reader is not None:
            reader, self._reader = self._reader, None
            with contextlib.suppress(Exception):
                await (await reader).close()

    def checkpoint_behind(self) -> None:
        """Start a passive WAL checkpoint on a connection of its own (on a worker thread), unless one
        is under way. SQLite checkpoints when a commit leaves the WAL over 1,000 pages, on the
        committing connection's thread, and a checkpoint ends with an fsync of the database file
        (20-35 ms on a shared disk): a background write's commit then held up every pick and page
        turn queued behind it on `db`'s one thread. The write-behind calls this every
        _CHECKPOINT_EVERY batches, so the WAL is copied back long before a commit crosses that
        mark (the next write starts the WAL afresh once every page is copied); a large
        transaction (an ingest) still checkpoints on `db` as before. SQLite files only; no-op
        elsewhere. A PASSIVE checkpoint never waits for a lock nor blocks a reader or writer."""
        if self.dialect != "sqlite" or str(self.path) == ":memory:":
            return
        if self._checkpointing is None or self._checkpointing.done():
            self._checkpointing = asyncio.ensure_future(self._checkpoint())

    async def checkpoint_done(self) -> None:
        """Wait for the checkpoint checkpoint_behind started, if one is under way."""
        if self._checkpointing is not None and not self._checkpointing.done():
            await asyncio.shield(self._checkpointing)

    async def _checkpoint(self) -> None:
        # A plain connection on a thread of its own (one checkpoint at a time): no job queued on a
        # connection a reply waits for, and not the loop's default pool, which the loader's blocking
        # jobs fill during an ingest while the write-behind (so a flush) waits for this checkpoint.
        if self._checkpoint_thread is None:
            self._checkpoint_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="storybot-checkpoint")
        try:
            await asyncio.get_running_loop().run_in_executor(self._checkpoint_thread, self._checkpoint_now)
        except Exception:  # a failed checkpoint costs nothing but a longer WAL: the next commit's
            log.debug("background checkpoint failed", exc_info=True)  # autocheckpoint does it

    def _checkpoint_now(self) -> None:
        if self._checkpointer is None:
            # Read-write, never create: a database moved or deleted under the bot is not made anew
            # (empty) by a checkpoint; the open fails and the commit's own autocheckpoint stays.
            uri = "file:" + urllib.parse.quote(str(self._checkpoint_path)) + "?mode=rw"
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout = 0")
            self._checkpointer = conn
        self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    async def _close_checkpointer(self) -> None:
        if self._checkpointing is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(self._checkpointing)  # a cancelled close leaves it to finish
            self._checkpointing = None
        if self._checkpointer is not None:
            checkpointer, self._checkpointer = self._checkpointer, None
            with contextlib.suppress(Exception):
                await asyncio.get_running_loop().run_in_executor(self._checkpoint_thread, checkpointer.close)
        if self._checkpoint_thread is not None:
            self._checkpoint_thread.shutdown(wait=False)
            self._checkpoint_thread = None

    async def close_write_behind(self) -> None:
        """Write what is pending and stop the background writer (Store.open calls this on exit)."""
        if self._write_behind is not None:
            await self._write_behind.close()

    @classmethod
    @asynccontextmanager
    async def open(
        cls, path: Path | str, *, migrations: Path | None = None, busy_timeout_ms: int = BUSY_TIMEOUT_MS,
        pool_size: int = postgres.DEFAULT_POOL_SIZE,
    ) -> AsyncIterator[Store]:
        """Connect (creating the folder), set WAL / foreign keys / busy timeout, apply migrations.

        `path`: a SQLite file (or ":memory:"), or a postgresql:// URL (`pool_size` connections at
        most; `migrations` then defaults to bot/store/migrations/postgres).
        `busy_timeout_ms`: how long a statement waits for another process's lock before SQLite
        raises "database is locked" (on PostgreSQL: how long a writer waits for the write lock).
        """
        if isinstance(busy_timeout_ms, bool) or not isinstance(busy_timeout_ms, int) or busy_timeout_ms < 0:
            raise ValueError(f"busy_timeout_ms must be a whole number of milliseconds >= 0, not {busy_timeout_ms!r}")
        if postgres.is_url(path):
            async with cls._open_postgres(
                str(path), migrations or POSTGRES_MIGRATIONS_DIR, busy_timeout_ms, pool_size
            ) as store:
                yield store
            return
        migrations = migrations or MIGRATIONS_DIR
        if str(path) != ":memory:":
            path = Path(path)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the folder for the database {path}: {exc.strerror}") from exc
        try:
            # isolation_level=None: no implicit transactions; atomic() issues BEGIN itself.
            db = await timing.connect(path, isolation_level=None)
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
            store = cls(db, path)
            try:
                yield store
            finally:
                try:
                    await store.close_write_behind()
                finally:
                    await store._close_checkpointer()
                    await store._close_reader()
        finally:
            await db.close()

    @classmethod
    @asynccontextmanager
    async def _open_postgres(
        cls, url: str, migrations: Path, busy_timeout_ms: int, pool_size: int
    ) -> AsyncIterator[Store]:
        try:
            pool = await postgres.create_pool(url, pool_size)
        except (TimeoutError, OSError, ValueError, postgres.asyncpg.PostgresError, postgres.asyncpg.InterfaceError) as exc:
            raise StoreError(f"cannot connect to the database {postgres.redact(url)}: {exc}") from exc
        db: postgres.PgConnection | None = None
        try:
            db = postgres.PgConnection(pool, await pool.acquire(), busy_timeout_ms=busy_timeout_ms)
            try:
                applied = await apply_migrations(db, migrations)  # type: ignore[arg-type]
                async with db._connection() as conn:
                    db.identity_tables = await postgres.identity_tables(conn)
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"cannot use the database {postgres.redact(url)}: {exc}") from exc
            if applied:
                log.info("database %s migrated to %04d", postgres.redact(url), applied[-1])
            store = cls(db, url)  # type: ignore[arg-type]
            store._pg_reader = postgres.PgConnection(pool, None, busy_timeout_ms=busy_timeout_ms, readonly=True)
            store._pg_reader.identity_tables = db.identity_tables
            try:
                yield store
            finally:
                await store.close_write_behind()
        finally:
            try:
                if db is not None:
                    await db.close()
            finally:
                await pool.close()

    @asynccontextmanager
    async def atomic(
        self, *, lock: Hashable | None = None, settings: Mapping[str, str] | None = None
    ) -> AsyncIterator[None]:
        """BEGIN IMMEDIATE … COMMIT, ROLLBACK on any exception.

        Nested use in the same task becomes a SAVEPOINT, so an inner failure that is caught
        undoes only the inner block. Other tasks wait for the outer transaction to finish.

        The write lock is awaited by polling, not in SQLite's busy handler: a BEGIN busy-waiting for
        another process's lock (an upload being stored) would hold the connection's one thread, and
        every read queued behind it, for as long. Gives up with "database is locked" once the busy
        timeout has passed, as SQLite would.

        `lock` (PostgreSQL): instead of the writers' lock, take an advisory lock on this key only,
        for a read-modify-write of rows that only holders of the same key change (a /quote cycle),
        so it neither waits for nor holds up other writers. SQLite has only its one write lock.

        `settings` (PostgreSQL): server settings for this transaction only (SET LOCAL), sent with its
        BEGIN's lock statement, so they cost no round trip (nested: a statement of their own, kept
        until the outer transaction ends). SQLite has none.
        """
        task = asyncio.current_task()
        if self._owner is not None and self._owner is task:
            name = f"sp{self._depth}"
            self._depth += 1
            try:
                await self._settled(f"SAVEPOINT {name}")
                if settings and isinstance(self.db, postgres.PgConnection):
                    await self.db.execute_fetchall(postgres.set_local_sql(settings))
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
        deadline: float | None = None
        while True:
            async with self._lock:
                self._owner = task
                self._depth = 0
                try:
                    if await self._begin_nowait(lock, settings):
                        async with self._committed():
                            yield
                        return
                finally:
                    self._owner = None
            deadline = await self._wait_for_lock(deadline)

    async def _wait_for_lock(self, deadline: float | None) -> float:
        """One poll's wait for another writer's lock: the deadline (set from the busy timeout on the
        first call); raises "database is locked" once it has passed."""
        now = asyncio.get_running_loop().time()
        if deadline is None:
            deadline = now + await self._busy_timeout_ms() / 1000
        if now >= deadline:
            raise sqlite3.OperationalError("database is locked")
        await asyncio.sleep(_POLL_SECONDS)
        return deadline

    @asynccontextmanager
    async def _committed(self) -> AsyncIterator[None]:
        """COMMIT after the block, ROLLBACK if it raises (BEGIN is the block's first statement)."""
        try:
            yield
            await self._settled("COMMIT")
        except BaseException:
            # SQLite may already have rolled back on its own (e.g. after SQLITE_FULL).
            if self.db.in_transaction:
                await self._settled("ROLLBACK")
            raise

    async def _busy_timeout_ms(self) -> int:
        # Read each time: the busy timeout may be changed on the connection after opening.
        (row,) = await self.db.execute_fetchall("PRAGMA busy_timeout")
        return int(row[0])

    async def _begin_nowait(self, lock: Hashable | None = None, settings: Mapping[str, str] | None = None) -> bool:
        """BEGIN IMMEDIATE without waiting: False when another connection holds the write lock.
        One round trip to the connection's thread (see `_in_thread`). On PostgreSQL: BEGIN and
        the writers' advisory lock, or with `lock` (see atomic()) that key's advisory lock, and the
        transaction's `settings` with the lock."""
        if isinstance(self.db, postgres.PgConnection):
            return await self.db.begin_keyed(postgres.WRITE_LOCK if lock is None else postgres.lock_key(lock),
                                             settings)
        return await self._in_thread(_begin_immediate_nowait)

    async def _in_thread(self, fn: Callable[..., _T], *args: object) -> _T:
        """Run `fn(sqlite3_connection, *args)` as ONE job on the connection's thread, to its end
        even when the caller is cancelled (as `_settled`).

        For a few statements that must not be split by a thread hop each (a write transaction
        begun, done and committed in one trip). aiosqlite has no public call for this; its
        `_execute` is what each of its own methods queues, so every statement still runs on the
        one thread that owns the connection.
        """
        job = asyncio.ensure_future(self.db._execute(fn, self.db._conn, *args))
        try:
            return await asyncio.shield(job)
        except asyncio.CancelledError:
            await job
            raise

    async def read_job(self, fn: Callable[..., _T], *args: object) -> _T:
        """`fn(sqlite3_connection, *args)`: a few reads as ONE job on the connection's thread (SQLite
        only), for a reply that needs the answers of two queries in one round trip. `fn` only reads."""
        return await self.db._execute(fn, self.db._conn, *args)

    async def reader_job(self, fn: Callable[..., _T], *args: object) -> _T:
        """read_job on the reader connection (reader()): SQLite only."""
        conn = await self.reader()
        return await conn._execute(fn, conn._conn, *args)

    async def write_now(self, fn: Callable[[sqlite3.Connection], _T]) -> _T:
        """`fn(conn)` (plain statements, run on the connection's thread) in a write transaction
        committed in one round trip: BEGIN IMMEDIATE, fn, COMMIT, or ROLLBACK if fn raises.

        For small writes a reply waits for (a compare-and-set): awaits the write lock as atomic()
        does (polling, never in SQLite's busy handler) and is serialised with atomic() and the
        background writer. Inside atomic() in the same task it runs in that transaction.

        On PostgreSQL `fn` runs in a worker thread inside atomic(), each of its statements sent
        back to the event loop (bot.store.postgres.ThreadBridge): the same code for both engines.
        """
        if isinstance(self.db, postgres.PgConnection):
            async with self.atomic():
                return await postgres.run_in_thread(self.db, fn)
        task = asyncio.current_task()
        if self._owner is not None and self._owner is task:
            return await self._in_thread(fn)
        deadline: float | None = None
        while True:
            async with self._lock:
                self._owner = task
                try:
                    done, result = await self._in_thread(_transaction_nowait, fn)
                finally:
                    self._owner = None
            if done:
                return result
            deadline = await self._wait_for_lock(deadline)

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

    async def ping(self) -> None:
        """A trivial query: returns once the database answers (the health check), raises otherwise."""
        await self.db.execute_fetchall("SELECT 1")

    @property
    def display_name(self) -> str:
        """The database as messages name it: the SQLite path, or the URL without its password."""
        return str(self.path) if self.dialect == "sqlite" else postgres.redact(str(self.path))

    async def tables(self) -> list[str]:
        """The content tables by name (the engines' internal ones, FTS5's included, left out)."""
        if self.dialect == "sqlite":
            sql = ("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                   " AND sql NOT LIKE 'CREATE VIRTUAL%' AND name NOT GLOB '*_fts_*' ORDER BY name")
        else:
            sql = ("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
                   " AND table_type = 'BASE TABLE' ORDER BY table_name")
        return [row[0] for row in await self.db.execute_fetchall(sql)]

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


Write = Callable[[aiosqlite.Connection], Awaitable[None]]
_T = TypeVar("_T")
_Params = Sequence[object] | Mapping[str, object]


class Statement:
    """A write for WriteBehind.submit given as plain SQL: `Statement(sql, params, *more)`, where
    `more` are further (sql, params) pairs run after it, in the same transaction. A batch made of
    these commits in one round trip, so no transaction of the background writer stays open while
    the event loop runs something else. Also usable as a Write."""

    __slots__ = ("steps",)

    def __init__(self, sql: str, params: _Params = (), *more: tuple[str, _Params]) -> None:
        self.steps: tuple[tuple[str, _Params], ...] = ((sql, params), *more)

    async def __call__(self, db: aiosqlite.Connection) -> None:
        for sql, params in self.steps:
            await db.execute(sql, params)


def _execute_all(statements: list[Statement], conn: sqlite3.Connection) -> None:
    for statement in statements:
        for sql, params in statement.steps:
            conn.execute(sql, params)


def _begin_immediate_nowait(conn: sqlite3.Connection) -> bool:
    """On the connection's thread: BEGIN IMMEDIATE with the busy timeout at 0 for that statement
    only; False when another connection holds the write lock."""
    (busy_ms,) = conn.execute("PRAGMA busy_timeout").fetchone()
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            return False
        raise
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
    return True


def _transaction_nowait(conn: sqlite3.Connection, fn: Callable[[sqlite3.Connection], _T]) -> tuple[bool, _T | None]:
    """On the connection's thread: (True, fn(conn)) committed, or (False, None) when the write
    lock is another connection's (nothing done). Rolled back if fn or COMMIT raises."""
    if not _begin_immediate_nowait(conn):
        return False, None
    try:
        result = fn(conn)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return True, result
_POLL_SECONDS = 0.02
# Background write batches between passive checkpoints off `db`'s thread (Store.checkpoint_behind):
# a batch is a few pages of WAL (about 4 for a quote cursor), so 64 of them stay well under SQLite's 1,000-page autocheckpoint.
_CHECKPOINT_EVERY = 64
_MAX_ATTEMPTS = 1500  # ~30 s of another process's lock, then the batch is dropped (logged)


class WriteBehind:
    """Small writes committed by a background task, so the reply path never waits for the write lock.

    `submit(key, write)` returns at once; a later submit with the same key replaces a pending one
    (only the latest bookmark or cursor matters), other writes keep their order. The task commits
    each batch in one transaction on the store's connection, serialised with atomic(), and polls for
    the write lock as atomic() does (for up to ~30 s rather than the busy timeout), so a batch waiting
    for another process's lock never holds up the reads queued on `store.db`. A write that fails otherwise is
    retried alone, then logged and dropped. Pending writes
    are lost only if the process dies; `flush()` waits for everything submitted so far, `close()`
    flushes and stops.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._pending: OrderedDict[Hashable, tuple[Write, Callable[[], None] | None]] = OrderedDict()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task | None = None
        self._closed = False
        self._serial = 0
        self._lazy: set[Hashable] = set()  # pending keys that wait for another write or a flush
        self._flushing = 0
        self._commits = 0  # batches committed, for checkpoint_behind

    def submit(
        self, key: Hashable | None, write: Write, *, done: Callable[[], None] | None = None, lazy: bool = False,
    ) -> None:
        """Queue `write(db)` (plain statements: the writer wraps the batch in a transaction).

        `done` runs once the write is committed or dropped (e.g. to forget an in-memory copy).
        `lazy`: no transaction of its own; it rides along with the next batch, or `flush()` (unless it
        replaces a pending write that was not lazy: it is then as due as that one).
        """
        if self._closed:
            raise RuntimeError("the store's background writer is closed")
        if key is None:
            self._serial += 1
            key = ("#", self._serial)
        replaced = self._pending.pop(key, None)
        if replaced is not None:
            if replaced[1] is not None:
                replaced[1]()
            # A write due now and replaced before the writer ran stays due: a lazy one in its place
            # would wait for another write or a flush (a quote cursor's eager write every
            # _UNWRITTEN_MAX picks, replaced by the next pick's lazy one before the writer ran).
            lazy = lazy and key in self._lazy
        self._pending[key] = (write, done)
        if lazy:
            self._lazy.add(key)
            return
        self._lazy.discard(key)
        self._wake_writer()

    def _wake_writer(self) -> None:
        self._idle.clear()
        self._wake.set()
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="store write-behind")

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def flush(self) -> None:
        """Wait until every write submitted so far is committed (or dropped after an error)."""
        if self._pending and (self._task is None or not self._task.done()):
            self._wake_writer()  # lazy writes wait for nothing else
        if self._task is not None and not self._task.done():
            self._flushing += 1
            try:
                await asyncio.shield(self._idle.wait())
            finally:
                self._flushing -= 1

    async def close(self) -> None:
        if self._closed:
            return
        await self.flush()
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            if not self._pending or (not self._flushing and self._lazy.issuperset(self._pending)):
                self._idle.set()
                self._wake.clear()
                await self._wake.wait()
                continue
            batch = list(self._pending.items())
            self._pending.clear()
            self._lazy.clear()
            try:
                await self._commit(batch)
            except asyncio.CancelledError:
                raise
            except Exception:
                if len(batch) == 1:
                    self._drop(batch)
                    continue
                # One bad write must not cost the others: retry them one by one.
                for item in batch:
                    try:
                        await self._commit([item])
                    except asyncio.CancelledError:
                        raise
                    except Exception:
                        self._drop([item])

    @staticmethod
    def _drop(batch: list[tuple[Hashable, tuple[Write, Callable[[], None] | None]]]) -> None:
        log.exception("background write %s dropped", ", ".join(repr(key) for key, _ in batch))
        for _, (_, done) in batch:
            if done is not None:
                done()

    async def _commit(self, batch: list[tuple[Hashable, tuple[Write, Callable[[], None] | None]]]) -> None:
        store = self._store
        for attempt in range(_MAX_ATTEMPTS):
            async with store._lock:
                store._owner = asyncio.current_task()
                try:
                    writes = [write for _, (write, _) in batch]
                    if store.dialect == "sqlite" and all(isinstance(write, Statement) for write in writes):
                        # Plain statements: BEGIN, the batch and COMMIT in one round trip.
                        done, _ = await store._in_thread(_transaction_nowait, functools.partial(_execute_all, writes))
                        if done:
                            break
                    elif await store._begin_nowait():
                        try:
                            for write in writes:
                                await write(store.db)
                            await store._settled("COMMIT")
                        except BaseException:
                            if store.db.in_transaction:
                                await store._settled("ROLLBACK")
                            raise
                        break
                finally:
                    store._owner = None
            # Another process holds the write lock: let the connection serve reads meanwhile.
            if attempt % 50 == 49:
                log.info("background writes still wait for the database lock (%d pending)", len(batch))
            await asyncio.sleep(_POLL_SECONDS)
        else:
            raise sqlite3.OperationalError("database is locked")
        self._commits += 1
        if self._commits % _CHECKPOINT_EVERY == 0:
            store.checkpoint_behind()
        for _, (_, done) in batch:
            if done is not None:
                done()
        # The next batch waits for the checkpoint (on its own thread; picks and reads on `db` go on
        # meanwhile): the WAL starts afresh only at a commit that finds every page copied back,
        # and a commit during the checkpoint would add pages it does not copy, every time.
        await store.checkpoint_done()
