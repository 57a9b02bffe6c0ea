"""`python -m bot copy-db --to TARGET` (CONTRACT §3): every story, bookmark, score, cycle and setting
from SQLite to PostgreSQL and back, nothing lost or changed; a non-empty target refused with one
line and exit 2; a copy that fails halfway leaves the target empty."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.store import Store, copy
from bot.store.audience import Audience
from bot.store.copy import TargetNotEmpty, copy_database
from bot.store.fts import said_query
from bot.store.quotes import QuoteFilters, pick_quote
from bot.store.reading import get_bookmark, save_bookmark
from bot.store.search import save_search, search_page
from bot.store.trivia import ScoredAnswer, create_game, leaderboard, record_question
from tests.quotes.helpers import add, dialogue_story

ROOT = Path(__file__).resolve().parents[2]
GUILD = 111


async def command(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """`python -m bot ARGS` to its end, off the event loop."""
    return await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "bot", *args], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=120,
    )


async def fill(store: Store) -> list[int]:
    """A bit of everything; returns the quote ids picked so far from the guild's cycle."""
    story = await add(store, dialogue_story("alpha", lines=12))
    await add(store, dialogue_story("beta", lines=12), guild_id=GUILD)
    await save_bookmark(store, 7, story, 0, 2)
    game = await create_game(store, guild_id=GUILD, channel_id=5, starter_id=7, story_id=story, questions=3)
    await record_question(store, game_id=game, question_no=1, guild_id=GUILD, story_id=story,
                          answers=[ScoredAnswer(7, True, 15), ScoredAnswer(8, False, 0)])
    await save_search(store, 7, Audience(GUILD), "line number")
    await store.set_meta("setting", "value")
    picked = [(await pick_quote(store, Audience(GUILD), QuoteFilters())).quote.id for _ in range(5)]
    await store.write_behind.flush()
    return picked


async def said_count(store: Store) -> int:
    rows = await store.db.execute_fetchall(
        "SELECT count(*) FROM quotes_fts WHERE quotes_fts MATCH ?", (said_query("number", "Naruto"),)
    )
    return rows[0][0]


async def contents(store: Store) -> dict[str, list[tuple]]:
    """Every content table's stored columns, sorted, to compare two databases."""
    result = {}
    for table in await store.tables():
        if table == "schema_migrations":
            continue
        columns = ", ".join(f'"{c}"' for c in await copy._stored_columns(store, table))
        rows = await store.db.execute_fetchall(f'SELECT {columns} FROM "{table}"')
        result[table] = sorted((tuple(row) for row in rows), key=repr)
    return result


async def test_sqlite_to_postgresql_and_back_keeps_everything(tmp_path, postgres_url):
    async with Store.open(tmp_path / "a.db") as source:
        picked = await fill(source)
        before = await contents(source)
        async with Store.open(postgres_url) as middle:
            copied = await copy_database(source, middle)
            assert copied["stories"] == 2 and copied["quote_cycles"] == 1 and copied["trivia_totals"] == 2
            async with Store.open(tmp_path / "b.db") as back:
                await copy_database(middle, back)
                assert await contents(back) == before
                # The speakers are in the copies' full-text indexes too (words said by a name).
                for copied_store in (middle, back):
                    assert await said_count(copied_store) == await said_count(source) == 12
            # The copy works as the original did: search, bookmarks, scores, the cycle goes on.
            hits = await search_page(middle, await save_search(middle, 7, Audience(GUILD), "number"))
            assert hits.total == 24
            assert (await get_bookmark(middle, 7, 1)).page_number == 2
            assert [(r.user_id, r.points) for r in (await leaderboard(middle, GUILD)).top] == [(7, 15), (8, 0)]
            rest = [(await pick_quote(middle, Audience(GUILD), QuoteFilters())).quote.id for _ in range(19)]
            assert len(set(picked + rest)) == 24, "the copied cycle did not continue where it was"
            # Ids the copy brought along are never handed out again.
            fresh = await add(middle, dialogue_story("gamma", lines=2))
            assert fresh > 2


async def test_a_non_empty_target_is_refused_with_one_line(tmp_path, postgres_url):
    async with Store.open(postgres_url) as target:
        await target.set_meta("mine", "keep")
    async with Store.open(tmp_path / "a.db") as source:
        await fill(source)
    env = {**os.environ, "DATABASE_PATH": str(tmp_path / "a.db")}
    env.pop("DATABASE_URL", None)
    done = await command(["copy-db", "--to", postgres_url], tmp_path, env)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "already holds data" in done.stderr, done.stderr
    async with Store.open(postgres_url) as target:
        assert await contents(target) == {**{t: [] for t in await contents(target)}, "meta": [("mine", "keep")]}


async def test_the_command_copies_both_ways(tmp_path, postgres_url):
    async with Store.open(tmp_path / "a.db") as source:
        await fill(source)
        before = await contents(source)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    there = await command(["copy-db", "--to", postgres_url], tmp_path, {**env, "DATABASE_PATH": str(tmp_path / "a.db")})
    assert there.returncode == 0, there.stderr
    assert there.stdout.startswith("copied ")
    back = await command(["copy-db", "--to", str(tmp_path / "b.db")], tmp_path, {**env, "DATABASE_URL": postgres_url})
    assert back.returncode == 0, back.stderr
    async with Store.open(tmp_path / "b.db") as copied:
        assert await contents(copied) == before


@pytest.mark.parametrize("direction", ["to postgresql", "to sqlite"])
async def test_a_copy_that_fails_halfway_leaves_the_target_empty(tmp_path, postgres_url, monkeypatch, direction):
    real = copy._copy_table
    done: list[str] = []

    async def failing(source, target, table, progress):
        if len(done) == 3:
            raise OSError("disk full")
        done.append(table.name)
        return await real(source, target, table, progress)

    monkeypatch.setattr(copy, "_copy_table", failing)
    source_at, target_at = (tmp_path / "a.db", postgres_url)
    if direction == "to sqlite":
        source_at, target_at = target_at, source_at
    async with Store.open(source_at) as source:
        await fill(source)
        async with Store.open(target_at) as target:
            with pytest.raises(OSError, match="disk full"):
                await copy_database(source, target)
            assert all(rows == [] for rows in (await contents(target)).values())
            monkeypatch.setattr(copy, "_copy_table", real)
            await copy_database(source, target)  # still empty, so a second try goes through
            with pytest.raises(TargetNotEmpty):
                await copy_database(source, target)
