"""PostgreSQL only: the SQL translation, and several processes writing to one database at once
(what several bot processes with their shards do): no /quote line shown twice within a cycle, no
trivia score lost, no two bookmarks of a reader stamped alike."""
from __future__ import annotations

import asyncio
import multiprocessing
import sqlite3
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from bot.store import Store, StoreError
from bot.store.audience import Audience
from bot.store.migrate import MIGRATIONS_DIR, POSTGRES_MIGRATIONS_DIR, discover
from bot.store.postgres import translate
from bot.store.quotes import QuoteFilters, pick_quote
from bot.store.reading import save_bookmark
from bot.store.search import save_search, search_page
from bot.store.trivia import ScoredAnswer, create_game, leaderboard, record_question
from tests.quotes.helpers import add, dialogue_story, prose_story

PROCESSES = 4
SEEDS = Path(__file__).resolve().parents[2] / "seeds"
GUILD = 111


# --- translation ----------------------------------------------------------------------------------


def test_placeholders_become_numbered_and_typed_and_none_becomes_null():
    sql, args = translate("SELECT ? + ?, ? FROM t WHERE a = ? AND b = '?' -- ?", (1, 2.5, "x", None))
    assert sql == "SELECT $1::int8 + $2::float8, $3::text FROM t WHERE a = NULL AND b = '?' -- ?"
    assert args == [1, 2.5, "x"]
    sql, args = translate("SELECT :a, :b, :a, x::text FROM t", {"a": True, "b": "s"})
    assert (sql, args) == ("SELECT $1::int8, $2::text, $1::int8, x::text FROM t", [1, "s"])
    sql, args = translate("SELECT ?1, ?2, ?1", (7, "y"))
    assert (sql, args) == ("SELECT $1::int8, $2::text, $1::int8", [7, "y"])


def test_dialect_differences_are_rewritten():
    sql, _ = translate("SELECT CAST(? * (a + b) AS INTEGER), CAST(x AS TEXT) FROM t", (0.5,))
    assert sql == "SELECT CAST(trunc($1::float8 * (a + b)) AS BIGINT), CAST(x AS TEXT) FROM t"
    sql, _ = translate("SELECT 1 FROM q_fts WHERE q_fts MATCH :m AND story_id IS :s", {"m": "\"a\"", "s": 3})
    assert sql == "SELECT 1 FROM q_fts WHERE q_fts.tsv @@ storybot_tsquery($1::text) AND story_id IS NOT DISTINCT FROM $2::int8"
    assert translate("SELECT x IS ? , y IS NOT ?", (1, None))[0] == (
        "SELECT x IS NOT DISTINCT FROM $1::int8 , y IS DISTINCT FROM NULL"
    )
    assert translate("INSERT OR IGNORE INTO t (a) VALUES (?)", (1,))[0] == (
        "INSERT INTO t (a) VALUES ($1::int8) ON CONFLICT DO NOTHING"
    )


def test_a_missing_parameter_is_refused():
    with pytest.raises(sqlite3.ProgrammingError):
        translate("SELECT ?, ?", (1,))
    with pytest.raises(sqlite3.ProgrammingError):
        translate("SELECT :a", {"b": 1})


# --- on a real server --------------------------------------------------------------------------


@pytest.fixture
async def pg_store(postgres_url):
    async with Store.open(postgres_url) as store:
        yield store


async def test_search_text_is_never_query_syntax(pg_store):
    await add(pg_store, prose_story("z", (("A zebra & a lion: not friends.", "The lion!", "zebra | lion"),)))
    audience = Audience(None, adult=True)
    for text in ("zebra & lion", "!lion", "zebra | lion", "lion:*", "'", "\\", '"unclosed', "- or AND"):
        await search_page(pg_store, await save_search(pg_store, 1, audience, text))  # never an error
    page = await search_page(pg_store, await save_search(pg_store, 1, audience, "lion zebra"))
    assert page.total == 2  # every word must appear, in any order
    assert "\x02" in page.hits[0].snippet  # the matched words are marked


def _run(coroutine):
    return asyncio.run(coroutine)


async def _picks(url: str, count: int) -> list[int]:
    async with Store.open(url) as store:
        return [(await pick_quote(store, Audience(GUILD), QuoteFilters())).quote.id for _ in range(count)]


def picks_in_a_process(url: str, count: int) -> list[int]:
    return _run(_picks(url, count))


async def _scores(url: str, player_ids: list[int], questions: int, channel: int) -> None:
    async with Store.open(url) as store:
        game = await create_game(store, guild_id=GUILD, channel_id=channel, starter_id=1, story_id=None,
                                 questions=questions)
        for number in range(1, questions + 1):
            answers = [ScoredAnswer(user, True, 10) for user in player_ids]
            await record_question(store, game_id=game, question_no=number, guild_id=GUILD, story_id=None,
                                  answers=answers)


def scores_in_a_process(url: str, player_ids: list[int], questions: int, channel: int) -> None:
    _run(_scores(url, player_ids, questions, channel))


async def _bookmarks(url: str, story_ids: list[int]) -> list[int]:
    async with Store.open(url) as store:
        return [(await save_bookmark(store, 7, story_id, 0, 1)).updated_at for story_id in story_ids]


def bookmarks_in_a_process(url: str, story_ids: list[int]) -> list[int]:
    return _run(_bookmarks(url, story_ids))


@pytest.fixture(scope="module")
def processes():
    """PROCESSES worker processes (spawned once for the module: each imports the bot)."""
    with ProcessPoolExecutor(PROCESSES, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool


def _in_processes(pool, function, *argument_lists):
    """Run function(*args) for each argument list at once, one per process; their results."""
    barrier = [pool.submit(_warm) for _ in range(PROCESSES)]  # every process started and importing
    for job in barrier:
        job.result(timeout=120)
    return [job.result(timeout=120) for job in [pool.submit(function, *args) for args in argument_lists]]


def _warm() -> None:
    import bot.store.quotes  # noqa: F401


async def test_processes_picking_from_one_cycle_never_show_a_line_twice(postgres_url, processes):
    lines = 48
    async with Store.open(postgres_url) as store:
        await add(store, dialogue_story("alpha", lines=lines // 2))
        await add(store, dialogue_story("beta", lines=lines // 2), guild_id=GUILD)
    shown = await asyncio.to_thread(_in_processes, processes, picks_in_a_process, *[(postgres_url, lines // PROCESSES)] * PROCESSES)
    everything = [quote for picks in shown for quote in picks]
    assert len(everything) == lines
    assert len(set(everything)) == lines, "a line was shown twice within one cycle"


async def test_processes_scoring_at_once_lose_no_update(postgres_url, processes):
    players, questions = [1, 2, 3], 12
    await asyncio.to_thread(
        _in_processes, processes, scores_in_a_process, *[(postgres_url, players, questions, 100 + i) for i in range(PROCESSES)]
    )
    async with Store.open(postgres_url) as store:
        board = await leaderboard(store, GUILD)
    rows = {row.user_id: row for row in board.top}
    for player in players:
        assert rows[player].points == 10 * questions * PROCESSES
        assert rows[player].answered == questions * PROCESSES


async def test_processes_bookmarking_at_once_never_stamp_two_alike(postgres_url, processes):
    async with Store.open(postgres_url) as store:
        stories = [await add(store, dialogue_story(f"s{i}", lines=4)) for i in range(PROCESSES * 6)]
    stamps = await asyncio.to_thread(
        _in_processes, processes, bookmarks_in_a_process, *[(postgres_url, stories[i::PROCESSES]) for i in range(PROCESSES)]
    )
    everything = [stamp for batch in stamps for stamp in batch]
    assert len(set(everything)) == len(everything) == len(stories)


def test_every_migration_has_its_postgresql_twin():
    sqlite = [(m.version, m.name) for m in discover(MIGRATIONS_DIR)]
    postgresql = [(m.version, m.name) for m in discover(POSTGRES_MIGRATIONS_DIR)]
    assert sqlite == postgresql, "add bot/store/migrations/postgres/NNNN_name.sql for each SQLite migration"


async def test_a_lost_connection_is_replaced_after_one_failed_statement(pg_store, postgres_url):
    import asyncpg

    await pg_store.set_meta("before", "1")
    (pid,) = (await pg_store.db.execute_fetchall("SELECT pg_backend_pid()"))[0]
    other = await asyncpg.connect(postgres_url)
    try:
        await other.execute("SELECT pg_terminate_backend($1)", pid)
    finally:
        await other.close()
    try:
        value = await pg_store.get_meta("before")
    except sqlite3.OperationalError:  # the statement the loss cut off, if the driver had not seen it yet
        value = await pg_store.get_meta("before")
    assert value == "1"
    await pg_store.set_meta("after", "2")
    assert await pg_store.get_meta("after") == "2"


async def test_a_connection_lost_inside_a_transaction_fails_it_and_the_next_one_works(pg_store, postgres_url):
    import asyncpg

    with pytest.raises(sqlite3.OperationalError):
        async with pg_store.atomic():
            await pg_store.db.execute("INSERT INTO meta (key, value) VALUES ('half', 'written')")
            (pid,) = (await pg_store.db.execute_fetchall("SELECT pg_backend_pid()"))[0]
            other = await asyncpg.connect(postgres_url)
            try:
                await other.execute("SELECT pg_terminate_backend($1)", pid)
            finally:
                await other.close()
            await pg_store.db.execute("INSERT INTO meta (key, value) VALUES ('other', 'half')")
    assert not pg_store.db.in_transaction
    assert await pg_store.get_meta("half") is None  # nothing of the lost transaction was kept
    await pg_store.set_meta("whole", "yes")
    assert await pg_store.get_meta("whole") == "yes"


async def test_ingest_and_stats_use_database_url_and_never_show_its_password(postgres_url, tmp_path):
    import os
    import subprocess
    import sys

    url = postgres_url.replace("storybot@", "storybot:sekrit@")  # trust auth: any password does
    env = {**os.environ, "DATABASE_URL": url, "DATABASE_PATH": str(tmp_path / "unused.db")}

    def bot(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "bot", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)

    ingested = await asyncio.to_thread(bot, "ingest", str(SEEDS))
    assert ingested.returncode == 0, ingested.stderr
    assert "4 added" in ingested.stdout
    stats = await asyncio.to_thread(bot, "stats")
    assert stats.returncode == 0, stats.stderr
    assert "stories:    4 (4 bundled" in stats.stdout and "paragraphs" in stats.stdout
    assert "sekrit" not in ingested.stdout + ingested.stderr + stats.stdout + stats.stderr
    assert not (tmp_path / "unused.db").exists()


async def test_database_calls_are_timed_for_the_metrics(pg_store):
    from bot.store import timing

    seen: list[float] = []
    timing.set_query_observer(seen.append)
    try:
        await pg_store.get_meta("x")
        await pg_store.set_meta("x", "y")
    finally:
        timing.set_query_observer(None)
    assert len(seen) >= 4 and all(seconds >= 0 for seconds in seen)  # the read, BEGIN's lock, the write, COMMIT


async def test_a_role_that_may_not_create_unaccent_is_told_what_to_run(postgres_server):
    """Migration 0011 needs the unaccent extension (trusted: a role with CREATE on the database makes
    it). A role without that privilege gets one message naming the statement an owner runs; once it
    is run, the next start applies the migration and search folds accents."""
    import asyncpg

    from tests.postgres import database_url

    suffix = uuid.uuid4().hex[:12]
    name, role = f"t_{suffix}", f"r_{suffix}"
    admin = await asyncpg.connect(postgres_server)
    await admin.execute(f"CREATE ROLE {role} LOGIN")
    await admin.execute(f"CREATE DATABASE {name}")
    await admin.close()
    owner_url = database_url(postgres_server, name)
    role_url = owner_url.replace("://storybot@", f"://{role}@", 1)
    assert role_url != owner_url
    try:
        owner = await asyncpg.connect(owner_url)
        await owner.execute(f"GRANT CREATE ON SCHEMA public TO {role}")  # tables, not extensions
        with pytest.raises(StoreError, match=r"run CREATE EXTENSION unaccent; in this database"):
            async with Store.open(role_url):
                pass
        await owner.execute("CREATE EXTENSION unaccent")
        await owner.close()
        async with Store.open(role_url) as store:
            await add(store, prose_story("f", (("They met at the café.", "Nothing here."),)))
            page = await search_page(store, await save_search(store, 1, Audience(None), "cafe"))
            assert page.total == 1
    finally:
        admin = await asyncpg.connect(postgres_server)
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.execute(f"DROP OWNED BY {role}")
        await admin.execute(f"DROP ROLE {role}")
        await admin.close()
