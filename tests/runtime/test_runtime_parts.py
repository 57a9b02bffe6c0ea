"""Runtime pieces that need no Discord: cog discovery, the command-tree hash, error classification."""
from __future__ import annotations

import asyncio
import gc
import os
import signal
import threading

import aiosqlite
import discord
import pytest
import yarl
from discord import app_commands

from bot.config import Settings
from bot.errors import Busy, MissingPermission, StoryNotFound, UserError
from bot.parsing.model import NotAStory
from bot.runtime import (
    APOLOGY,
    EVENT_LOOP_ENV,
    FULL_COLLECTION_EVERY,
    collect_in_smaller_steps,
    command_tree_hash,
    discover_cogs,
    event_loop_factory,
    use_endpoints,
    user_message,
)


def make_tree() -> app_commands.CommandTree:
    client = discord.Client(intents=discord.Intents.none())
    tree = app_commands.CommandTree(client)

    @tree.command(name="ping", description="Pong")
    async def ping(interaction: discord.Interaction, loud: bool = False) -> None: ...

    return tree


def test_every_cog_module_is_discovered():
    found = discover_cogs()
    assert "cogs.meta" in found
    assert list(found) == sorted(found)
    assert all(not name.split(".")[-1].startswith("_") for name in found)


def test_tree_hash_is_stable_and_tracks_changes():
    first, second = make_tree(), make_tree()
    assert command_tree_hash(first) == command_tree_hash(second)

    @second.command(name="pong", description="Ping")
    async def pong(interaction: discord.Interaction) -> None: ...

    assert command_tree_hash(first) != command_tree_hash(second)


def test_tree_hash_sees_option_changes():
    first, second = make_tree(), make_tree()
    second.remove_command("ping")

    @second.command(name="ping", description="Pong")
    async def ping(interaction: discord.Interaction, loud: int = 0) -> None: ...

    assert command_tree_hash(first) != command_tree_hash(second)


@pytest.mark.parametrize(
    "error",
    [StoryNotFound("Nope"), MissingPermission(), Busy("A game is already running here."),
     NotAStory("That file is empty.")],
)
def test_user_errors_become_their_message(error):
    assert user_message(error) == str(error)
    wrapped = app_commands.CommandInvokeError(make_tree().get_command("ping"), error)
    assert user_message(wrapped) == str(error)


def test_bugs_have_no_user_message():
    assert user_message(RuntimeError("boom")) is None
    assert user_message(KeyError("x")) is None
    assert APOLOGY and "Traceback" not in APOLOGY


def test_permission_checks_are_user_errors():
    message = user_message(app_commands.MissingPermissions(["manage_guild"]))
    assert message and "Manage Server" in message


def test_a_value_no_option_takes_is_echoed_escaped_and_short():
    typed = "**bold** [x](https://evil.example) @everyone " + "long " * 100
    error = app_commands.TransformerError(typed, discord.AppCommandOptionType.string, app_commands.Transformer())
    message = user_message(error)
    assert message.endswith("is not a valid value for that option.") and len(message) < 200
    assert "**bold**" not in message and "[x](https://evil" not in message and "@everyone" not in message


def test_user_error_message_is_kept():
    assert str(UserError("Short and clear.")) == "Short and clear."


def test_endpoints_are_overridden(monkeypatch):
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    )
    use_endpoints(Settings(api_base="http://127.0.0.1:9/api/v10", gateway_url="ws://127.0.0.1:9/gw"))
    assert discord.http.Route("GET", "/users/@me").url == "http://127.0.0.1:9/api/v10/users/@me"
    assert discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY == yarl.URL("ws://127.0.0.1:9/gw")


def test_the_bot_runs_on_uvloop_unless_told_otherwise(monkeypatch, tmp_path):
    """`python -m bot run` gets uvloop's loop (bot/runtime.py event_loop_factory); on it the signal
    handlers serve() installs, worker threads and aiosqlite's connection thread all work.
    STORYBOT_EVENT_LOOP=asyncio gives asyncio's own loop (None: asyncio.Runner's default)."""
    uvloop = pytest.importorskip("uvloop")
    monkeypatch.delenv(EVENT_LOOP_ENV, raising=False)
    factory = event_loop_factory()
    assert factory is not None

    async def on_the_loop() -> tuple[type, int, list]:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        loop.add_signal_handler(signal.SIGUSR1, stop.set)
        try:
            os.kill(os.getpid(), signal.SIGUSR1)
            await asyncio.wait_for(stop.wait(), 5)
        finally:
            loop.remove_signal_handler(signal.SIGUSR1)
        thread = await asyncio.to_thread(threading.get_ident)
        async with aiosqlite.connect(tmp_path / "t.db") as db:
            rows = await db.execute_fetchall("SELECT 1 + 1")
        return type(loop), thread, rows

    with asyncio.Runner(loop_factory=factory) as runner:
        loop_type, thread, rows = runner.run(on_the_loop())
    assert loop_type is uvloop.Loop
    assert thread != threading.get_ident() and rows == [(2,)]

    monkeypatch.setenv(EVENT_LOOP_ENV, "asyncio")
    assert event_loop_factory() is None


def test_full_collections_come_in_smaller_steps():
    """Once the start-up is frozen, a full collection comes every 2 young ones (Python: 10), so
    each frees a fifth of the interactions' cyclic garbage and holds the event loop that much less."""
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        collect_in_smaller_steps()
        assert gc.get_threshold() == (700, 10, FULL_COLLECTION_EVERY) and FULL_COLLECTION_EVERY < 10
    finally:
        gc.set_threshold(*before)
