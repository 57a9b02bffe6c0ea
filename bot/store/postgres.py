"""PostgreSQL (asyncpg) behind the small part of aiosqlite's interface the store uses.

`Store.open("postgresql://...")` opens a pool and hands the repositories a `PgConnection` as
`store.db`, so one repository module serves both engines. What differs between the dialects is
settled in three places:

- here, per statement (`translate`): `?`, `?N` and `:name` placeholders become `$n` with a cast
  from the Python value's type (an int is `int8`, a str `text`, a float `float8`, None the literal
  NULL), `CAST(x AS INTEGER)` truncates as SQLite's does, `t MATCH p` on a full-text table becomes
  `t.tsv @@ storybot_tsquery(p)`, and the PRAGMAs the store sets are kept on the connection;
- in bot/store/migrations/postgres/ (same numbers as the SQLite ones): BIGINT keys, `tsvector`
  columns with GIN indexes and `*_fts` views in place of FTS5 tables, and a few SQLite functions
  (scalar max/min, json_group_array) defined in SQL;
- in a handful of repository functions that branch on `store.dialect` (ranked search, title
  substrings, the full-text rows the loader writes for SQLite).

Writers: `BEGIN IMMEDIATE` takes a transaction-scoped advisory lock (`WRITE_LOCK`), so writers in
every process that shares the database take turns exactly as SQLite's one write lock makes them;
reads never wait. Errors come out as the sqlite3 exception classes the store already handles
(IntegrityError for constraint violations, OperationalError otherwise).
"""
from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from typing import Any

import asyncpg

from bot.store import timing

log = logging.getLogger(__name__)

URL_SCHEMES = ("postgresql://", "postgres://")
DIALECT = "postgresql"
# pg_advisory_xact_lock key every writer takes ("StoryBot" in ASCII, as a positive int8).
WRITE_LOCK = 0x53746F7279426F74
# Session lock held while migrations run, so two processes starting at once apply each once.
MIGRATION_LOCK = WRITE_LOCK + 1
DEFAULT_POOL_SIZE = 5
_POLL_SECONDS = 0.02


def lock_key(value: object) -> int:
    """A stable advisory-lock key (a signed 64-bit int) for any repr-able value."""
    digest = hashlib.blake2b(repr(value).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def is_url(target: object) -> bool:
    """Whether a database target is a PostgreSQL URL (else it is a SQLite path)."""
    return isinstance(target, str) and target.startswith(URL_SCHEMES)


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


# ------------------------------------------------------------------------------------ translation

# Outside strings, quoted identifiers and comments: placeholders and the "::" cast operator.
_TOKENS = re.compile(
    r"""(?P<skip>'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*)"""
    r"""|(?P<cast>::)|\?(?P<number>\d+)|(?P<question>\?)|(?<![\w:]):(?P<name>[A-Za-z_]\w*)"""
)
_MATCH = re.compile(r"\b(\w+)\s+MATCH\s+(\?\d*|:\w+|'(?:[^']|'')*')", re.IGNORECASE)
# `x IS ?` compares with NULLs as equal in SQLite; PostgreSQL spells it IS NOT DISTINCT FROM.
_IS_PLACEHOLDER = re.compile(r"\bIS\s+(NOT\s+)?(?=\?|:[A-Za-z_])", re.IGNORECASE)
_JSON_ARRAY = re.compile(r"\bjson_array\s*\(", re.IGNORECASE)
_INSERT_OR_IGNORE = re.compile(r"^\s*INSERT\s+OR\s+IGNORE\s+INTO\b", re.IGNORECASE)
_CAST = re.compile(r"\bCAST\s*\(", re.IGNORECASE)
_AS_INTEGER = re.compile(r"\s+AS\s+INTEGER\s*$", re.IGNORECASE)
_PRAGMA = re.compile(r"^\s*PRAGMA\s+(\w+)\s*(?:=\s*(\S+?))?\s*;?\s*$", re.IGNORECASE)
_INSERT_INTO = re.compile(r"^\s*INSERT\s+INTO\s+(\w+)", re.IGNORECASE)
_RETURNS_ROWS = re.compile(r"^\s*(SELECT|WITH|VALUES|SHOW)\b|\bRETURNING\b", re.IGNORECASE)
_CASTS = {bool: "int8", int: "int8", float: "float8", str: "text", bytes: "bytea"}


def _closing(sql: str, start: int) -> int:
    """Index of the parenthesis closing the one open at `start` - 1 (strings skipped)."""
    depth, i = 1, start
    while i < len(sql):
        char = sql[i]
        if char == "'":
            i = sql.index("'", i + 1)
            while sql.startswith("'", i + 1):
                i = sql.index("'", i + 2)
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ValueError("unbalanced parentheses in SQL")


def _truncating_casts(sql: str) -> str:
    """CAST(x AS INTEGER) truncates in SQLite and rounds in PostgreSQL: make it truncate."""
    out, position = [], 0
    for match in _CAST.finditer(sql):
        if match.start() < position:
            continue
        end = _closing(sql, match.end())
        inner = sql[match.end():end]
        as_integer = _AS_INTEGER.search(inner)
        if as_integer is None:
            continue
        expression = _truncating_casts(inner[:as_integer.start()])
        out.append(sql[position:match.start()] + f"CAST(trunc({expression}) AS BIGINT)")
        position = end + 1
    return "".join(out) + sql[position:]


@functools.lru_cache(maxsize=2048)
def _parse(sql: str) -> tuple[tuple[str, ...], tuple[int | str, ...]]:
    """SQLite-flavoured SQL as text pieces around its placeholders (keys: 0-based index or name)."""
    sql = _truncating_casts(sql)
    sql = _MATCH.sub(r"\1.tsv @@ storybot_tsquery(\2)", sql)
    sql = _JSON_ARRAY.sub("json_build_array(", sql)
    sql = _IS_PLACEHOLDER.sub(lambda m: "IS DISTINCT FROM " if m.group(1) else "IS NOT DISTINCT FROM ", sql)
    if _INSERT_OR_IGNORE.match(sql):
        sql = _INSERT_OR_IGNORE.sub("INSERT INTO", sql) + " ON CONFLICT DO NOTHING"
    pieces: list[str] = []
    keys: list[int | str] = []
    position, next_index = 0, 0
    for token in _TOKENS.finditer(sql):
        if token.group("skip") or token.group("cast"):
            continue
        if token.group("number"):
            key: int | str = int(token.group("number")) - 1
            next_index = max(next_index, key + 1)
        elif token.group("question"):
            key, next_index = next_index, next_index + 1
        else:
            key = token.group("name")
        pieces.append(sql[position:token.start()])
        keys.append(key)
        position = token.end()
    pieces.append(sql[position:])
    return tuple(pieces), tuple(keys)


@functools.lru_cache(maxsize=4096)
def _render(sql: str, types: tuple[tuple[int | str, type | None], ...]) -> tuple[str, tuple[int | str, ...]]:
    """The PostgreSQL text for `sql` with parameters of these Python types, and the order of its
    $n arguments. None is written as NULL (it takes any type the context needs)."""
    pieces, keys = _parse(sql)
    of = dict(types)
    numbers: dict[int | str, int] = {}
    out = [pieces[0]]
    for key, piece in zip(keys, pieces[1:], strict=True):
        kind = of[key]
        if kind is None:
            out.append("NULL")
        else:
            if key not in numbers:
                numbers[key] = len(numbers) + 1
            cast = _CASTS.get(kind)
            out.append(f"${numbers[key]}::{cast}" if cast else f"${numbers[key]}")
        out.append(piece)
    return "".join(out), tuple(numbers)


def _kind(value: object) -> type | None:
    if value is None:
        return None
    for kind in _CASTS:
        if isinstance(value, kind):
            return kind
    return type(value)


def _value(value: object) -> object:
    return int(value) if isinstance(value, bool) else value


def translate(sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> tuple[str, list[Any]]:
    """SQLite-flavoured SQL and its parameters as PostgreSQL SQL and a list of $n arguments."""
    _, keys = _parse(sql)
    if isinstance(params, Mapping):
        try:
            values = {key: params[key] for key in set(keys)}
        except KeyError as exc:
            raise sqlite3.ProgrammingError(f"no value for the parameter :{exc.args[0]}") from None
    else:
        values = dict(enumerate(params))
        if set(keys) - set(values) or len(values) > len(set(keys)):
            raise sqlite3.ProgrammingError(
                f"the statement uses {len(set(keys))} parameters, and {len(values)} were supplied"
            )
    types = tuple(sorted(((key, _kind(values[key])) for key in set(keys)), key=lambda kv: str(kv[0])))
    text, order = _render(sql, types)
    return text, [_value(values[key]) for key in order]


# The connection itself failed (the server went away mid-statement): not a statement's error.
_CONNECTION_ERRORS = (
    asyncpg.PostgresConnectionError, asyncpg.InterfaceError, asyncpg.exceptions.InternalClientError,
    ConnectionError, TimeoutError,
)
_KEY_COLUMNS = re.compile(r"Key \(([^)]*)\)=")


def _error(exc: Exception) -> sqlite3.Error:
    """A PostgreSQL error as the sqlite3 exception (and message) the store's callers already handle:
    e.g. "UNIQUE constraint failed: trivia_games.channel_id", "attempt to write a readonly database"."""
    table = getattr(exc, "table_name", None) or "?"
    if isinstance(exc, asyncpg.UniqueViolationError):
        found = _KEY_COLUMNS.search(getattr(exc, "detail", None) or "")
        columns = [c.strip() for c in found.group(1).split(",")] if found else ["?"]
        return sqlite3.IntegrityError("UNIQUE constraint failed: " + ", ".join(f"{table}.{c}" for c in columns))
    if isinstance(exc, asyncpg.NotNullViolationError):
        return sqlite3.IntegrityError(f"NOT NULL constraint failed: {table}.{getattr(exc, 'column_name', '?')}")
    if isinstance(exc, asyncpg.CheckViolationError):
        return sqlite3.IntegrityError(f"CHECK constraint failed: {getattr(exc, 'constraint_name', '?')}")
    if isinstance(exc, asyncpg.ForeignKeyViolationError):
        return sqlite3.IntegrityError("FOREIGN KEY constraint failed")
    if isinstance(exc, asyncpg.IntegrityConstraintViolationError):
        return sqlite3.IntegrityError(str(exc))
    if isinstance(exc, asyncpg.ReadOnlySQLTransactionError):
        return sqlite3.OperationalError(f"attempt to write a readonly database ({exc})")
    return sqlite3.OperationalError(str(exc))


# -------------------------------------------------------------------------------------- execution


class PgCursor:
    """What aiosqlite's cursor offers the store: the rows (already fetched), rowcount, lastrowid."""

    def __init__(self, rows: list[asyncpg.Record], rowcount: int, lastrowid: int | None) -> None:
        self._rows = rows
        self._next = 0
        self.rowcount = rowcount
        self.lastrowid = lastrowid

    async def fetchone(self) -> asyncpg.Record | None:
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    async def fetchall(self) -> list[asyncpg.Record]:
        rows, self._next = self._rows[self._next:], len(self._rows)
        return rows

    async def fetchmany(self, size: int = 1) -> list[asyncpg.Record]:
        rows = self._rows[self._next:self._next + size]
        self._next += len(rows)
        return rows

    def __aiter__(self) -> AsyncIterator[asyncpg.Record]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[asyncpg.Record]:
        while (row := await self.fetchone()) is not None:
            yield row

    async def close(self) -> None:
        self._rows = []

    async def __aenter__(self) -> PgCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class _Pending:
    """`db.execute(...)` is awaited or used with `async with`, as with aiosqlite."""

    def __init__(self, run: Any) -> None:
        self._run = run
        self._cursor: PgCursor | None = None

    def __await__(self):  # type: ignore[no-untyped-def]
        return self._run.__await__()

    async def __aenter__(self) -> PgCursor:
        self._cursor = await self._run
        return self._cursor

    async def __aexit__(self, *exc: object) -> None:
        if self._cursor is not None:
            await self._cursor.close()


class PgConnection:
    """One asyncpg connection held for the store's life (`store.db`: writes, transactions and the
    quick reads), or, without one, any connection of the pool per statement (`store.reader()`).

    Statements on a held connection run one at a time in arrival order (aiosqlite's worker
    thread does the same), so coroutines can share it as they share an aiosqlite connection.
    """

    dialect = DIALECT

    def __init__(self, pool: asyncpg.Pool, conn: asyncpg.Connection | None, *, busy_timeout_ms: int,
                 identity_tables: frozenset[str] = frozenset(), readonly: bool = False) -> None:
        self.pool = pool
        self._readonly = readonly  # each statement in a read-only transaction (store.reader())
        self._conn = conn
        self._turn = asyncio.Lock()
        self._lost = False  # the held connection failed: replace it before the next statement
        self._in_tx = False  # a transaction is open on the held connection (BEGIN seen, no COMMIT/ROLLBACK yet)
        self._tx_lost = False  # ... and the connection it was open on is gone: only ROLLBACK may follow
        self.busy_timeout_ms = busy_timeout_ms
        self.identity_tables = identity_tables  # tables whose `id` the database numbers (lastrowid)
        self.row_factory: object = None  # accepted for aiosqlite compatibility; rows are Records

    @property
    def in_transaction(self) -> bool:
        if self._tx_lost:
            return True  # until the caller's ROLLBACK acknowledges it
        if self._conn is None or self._lost or _is_closed(self._conn):
            return False
        return self._conn.is_in_transaction()

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection]:
        if self._conn is None:
            try:
                async with self.pool.acquire() as conn:
                    if self._readonly:
                        async with conn.transaction(readonly=True):
                            yield conn
                    else:
                        yield conn
            except _CONNECTION_ERRORS as exc:
                raise sqlite3.OperationalError(f"lost the database connection: {exc}") from exc
            return
        async with self._turn:
            if self._lost or _is_closed(self._conn):
                # The server closed it (a restart, a failover, an idle timeout): whatever transaction
                # it held is gone with it; carry on with a fresh connection of the pool.
                log.warning("the database connection was lost; taking a new one")
                with contextlib.suppress(Exception):
                    await self.pool.release(self._conn)
                try:
                    self._conn = await self.pool.acquire()
                    self._lost = False
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                    raise sqlite3.OperationalError(f"cannot reach the database: {exc}") from exc
                if self._in_tx:
                    # Never carry a transaction's later statements over to the new connection
                    # (they would commit without the earlier ones): the transaction failed.
                    self._tx_lost = True
            if self._tx_lost:
                raise sqlite3.OperationalError("lost the database connection: the transaction was rolled back")
            try:
                yield self._conn
            except _CONNECTION_ERRORS as exc:
                self._lost = True  # replaced on the next statement
                self._tx_lost = self._in_tx  # and a transaction open on it failed with it
                with contextlib.suppress(Exception):
                    self._conn.terminate()
                raise sqlite3.OperationalError(f"lost the database connection: {exc}") from exc

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> _Pending:
        return _Pending(self._execute(sql, params))

    async def execute_fetchall(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> list:
        cursor = await self._execute(sql, params)
        return await cursor.fetchall()

    async def _execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any]) -> PgCursor:
        pragma = _PRAGMA.match(sql)
        if pragma is not None:
            return self._pragma(pragma.group(1).lower(), pragma.group(2))
        keyword = sql.strip().upper()
        if keyword == "BEGIN IMMEDIATE":
            await self._begin_write()
            return PgCursor([], -1, None)
        ends = keyword in ("COMMIT", "ROLLBACK", "END")
        if ends and self._tx_lost and self._conn is not None:
            self._tx_lost = self._in_tx = False
            if keyword == "ROLLBACK":
                return PgCursor([], -1, None)  # it was rolled back with the lost connection
            raise sqlite3.OperationalError("lost the database connection: the transaction was rolled back")
        with timing.timed():  # the metrics' database call time (bot/store/timing.py)
            cursor = await self._run(sql, params)
        if self._conn is not None and ends:
            self._in_tx = False
        elif self._conn is not None and keyword.startswith("BEGIN"):
            self._in_tx = True
        return cursor

    async def _run(self, sql: str, params: Sequence[Any] | Mapping[str, Any]) -> PgCursor:
        text, args = translate(sql, params)
        inserted = _INSERT_INTO.match(text)
        lastrowid_wanted = (
            inserted is not None and inserted.group(1) in self.identity_tables and not _RETURNS_ROWS.search(text)
        )
        if lastrowid_wanted:
            text += " RETURNING id"
        try:
            async with self._connection() as conn:
                if lastrowid_wanted or _RETURNS_ROWS.search(text):
                    rows = await conn.fetch(text, *args)
                    lastrowid = rows[-1][0] if lastrowid_wanted and rows else None
                    return PgCursor([] if lastrowid_wanted else rows, len(rows), lastrowid)
                status = await conn.execute(text, *args)
        except asyncpg.PostgresError as exc:
            log.debug("PostgreSQL refused %s: %s", text, exc)
            raise _error(exc) from exc
        count = status.rsplit(" ", 1)[-1]
        return PgCursor([], int(count) if count.isdigit() else -1, None)

    async def executemany(self, sql: str, seq_of_params: Iterable[Sequence[Any] | Mapping[str, Any]]) -> None:
        batch = list(seq_of_params)
        if not batch:
            return
        # One statement for the batch: NULLs and types are left to PostgreSQL to infer from the
        # columns (an INSERT's VALUES), so the text does not depend on the first row's values.
        pieces, keys = _parse(sql)
        numbers: dict[int | str, int] = {}
        out = [pieces[0]]
        for key, piece in zip(keys, pieces[1:], strict=True):
            numbers.setdefault(key, len(numbers) + 1)
            out.append(f"${numbers[key]}")
            out.append(piece)
        text = "".join(out)
        order = list(numbers)
        # Keys are names for a mapping of parameters, 0-based positions for a sequence.
        rows = [[_value(params[key]) for key in order] for params in batch]  # type: ignore[index]
        try:
            with timing.timed():
                async with self._connection() as conn:
                    statement = await conn.prepare(text)
                    rows = _coerce(rows, [t.name for t in statement.get_parameters()])
                    await statement.executemany(rows)
        except asyncpg.PostgresError as exc:
            raise _error(exc) from exc

    async def executescript(self, script: str) -> None:
        """Several statements in one round trip (the simple protocol: no parameters)."""
        try:
            async with self._connection() as conn:
                await conn.execute(script)
        except asyncpg.PostgresError as exc:
            raise _error(exc) from exc

    async def _begin_write(self) -> None:
        """BEGIN IMMEDIATE: a transaction holding the writers' advisory lock, waited for as SQLite
        waits for its write lock (by polling, up to the busy timeout; 0 = fail at once)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.busy_timeout_ms / 1000
        while True:
            try:
                async with self._connection() as conn:
                    await conn.execute("BEGIN")
                    self._in_tx = True
                    if await conn.fetchval("SELECT pg_try_advisory_xact_lock($1::int8)", WRITE_LOCK):
                        return
                    self._in_tx = False
                    await conn.execute("ROLLBACK")
            except asyncpg.PostgresError as exc:
                raise _error(exc) from exc
            if loop.time() >= deadline:
                raise sqlite3.OperationalError("database is locked")
            await asyncio.sleep(_POLL_SECONDS)

    async def begin_keyed(self, key: int, settings: Mapping[str, str] | None = None) -> bool:
        """BEGIN and try the advisory lock `key` once: False (and no transaction) when another
        connection holds it; `settings` for the transaction only (SET LOCAL), in the lock's statement.
        Runs to its end even when the caller is cancelled."""
        names = list(settings or {})
        lock_sql = "SELECT pg_try_advisory_xact_lock($1::int8)" + "".join(
            f", set_config(${2 * i + 2}::text, ${2 * i + 3}::text, true)" for i in range(len(names)))
        values = [v for name in names for v in (name, (settings or {})[name])]

        async def begin() -> bool:
            with timing.timed():
                return await begin_untimed()

        async def begin_untimed() -> bool:
            async with self._connection() as conn:
                await conn.execute("BEGIN")
                self._in_tx = True
                if await conn.fetchval(lock_sql, key, *values):
                    return True
                await conn.execute("ROLLBACK")
                self._in_tx = False
                return False

        job = asyncio.ensure_future(begin())
        try:
            return await asyncio.shield(job)
        except asyncio.CancelledError:
            if await job:
                await self.execute("ROLLBACK")
            raise
        except asyncpg.PostgresError as exc:
            raise _error(exc) from exc

    def _pragma(self, name: str, value: str | None) -> PgCursor:
        """The PRAGMAs the store uses: busy_timeout is kept here; the others have no PostgreSQL
        meaning (WAL, synchronous, foreign keys always on) and read as nothing."""
        if name == "busy_timeout":
            if value is not None:
                self.busy_timeout_ms = int(value)
            return PgCursor([(self.busy_timeout_ms,)], -1, None)  # type: ignore[list-item]
        return PgCursor([], -1, None)

    async def close(self) -> None:
        """Give the held connection back to the pool (the pool is closed by its owner)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                if conn.is_in_transaction():
                    await conn.execute("ROLLBACK")
            with contextlib.suppress(Exception):
                await self.pool.release(conn)


class _SyncCursor:
    """A PgCursor as sqlite3's cursor looks to code running in a thread."""

    def __init__(self, cursor: PgCursor) -> None:
        self._rows = cursor._rows
        self._next = 0
        self.rowcount = cursor.rowcount
        self.lastrowid = cursor.lastrowid

    def fetchone(self) -> asyncpg.Record | None:
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    def fetchall(self) -> list[asyncpg.Record]:
        rows, self._next = self._rows[self._next:], len(self._rows)
        return rows


class ThreadBridge:
    """What Store.write_now's `fn` gets on PostgreSQL in place of a sqlite3 connection: it runs in
    a worker thread, and `execute` sends each statement to the event loop's PgConnection (in the
    transaction write_now holds there) and waits for its cursor."""

    def __init__(self, db: PgConnection, loop: asyncio.AbstractEventLoop) -> None:
        self._db = db
        self._loop = loop

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> _SyncCursor:
        return _SyncCursor(asyncio.run_coroutine_threadsafe(self._db._execute(sql, params), self._loop).result())


async def run_in_thread(db: PgConnection, fn: Any) -> Any:
    """`fn(ThreadBridge)` in a worker thread, to its end even when the caller is cancelled (its
    statements must not outlive the transaction they belong to)."""
    job = asyncio.ensure_future(asyncio.to_thread(fn, ThreadBridge(db, asyncio.get_running_loop())))
    try:
        return await asyncio.shield(job)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await job
        raise


def _is_closed(conn: asyncpg.Connection) -> bool:
    try:
        return conn.is_closed()
    except asyncpg.InterfaceError:  # a pool's proxy whose connection the pool took back
        return True


def _coerce(rows: list[list[Any]], types: list[str]) -> list[list[Any]]:
    """Values as the types PostgreSQL inferred for an executemany (SQLite stores what it is given)."""
    converters = []
    for name in types:
        if name == "text":
            converters.append(lambda v: v if v is None or isinstance(v, str) else str(v))
        elif name in ("int8", "int4", "int2"):
            converters.append(lambda v: v if v is None or isinstance(v, int) else int(v))
        elif name in ("float8", "float4"):
            converters.append(lambda v: v if v is None else float(v))
        else:
            converters.append(None)
    if all(c is None for c in converters):
        return rows
    return [[v if c is None else c(v) for v, c in zip(row, converters, strict=True)] for row in rows]


def _numeric(text: str) -> int | float:
    """numeric (what sum() of integers gives) as SQLite would give it: an int when whole."""
    return int(text) if text.lstrip("-").isdigit() else float(text)


async def _setup_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("numeric", encoder=str, decoder=_numeric, schema="pg_catalog", format="text")


# /quote's statements planned for their own arguments (its transaction's settings: Store.atomic). asyncpg
# prepares each statement, and after five runs PostgreSQL may keep a generic plan, blind to the
# arguments: for a /quote walk or plan over a word's matches (how frequent the word is, how wide the
# rowid range) that plan read every match of the word, or evaluated the word's tsquery at every row: a
# story's word filter at 10^6 quotations took 200-430 ms a statement against 4-35 ms planned each time
# (branch steady11, docs/benchmarks.md). Planning costs about 0.05-3 ms a statement, so the other
# commands' statements (whose plans do not turn on their arguments: /search reads its tsquery once,
# in a CTE) keep PostgreSQL's default, a generic plan once it is no dearer (branch pg14).
CUSTOM_PLANS = {"plan_cache_mode": "force_custom_plan"}


def set_local_sql(settings: Mapping[str, str]) -> str:
    """A statement setting `settings` for the current transaction only (SET LOCAL)."""
    def literal(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    return "SELECT " + ", ".join(f"set_config({literal(k)}, {literal(v)}, true)" for k, v in settings.items())


async def create_pool(url: str, size: int) -> asyncpg.Pool:
    """A pool of up to `size` connections (one is held as store.db)."""
    return await asyncpg.create_pool(
        url, min_size=1, max_size=max(2, size), init=_setup_connection, command_timeout=None,
    )


async def identity_tables(conn: asyncpg.Connection) -> frozenset[str]:
    rows = await conn.fetch(
        "SELECT table_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND column_name = 'id' AND is_identity = 'YES'"
    )
    return frozenset(row[0] for row in rows)
