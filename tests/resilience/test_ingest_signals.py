"""SIGTERM and kill -9 while a big story is being stored, by `python -m bot ingest` and by a running
bot's /story add: after a restart the database is intact and the story is wholly there or absent.

(tests/test_cli.py already kills a CLI ingest with -9; here SIGTERM joins it, the restart opens the
store again, and the same file is then ingested to the end.)
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.store import Store
from bot.store.audience import GATED_SQL
from bot.store.loader import discard_staged
from bot.store.postgres import is_url
from tests.discord_local import LocalDiscord

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
BIG_TITLE = "A Very Long Story"


def big_story(megabytes: float) -> bytes:
    """Many chapters of the seeds' prose, so storing it takes a while and the WAL grows."""
    prose = "\n\n".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))
    parts, size, chapter = [f"{BIG_TITLE}\n\n"], 0, 1
    while size < megabytes * 1_000_000:
        part = f"\n\nChapter {chapter}\n\n{prose}\n"
        parts.append(part)
        size += len(part.encode())
        chapter += 1
    return "".join(parts).encode()


def wait_for_wal(db: Path, process: subprocess.Popen | asyncio.subprocess.Process, threshold: int = 1_000_000) -> None:
    """Block until the story's transaction has written `threshold` bytes of WAL."""
    wal = Path(f"{db}-wal")
    deadline = time.monotonic() + 120
    while not (wal.exists() and wal.stat().st_size > threshold):
        assert process.returncode is None if isinstance(process, asyncio.subprocess.Process) else process.poll() is None, (
            "the ingest finished before it could be interrupted; make the story bigger"
        )
        assert time.monotonic() < deadline, "the ingest never started writing"
        time.sleep(0.005)


_NULL_REPORT = re.compile(r"NULL value in (\w+)\.(\w+)")


def integrity_problems(connection: sqlite3.Connection) -> list[str]:
    """PRAGMA integrity_check, less the false "NULL value in T.C" that SQLite 3.40 reports for
    WITHOUT ROWID tables whose key is not their first columns (aliases): each is checked by a query."""
    problems = []
    for (line,) in connection.execute("PRAGMA integrity_check").fetchall():
        if line == "ok":
            continue
        null = _NULL_REPORT.fullmatch(line)
        if null and connection.execute(f"SELECT count(*) FROM {null[1]} WHERE {null[2]} IS NULL").fetchone() == (0,):
            continue
        problems.append(line)
    return problems


# The name lines (migration 0013) hold exactly the published stories' characters with lines, once
# per key, on the line of their story's scope and gatedness (its rating adult-only), each line laid
# end to end from 0 without gaps, and name_totals each line's length: each query counts what breaks that.
_NAME_LINE_PROBLEMS = (
    f"SELECT count(*) FROM (SELECT c.id, c.name_key, s.scope, {GATED_SQL}, c.lines FROM characters AS c"
    " JOIN stories AS s ON s.id = c.story_id WHERE c.lines > 0 AND s.scope >= 0"
    f" UNION SELECT c.id, a.alias_key, s.scope, {GATED_SQL}, c.lines FROM aliases AS a"
    " JOIN characters AS c ON c.id = a.character_id"
    " JOIN stories AS s ON s.id = c.story_id WHERE c.lines > 0 AND s.scope >= 0"
    " EXCEPT SELECT character_id, name_key, scope, gated, lines FROM name_lines) AS missing",
    "SELECT count(*) FROM name_lines AS n WHERE NOT EXISTS (SELECT 1 FROM characters AS c JOIN stories AS s"
    f" ON s.id = c.story_id WHERE c.id = n.character_id AND s.scope = n.scope AND {GATED_SQL} = n.gated"
    " AND c.lines = n.lines)",
    "SELECT count(*) FROM (SELECT base, sum(lines) OVER (PARTITION BY name_key, scope, gated ORDER BY base"
    " ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before FROM name_lines) AS laid"
    " WHERE base <> coalesce(before, 0)",
    "SELECT count(*) FROM name_totals AS t WHERE lines <> coalesce((SELECT sum(lines) FROM name_lines AS n"
    " WHERE n.name_key = t.name_key AND n.scope = t.scope AND n.gated = t.gated), 0)",
    "SELECT count(*) FROM name_lines AS n WHERE NOT EXISTS (SELECT 1 FROM name_totals AS t"
    " WHERE t.name_key = n.name_key AND t.scope = n.scope AND t.gated = n.gated)",
)


def check_consistent(db: Path, *, visible_only: bool = False) -> list[str]:
    """Integrity, foreign keys, FTS, and every story whole; returns the titles present.

    `visible_only`: judge only the stories a server can see (before a restart discards staged uploads).
    On PostgreSQL (`db` a URL) the server enforces integrity and foreign keys and indexes each row's
    text itself, so only the stories' wholeness is checked.
    """
    if is_url(db):
        return _check_consistent_postgres(str(db), visible_only)
    connection = sqlite3.connect(db)
    try:
        assert integrity_problems(connection) == []
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        connection.execute("INSERT INTO paragraphs_fts (paragraphs_fts, rank) VALUES ('integrity-check', 1)")
        connection.execute("INSERT INTO quotes_fts (quotes_fts, rank) VALUES ('integrity-check', 1)")
        where = " WHERE scope >= 0" if visible_only else ""
        for story_id, paragraphs, chapters in connection.execute(
            f"SELECT id, paragraph_count, chapter_count FROM stories{where}"
        ).fetchall():
            assert connection.execute("SELECT count(*) FROM paragraphs WHERE story_id = ?", (story_id,)).fetchone() == (paragraphs,)
            assert connection.execute("SELECT count(*) FROM chapters WHERE story_id = ?", (story_id,)).fetchone() == (chapters,)
        assert [connection.execute(sql).fetchone()[0] for sql in _NAME_LINE_PROBLEMS] == [0] * len(_NAME_LINE_PROBLEMS)
        return [title for (title,) in connection.execute(f"SELECT title FROM stories{where} ORDER BY title")]
    finally:
        connection.close()


def _check_consistent_postgres(url: str, visible_only: bool) -> list[str]:
    import asyncpg

    async def check() -> list[str]:
        connection = await asyncpg.connect(url)
        try:
            where = " WHERE scope >= 0" if visible_only else ""
            for story_id, paragraphs, chapters in await connection.fetch(
                f"SELECT id, paragraph_count, chapter_count FROM stories{where}"
            ):
                assert await connection.fetchval("SELECT count(*) FROM paragraphs WHERE story_id = $1", story_id) == paragraphs
                assert await connection.fetchval("SELECT count(*) FROM chapters WHERE story_id = $1", story_id) == chapters
            assert [await connection.fetchval(sql) for sql in _NAME_LINE_PROBLEMS] == [0] * len(_NAME_LINE_PROBLEMS)
            return [row[0] for row in await connection.fetch(f"SELECT title FROM stories{where} ORDER BY title")]
        finally:
            await connection.close()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, check()).result()


async def reopen(db: Path) -> None:
    """What a restart does first: open the store (WAL recovery, migrations check)."""
    async with Store.open(db) as store:
        await store.get_meta("x")


async def restart_bot(db: Path) -> int:
    """What the bot's start-up does first: open the store and discard uploads staged but never shown."""
    async with Store.open(db) as store:
        return await discard_staged(store)


def cli(*args: str, db: Path, cwd: Path, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_PATH": str(db)}
    return subprocess.Popen([sys.executable, "-m", "bot", *args], cwd=cwd, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kwargs)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "kill-9"])
async def test_interrupted_cli_ingest_leaves_all_or_nothing_and_can_be_redone(tmp_path, sig):
    db, story = tmp_path / "bot.db", tmp_path / "big.txt"
    story.write_bytes(big_story(3))
    process = cli("ingest", str(story), db=db, cwd=tmp_path)
    try:
        await asyncio.to_thread(wait_for_wal, db, process)
        process.send_signal(sig)
    finally:
        process.wait(timeout=60)
        process.stderr.close()
    assert process.returncode in (-sig, 128 + sig, 1, 2), process.returncode
    await reopen(db)
    assert check_consistent(db) in ([], [BIG_TITLE])

    again = cli("ingest", str(story), db=db, cwd=tmp_path)
    assert again.wait(timeout=300) == 0, again.stderr.read().decode()[-2000:]
    again.stderr.close()
    assert check_consistent(db) == [BIG_TITLE]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "kill-9"])
async def test_bot_stopped_during_an_upload_ingest_leaves_all_or_nothing(tmp_path, sig):
    db = tmp_path / "storybot.db"
    async with LocalDiscord() as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DISCORD_")}
        env.update(DISCORD_TOKEN=server.token, DISCORD_API_BASE=server.api_base, DISCORD_GATEWAY_URL=server.ws_url,
                   DATABASE_PATH=str(db), STORIES_DIR=str(SEEDS), LOG_LEVEL="WARNING")
        bot = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
                                                   stderr=asyncio.subprocess.DEVNULL)
        try:
            await server.wait_ready(timeout=120)
            world = server.world
            attachment = server.register_attachment(big_story(8), "long.txt")
            handle = await server.run_command(world.admin, world.general, "story add", {"file": attachment})
            preview = await handle.reply(timeout=120)
            assert "story:confirm" in preview.custom_ids(), preview.text()
            # Checkpoints of the bundled stories have emptied the WAL by now; growth is the upload.
            await asyncio.sleep(1)
            await server.click(preview, "story:confirm", world.admin)
            await asyncio.to_thread(wait_for_wal, db, bot, 2_000_000)
            bot.send_signal(sig)
            code = await asyncio.wait_for(bot.wait(), 60)
        finally:
            if bot.returncode is None:
                bot.kill()
                await bot.wait()
        assert code == (0 if sig == signal.SIGTERM else -sig), code
    await reopen(db)
    bundled = 4
    # Before any clean-up, an upload cut short is invisible: every story a server can see is whole.
    titles = check_consistent(db, visible_only=True)
    assert len(titles) in (bundled, bundled + 1), titles
    await restart_bot(db)
    assert check_consistent(db) == titles
