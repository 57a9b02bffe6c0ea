"""`python -m bot copy-db --to TARGET`: every row of one database into another, either engine to either.

The target is opened (and so migrated) like any store, must hold no rows yet, and is written in one
transaction: a failure leaves it as empty as it was. The source is read in one snapshot (a read
transaction), so a bot writing to it meanwhile cannot make the copy inconsistent. Tables are
copied parents first (by their foreign keys), their stored columns only (generated ones such as
`stories.scope` and PostgreSQL's tsvector columns are computed again by the target), and then the
target's own derived state is rebuilt: SQLite's FTS5 indexes, PostgreSQL's id sequences.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from bot.store.connection import Store

log = logging.getLogger(__name__)

BATCH_ROWS = 5_000
# Bookkeeping each database keeps for itself (the target already has its own migration records).
_NOT_COPIED = frozenset({"schema_migrations"})
_SQLITE_FTS = ("paragraphs_fts", "quotes_fts", "stories_title_fts")


class TargetNotEmpty(Exception):
    """The target already holds rows; the message is one user-facing line."""


class SchemaMismatch(Exception):
    """Source and target are at different schema versions; the message is one user-facing line."""


@dataclass(frozen=True, slots=True)
class _Table:
    name: str
    columns: tuple[str, ...]  # stored (not generated) columns
    key: tuple[str, ...]  # the order rows are read in


async def _stored_columns(store: Store, table: str) -> list[str]:
    if store.dialect == "sqlite":
        # table_xinfo's `hidden`: 2 and 3 are generated columns.
        rows = await store.db.execute_fetchall(f'PRAGMA table_xinfo("{table}")')
        return [row[1] for row in rows if row[6] == 0]
    rows = await store.db.execute_fetchall(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
        " AND table_name = ? AND is_generated = 'NEVER' ORDER BY ordinal_position",
        (table,),
    )
    return [row[0] for row in rows]


async def _primary_key(store: Store, table: str) -> list[str]:
    if store.dialect == "sqlite":
        rows = await store.db.execute_fetchall(f'PRAGMA table_info("{table}")')
        return [row[1] for row in sorted((r for r in rows if r[5]), key=lambda r: r[5])]
    rows = await store.db.execute_fetchall(
        "SELECT a.attname FROM pg_index AS i JOIN pg_attribute AS a ON a.attrelid = i.indrelid"
        " AND a.attnum = ANY (i.indkey) WHERE i.indrelid = CAST(? AS regclass) AND i.indisprimary"
        " ORDER BY array_position(i.indkey, a.attnum)",
        (table,),
    )
    return [row[0] for row in rows]


async def _parents(store: Store, table: str) -> set[str]:
    """The tables `table` references with foreign keys."""
    if store.dialect == "sqlite":
        rows = await store.db.execute_fetchall(f'PRAGMA foreign_key_list("{table}")')
        return {row[2] for row in rows}
    rows = await store.db.execute_fetchall(
        "SELECT DISTINCT CAST(confrelid AS regclass)::text FROM pg_constraint"
        " WHERE contype = 'f' AND conrelid = CAST(? AS regclass)",
        (table,),
    )
    return {row[0] for row in rows}


async def _plan(source: Store, target: Store) -> list[_Table]:
    """The tables to copy, parents before children, with the columns both databases store."""
    names = [t for t in await source.tables() if t not in _NOT_COPIED]
    missing = sorted(set(names) - set(await target.tables()))
    if missing:
        raise SchemaMismatch(f"the target has no table {missing[0]} (is it migrated by another StoryBot version?)")
    parents = {name: (await _parents(source, name)) & set(names) - {name} for name in names}
    ordered: list[str] = []
    while len(ordered) < len(names):
        ready = sorted(n for n in names if n not in ordered and parents[n] <= set(ordered))
        if not ready:
            raise RuntimeError(f"foreign keys form a cycle among {sorted(set(names) - set(ordered))}")
        ordered.extend(ready)
    tables = []
    for name in ordered:
        theirs = set(await _stored_columns(target, name))
        columns = tuple(c for c in await _stored_columns(source, name) if c in theirs)
        key = tuple(await _primary_key(source, name)) or columns
        tables.append(_Table(name, columns, key))
    return tables


async def _check_empty(target: Store) -> None:
    for table in await target.tables():
        if table in _NOT_COPIED:
            continue
        rows = await target.db.execute_fetchall(f'SELECT 1 FROM "{table}" LIMIT 1')
        if rows:
            raise TargetNotEmpty(
                f"the target already holds data (table {table} has rows); copy-db only fills an empty database"
            )


async def copy_database(
    source: Store, target: Store, *, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Copy every row of `source` into the empty `target`; returns the rows copied per table.

    Raises TargetNotEmpty or SchemaMismatch before writing anything; any failure while copying
    rolls the target back to empty.
    """
    theirs, ours = await target.schema_version(), await source.schema_version()
    if theirs != ours:
        raise SchemaMismatch(f"the source is at schema {ours:04d} and the target at {theirs:04d}")
    await _check_empty(target)
    tables = await _plan(source, target)
    copied: dict[str, int] = {}
    # One snapshot of the source for the whole copy (WAL on SQLite; REPEATABLE READ on PostgreSQL).
    await source.db.execute("BEGIN" if source.dialect == "sqlite" else "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    try:
        async with target.atomic():
            await _check_empty(target)  # again, now that we hold the write lock
            for table in tables:
                copied[table.name] = await _copy_table(source, target, table, progress)
            await _rebuild_derived(target, tables)
    finally:
        await source.db.execute("ROLLBACK")
    return copied


async def _copy_table(
    source: Store, target: Store, table: _Table, progress: Callable[[str, int], None] | None
) -> int:
    columns = ", ".join(f'"{c}"' for c in table.columns)
    order = ", ".join(f'"{c}"' for c in table.key)
    insert = f'INSERT INTO "{table.name}" ({columns}) VALUES ({", ".join("?" * len(table.columns))})'
    done = 0
    while True:
        rows = await source.db.execute_fetchall(
            f'SELECT {columns} FROM "{table.name}" ORDER BY {order} LIMIT ? OFFSET ?', (BATCH_ROWS, done)
        )
        if not rows:
            return done
        await target.db.executemany(insert, [tuple(row) for row in rows])
        done += len(rows)
        if progress is not None:
            progress(table.name, done)
        if len(rows) < BATCH_ROWS:
            return done


async def _rebuild_derived(target: Store, tables: list[_Table]) -> None:
    if target.dialect == "sqlite":
        for fts in _SQLITE_FTS:
            await target.db.execute(f"INSERT INTO {fts} ({fts}) VALUES ('rebuild')")
        return
    # Rows came with their ids: move each identity sequence past the largest one.
    for table in tables:
        if table.name in target.db.identity_tables:  # type: ignore[attr-defined]
            await target.db.execute(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'),"
                f" coalesce((SELECT max(id) FROM \"{table.name}\"), 0) + 1, false)"
            )
