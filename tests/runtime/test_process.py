"""`python -m bot run` as a real process: bad configuration, no token, and clean shutdown on signals."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot.runtime import SHARD_REFUSALS, TOKEN_HELP
from bot.store import Store
from bot.store import trivia as trivia_repo
from tests.conftest import SEEDS
from tests.discord_local import LocalDiscord, World

ROOT = Path(__file__).resolve().parents[2]


def bot_env(**values: str) -> dict[str, str]:
    """The current environment without any StoryBot setting, plus ``values``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DEV_GUILD", "OWNER_", "SHARD_", "METRICS_"))}
    env.update(STORIES_DIR=str(SEEDS), LOG_LEVEL="INFO")
    env.update(values)
    return env


def run_bot(tmp_path: Path, **values: str) -> subprocess.CompletedProcess[str]:
    # cwd is a temporary folder so a developer's own .env is never read.
    return subprocess.run(
        [sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=bot_env(**values),
        capture_output=True, text=True, timeout=120,
    )


def test_bad_configuration_prints_one_line_and_exits_2(tmp_path):
    done = run_bot(tmp_path, DEV_GUILD_ID="not-a-number")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "DEV_GUILD_ID: expected a numeric Discord id, got 'not-a-number'"
    ]


def test_a_superscript_digit_is_bad_configuration_not_a_traceback(tmp_path):
    done = run_bot(tmp_path, DEV_GUILD_ID="²")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == ["DEV_GUILD_ID: expected a numeric Discord id, got '²'"]


def test_a_dotenv_that_is_not_utf8_is_one_line_and_exit_2(tmp_path):
    (tmp_path / ".env").write_bytes(b"LOG_LEVEL=INFO\nDEV_GUILD_ID=\xff\xfe\n")
    done = run_bot(tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [".env: not UTF-8 text (byte 0xff at offset 28)"]


def test_bad_log_format_prints_one_line_and_exits_2(tmp_path):
    done = run_bot(tmp_path, LOG_FORMAT="yaml")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == ["LOG_FORMAT: expected one of text, json, got 'yaml'"]


def test_logs_through_a_pipe_have_no_colour_codes(tmp_path):
    done = run_bot(tmp_path, DATABASE_PATH=str(tmp_path / "storybot.db"))
    assert done.returncode == 2
    assert "INFO" in done.stderr and "stories from" in done.stderr
    assert "\x1b[" not in done.stderr


def test_json_logs_are_one_object_per_line(tmp_path):
    done = run_bot(tmp_path, DATABASE_PATH=str(tmp_path / "storybot.db"), LOG_FORMAT="json")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    # The last two lines are the no-token help, printed rather than logged.
    assert lines[-2:] == TOKEN_HELP.splitlines()
    records = [json.loads(line) for line in lines[:-2]]
    assert any(r["logger"] == "bot.store.loader" and "stories from" in r["message"] for r in records)
    assert all({"time", "level", "logger", "message"} <= r.keys() for r in records)


def test_unwritable_database_path_exits_2(tmp_path):
    (tmp_path / "blocker").write_text("a file, not a folder")
    done = run_bot(tmp_path, DATABASE_PATH=str(tmp_path / "blocker" / "storybot.db"))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("DATABASE_PATH: ")


def test_without_a_token_it_loads_the_seeds_explains_and_exits_2(tmp_path):
    database = tmp_path / "data" / "storybot.db"
    first = run_bot(tmp_path, DATABASE_PATH=str(database))
    assert first.returncode == 2, first.stderr
    assert database.exists()
    seeds = sorted(SEEDS.glob("*.txt"))
    assert f"{len(seeds)} files: {len(seeds)} added" in first.stdout
    for toml in SEEDS.glob("*.toml"):
        title = next(line for line in toml.read_text().splitlines() if line.startswith("title"))
        assert title.split("=", 1)[1].strip().strip('"') in first.stdout
    assert first.stderr.strip().splitlines()[-2:] == TOKEN_HELP.splitlines()
    assert "Traceback" not in first.stderr

    again = run_bot(tmp_path, DATABASE_PATH=str(database))
    assert again.returncode == 2
    assert f"{len(seeds)} unchanged" in again.stdout


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_signal_shuts_down_cleanly(local_discord, fresh_database, tmp_path, sig):
    database = fresh_database()
    env = bot_env(
        DISCORD_TOKEN=local_discord.token,
        DATABASE_PATH=str(database),
        DISCORD_API_BASE=local_discord.api_base,
        DISCORD_GATEWAY_URL=local_discord.ws_url,
        LOG_LEVEL="DEBUG",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        await local_discord.wait_ready(timeout=60)
        handle = await local_discord.run_command(local_discord.world.member, local_discord.world.general, "help")
        assert (await handle.reply(timeout=10)).ephemeral
        process.send_signal(sig)
        _, stderr_bytes = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    stderr = stderr_bytes.decode()
    assert process.returncode == 0, stderr[-3000:]
    assert "Traceback" not in stderr
    assert f"Received {sig.name}; shutting down" in stderr
    assert "Shut down cleanly" in stderr
    assert local_discord.token not in stderr
    # SQLite removes the write-ahead log when the last connection closes properly.
    assert not database.with_name(database.name + "-wal").exists()
    local_discord.assert_clean()


async def test_sigterm_mid_question_keeps_the_answers_locked_in(local_discord, fresh_database, tmp_path):
    database = fresh_database()
    env = bot_env(
        DISCORD_TOKEN=local_discord.token, DATABASE_PATH=str(database),
        DISCORD_API_BASE=local_discord.api_base, DISCORD_GATEWAY_URL=local_discord.ws_url,
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    world = local_discord.world
    try:
        await local_discord.wait_ready(timeout=60)
        started = await local_discord.run_command(world.member, world.general, "trivia start", {"questions": 3})
        assert "Game on" in (await started.reply(timeout=30)).content
        question = await local_discord.wait_for_message(
            lambda m: bool(m.embeds) and m.embeds[0].get("title") == "Question 1/3", timeout=10
        )
        option = next(c for c in question.custom_ids() if c.startswith("trivia:"))
        clicked = await (await local_discord.click(question, option, world.member)).response(timeout=10)
        assert "Locked in" in clicked.data["content"]
        process.send_signal(signal.SIGTERM)  # 20 s before the question's deadline
        _, stderr_bytes = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, stderr_bytes.decode()[-3000:]
    # The question is closed on screen, nothing left to press, and the note says what counted.
    assert question.components == []
    assert "time is up" in question.embeds[0]["title"]
    assert "interrupted after 1 of 3 questions" in question.content
    assert "answers to that question are kept" in question.content
    async with Store.open(database) as store:
        board = await trivia_repo.leaderboard(store, world.guild.id)
    assert [(row.user_id, row.answered) for row in board.top] == [(world.member.id, 1)]
    local_discord.assert_clean()


def test_unreachable_discord_is_one_line_and_exit_1(tmp_path, fresh_database):
    done = run_bot(
        tmp_path, DISCORD_TOKEN="some.token", DATABASE_PATH=str(fresh_database()),
        DISCORD_API_BASE="http://127.0.0.1:9/api/v10", LOG_LEVEL="WARNING",
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Cannot reach Discord at http://127.0.0.1:9/api/v10")
    assert "some.token" not in done.stderr


async def test_rejected_token_is_one_line_and_exit_2(tmp_path, fresh_database, local_discord):
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path,
        env=bot_env(
            DISCORD_TOKEN="wrong.token", DATABASE_PATH=str(fresh_database()), LOG_LEVEL="WARNING",
            DISCORD_API_BASE=local_discord.api_base, DISCORD_GATEWAY_URL=local_discord.ws_url,
        ),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    assert stderr.decode().strip().splitlines() == [
        "DISCORD_TOKEN: Discord rejected the token; copy it again from the Bot page."
    ]


def test_bad_shard_ids_print_one_line_and_exit_2(tmp_path):
    done = run_bot(tmp_path, SHARD_COUNT="2", SHARD_IDS="0,2")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "SHARD_IDS: shard 2 does not exist: SHARD_COUNT is 2, so ids run from 0 to 1"
    ]


async def test_too_few_shards_for_discord_is_one_line_and_exit_2(tmp_path, fresh_database):
    # Discord closes the IDENTIFY of a shard that would hold too many servers with 4011.
    async with LocalDiscord(world=World(max_guilds_per_shard=1)) as server:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path,
            env=bot_env(
                DISCORD_TOKEN=server.token, DATABASE_PATH=str(fresh_database()), LOG_LEVEL="CRITICAL",
                DISCORD_API_BASE=server.api_base, DISCORD_GATEWAY_URL=server.ws_url, SHARD_COUNT="1",
            ),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2, stderr.decode()[-2000:]
    assert stderr.decode().strip().splitlines() == [SHARD_REFUSALS[4011]]
    assert SHARD_REFUSALS[4011].startswith("SHARD_COUNT: ")


async def test_a_taken_metrics_port_is_one_line_and_exit_2(tmp_path, fresh_database, local_discord):
    taken = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = taken.sockets[0].getsockname()[1]
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path,
            env=bot_env(
                DISCORD_TOKEN=local_discord.token, DATABASE_PATH=str(fresh_database()), LOG_LEVEL="CRITICAL",
                DISCORD_API_BASE=local_discord.api_base, DISCORD_GATEWAY_URL=local_discord.ws_url,
                METRICS_PORT=str(port),
            ),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        _, stderr = await asyncio.wait_for(process.communicate(), 60)
    finally:
        taken.close()
    assert process.returncode == 2
    (line,) = stderr.decode().strip().splitlines()
    assert line.startswith(f"METRICS_PORT: cannot listen on 127.0.0.1:{port}")
