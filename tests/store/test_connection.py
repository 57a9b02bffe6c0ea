"""Store.open, migrations, atomic() and meta."""
from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.store import Store, StoreError
from bot.store.migrate import discover, split_statements
from tests.roundtrips import RoundTrips


async def scalar(store: Store, sql: str, *args):
    async with store.db.execute(sql, args) as cur:
        row = await cur.fetchone()
    return None if row is None else row[0]


async def test_open_creates_folder_and_sets_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "folder" / "bot.db"
    async with Store.open(path) as store:
        assert path.exists()
        assert await scalar(store, "PRAGMA journal_mode") == "wal"
        assert await scalar(store, "PRAGMA foreign_keys") == 1
        assert await scalar(store, "PRAGMA busy_timeout") >= 1000
        assert await store.schema_version() >= 1


async def test_reopening_applies_nothing_twice(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    async with Store.open(path) as store:
        first = await scalar(store, "SELECT count(*) FROM schema_migrations")
    async with Store.open(path) as store:
        assert await scalar(store, "SELECT count(*) FROM schema_migrations") == first == len(discover())


async def test_migrations_apply_in_number_order(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0002_second.sql").write_text("INSERT INTO t (v) VALUES ('second');")
    (folder / "0001_first.sql").write_text("CREATE TABLE t (v TEXT); INSERT INTO t (v) VALUES ('first');")
    async with Store.open(tmp_path / "bot.db", migrations=folder) as store:
        async with store.db.execute("SELECT v FROM t ORDER BY rowid") as cur:
            assert [r[0] for r in await cur.fetchall()] == ["first", "second"]
        async with store.db.execute("SELECT version, name FROM schema_migrations ORDER BY version") as cur:
            assert [tuple(r) for r in await cur.fetchall()] == [(1, "first"), (2, "second")]


async def test_failing_migration_leaves_no_trace_and_stops(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_good.sql").write_text("CREATE TABLE good (v TEXT);")
    (folder / "0002_bad.sql").write_text("CREATE TABLE half (v TEXT); INSERT INTO missing VALUES (1);")
    (folder / "0003_later.sql").write_text("CREATE TABLE later (v TEXT);")
    with pytest.raises(StoreError, match="missing"):
        async with Store.open(tmp_path / "bot.db", migrations=folder):
            pass
    db = sqlite3.connect(tmp_path / "bot.db")
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "good" in tables and "half" not in tables and "later" not in tables
    assert db.execute("SELECT version FROM schema_migrations").fetchall() == [(1,)]


def test_migration_files_are_numbered_uniquely() -> None:
    versions = [m.version for m in discover()]
    assert versions == sorted(set(versions)) and versions[0] == 1


def test_split_statements_keeps_trigger_bodies_and_strings_whole() -> None:
    script = """
    -- a comment; with a semicolon
    CREATE TABLE a (v TEXT);
    CREATE TRIGGER t AFTER INSERT ON a BEGIN
        INSERT INTO a (v) VALUES ('x;y');
        DELETE FROM a WHERE v = ';';
    END;
    INSERT INTO a (v) VALUES ('it''s; fine');
    """
    statements = split_statements(script)
    assert len(statements) == 3
    assert statements[1].startswith("CREATE TRIGGER") and statements[1].endswith("END;")
    assert all(sqlite3.complete_statement(s) for s in statements)


async def test_unusable_path_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot create the folder"):
        async with Store.open(blocker / "sub" / "bot.db"):
            pass
    not_a_db = tmp_path / "junk.db"
    not_a_db.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match=r"junk\.db"):
        async with Store.open(not_a_db):
            pass


async def test_atomic_rolls_back_on_exception(store: Store) -> None:
    with pytest.raises(RuntimeError):
        async with store.atomic():
            await store.db.execute("INSERT INTO meta (key, value) VALUES ('k', 'v')")
            raise RuntimeError("boom")
    assert await store.get_meta("k") is None
    assert not store.db.in_transaction


async def test_nested_atomic_undoes_only_the_inner_block(store: Store) -> None:
    async with store.atomic():
        await store.db.execute("INSERT INTO meta (key, value) VALUES ('outer', '1')")
        with pytest.raises(ValueError):
            async with store.atomic():
                await store.db.execute("INSERT INTO meta (key, value) VALUES ('inner', '1')")
                raise ValueError
    assert await store.get_meta("outer") == "1"
    assert await store.get_meta("inner") is None


async def test_atomic_blocks_from_two_tasks_do_not_interleave(store: Store) -> None:
    order: list[str] = []

    async def writer(name: str) -> None:
        async with store.atomic():
            order.append(f"{name} start")
            await store.db.execute("INSERT INTO meta (key, value) VALUES (?, '1')", (name,))
            await asyncio.sleep(0.01)
            order.append(f"{name} end")

    await asyncio.gather(writer("a"), writer("b"))
    assert order in (["a start", "a end", "b start", "b end"], ["b start", "b end", "a start", "a end"])


async def test_meta_round_trip_and_overwrite(store: Store) -> None:
    assert await store.get_meta("missing") is None
    await store.set_meta("seeded", "1")
    await store.set_meta("seeded", "2")
    assert await store.get_meta("seeded") == "2"


async def test_atomic_cancelled_while_waiting_for_the_lock_leaves_no_transaction(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    async with Store.open(path) as store:
        await store.set_meta("k", "before")
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")

        async def write() -> None:
            async with store.atomic():
                await store.db.execute("UPDATE meta SET value = 'cancelled' WHERE key = 'k'")

        writer = asyncio.create_task(write())
        await asyncio.sleep(0.2)  # the writer's BEGIN IMMEDIATE now waits on the other process
        writer.cancel()
        await asyncio.sleep(0.1)
        blocker.execute("COMMIT")
        blocker.close()
        with pytest.raises(asyncio.CancelledError):
            await writer

        assert not store.db.in_transaction
        await store.set_meta("k", "after")
        assert await store.get_meta("k") == "after"


async def test_write_now_commits_in_one_round_trip_and_rolls_back_on_error(store: Store, monkeypatch) -> None:
    jobs = RoundTrips(monkeypatch)

    def write(db: sqlite3.Connection) -> int:
        return db.execute("INSERT INTO meta (key, value) VALUES ('now', '1')").rowcount

    assert await store.write_now(write) == 1
    if store.dialect == "sqlite":
        assert jobs.count == 1  # one job on aiosqlite's thread
    assert not store.db.in_transaction

    def failing(db: sqlite3.Connection) -> None:
        db.execute("UPDATE meta SET value = '2' WHERE key = 'now'")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await store.write_now(failing)
    assert not store.db.in_transaction
    assert await store.get_meta("now") == "1"
    # Its busy timeout is what it was (set to 0 only for the BEGIN).
    assert await scalar(store, "PRAGMA busy_timeout") == 10_000


async def test_write_now_inside_atomic_is_part_of_its_transaction(store: Store) -> None:
    def write(db: sqlite3.Connection) -> None:
        db.execute("INSERT INTO meta (key, value) VALUES ('inside', '1')")

    with pytest.raises(ValueError):
        async with store.atomic():
            await store.write_now(write)
            raise ValueError
    assert await store.get_meta("inside") is None


@pytest.mark.sqlite_only  # counts jobs on aiosqlite's thread
async def test_atomic_begins_in_one_round_trip(store: Store, monkeypatch) -> None:
    jobs = RoundTrips(monkeypatch)
    async with store.atomic():
        await store.db.execute("INSERT INTO meta (key, value) VALUES ('k', 'v')")
    assert jobs.count == 3  # BEGIN (busy timeout juggled on the thread), the statement, COMMIT


async def test_write_now_waits_for_another_process_without_blocking_reads(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    async with Store.open(path, busy_timeout_ms=2000) as store:
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")

        def write(db: sqlite3.Connection) -> None:
            db.execute("INSERT INTO meta (key, value) VALUES ('late', '1')")

        writer = asyncio.create_task(store.write_now(write))
        await asyncio.sleep(0.1)
        started = asyncio.get_running_loop().time()
        assert await store.get_meta("late") is None  # a read is not queued behind the waiting write
        assert asyncio.get_running_loop().time() - started < 0.05
        blocker.execute("COMMIT")
        blocker.close()
        await writer
        assert await store.get_meta("late") == "1"


async def test_without_rowid_tables_put_their_key_first(tmp_path: Path) -> None:
    # SQLite 3.40's integrity_check reports false NULL errors for columns placed before the key
    # of a WITHOUT ROWID table, which would hide real corruption behind noise.
    async with Store.open(tmp_path / "bot.db") as store:
        async with store.db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%WITHOUT ROWID%'"
        ) as cur:
            tables = [row[0] for row in await cur.fetchall()]
        assert "aliases" in tables
        for table in tables:
            async with store.db.execute(f"PRAGMA table_info({table})") as cur:
                columns = await cur.fetchall()
            key = {row[1] for row in columns if row[5]}
            assert {row[1] for row in columns[: len(key)]} == key, table
