"""Numbered schema migrations: bot/store/migrations/NNNN_name.sql, each applied once, in order,
in one transaction together with its schema_migrations record. PostgreSQL has its own files with
the same numbers in bot/store/migrations/postgres/."""
from __future__ import annotations

import logging
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
POSTGRES_MIGRATIONS_DIR = MIGRATIONS_DIR / "postgres"
_FILE_NAME = re.compile(r"^(\d{4})_(\w+)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    path: Path

    def statements(self) -> list[str]:
        return split_statements(self.path.read_text(encoding="utf-8"))


def discover(folder: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Every NNNN_name.sql file in `folder`, sorted by number; two files with one number is an error."""
    found: dict[int, Migration] = {}
    for path in folder.glob("*.sql"):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise ValueError(f"migration file name must look like 0001_name.sql: {path.name}")
        version = int(match.group(1))
        if version in found:
            raise ValueError(f"two migrations share number {version:04d}: {found[version].path.name}, {path.name}")
        found[version] = Migration(version, match.group(2), path)
    return [found[v] for v in sorted(found)]


def split_statements(script: str) -> list[str]:
    """Split SQL text into complete statements.

    sqlite3.complete_statement understands strings, comments and trigger bodies, so a ';' inside
    them never ends a statement. (executescript is not used because it commits first.)
    """
    statements: list[str] = []
    buffer = ""
    for piece in script.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            statement = buffer.strip()
            if _has_code(statement):
                statements.append(statement)
            buffer = ""
    return statements


def _has_code(statement: str) -> bool:
    lines = (line.split("--", 1)[0].strip() for line in statement.splitlines())
    return any(line and line != ";" for line in lines)


async def apply_migrations(db: aiosqlite.Connection, folder: Path = MIGRATIONS_DIR) -> list[int]:
    """Apply the migrations not yet recorded; return the versions applied now.

    Each runs under BEGIN IMMEDIATE and re-checks its record inside the transaction, so two
    processes opening the same database at once never apply one twice. On PostgreSQL (`db` a
    bot.store.postgres.PgConnection) the whole run holds an advisory lock instead, and each file is
    sent as one script (its functions may hold semicolons).
    """
    if getattr(db, "dialect", "sqlite") != "sqlite":
        return await _apply_postgres(db, folder)
    await db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    applied_now: list[int] = []
    for migration in discover(folder):
        async with db.execute("SELECT 1 FROM schema_migrations WHERE version = ?", (migration.version,)) as cur:
            if await cur.fetchone() is not None:
                continue
        statements = migration.statements()
        await db.execute("BEGIN IMMEDIATE")
        try:
            async with db.execute(
                "SELECT 1 FROM schema_migrations WHERE version = ?", (migration.version,)
            ) as cur:
                if await cur.fetchone() is not None:
                    await db.execute("ROLLBACK")
                    continue
            for statement in statements:
                await db.execute(statement)
            await db.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.name, datetime.now(UTC).isoformat(timespec="seconds")),
            )
            await db.execute("COMMIT")
        except BaseException:
            await db.execute("ROLLBACK")
            raise
        log.info("applied migration %04d_%s", migration.version, migration.name)
        applied_now.append(migration.version)
    return applied_now


async def _apply_postgres(db, folder: Path) -> list[int]:  # db: bot.store.postgres.PgConnection
    from bot.store.postgres import MIGRATION_LOCK

    await db.execute("SELECT pg_advisory_lock(?)", (MIGRATION_LOCK,))
    try:
        await db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        done = {row[0] for row in await db.execute_fetchall("SELECT version FROM schema_migrations")}
        applied_now: list[int] = []
        for migration in discover(folder):
            if migration.version in done:
                continue
            await db.execute("BEGIN")
            try:
                await db.executescript(migration.path.read_text(encoding="utf-8"))
                await db.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (migration.version, migration.name, datetime.now(UTC).isoformat(timespec="seconds")),
                )
                await db.execute("COMMIT")
            except BaseException:
                await db.execute("ROLLBACK")
                raise
            log.info("applied migration %04d_%s", migration.version, migration.name)
            applied_now.append(migration.version)
        return applied_now
    finally:
        await db.execute("SELECT pg_advisory_unlock(?)", (MIGRATION_LOCK,))
