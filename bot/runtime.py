"""The running bot: a `commands.Bot` that loads stories and cogs, syncs commands, and handles errors.

`run_cli()` is what `python -m bot run` calls; `serve()` runs one bot until a signal stops it.
"""
from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import json
import logging
import os
import pkgutil
import signal
import sqlite3
import sys
from collections.abc import Iterable
from typing import Any

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.ext import commands

import cogs
from bot.config import ConfigError, Settings, load_settings
from bot.errors import UserError
from bot.parsing.model import NotAStory
from bot.render import NO_MENTIONS, truncate
from bot.store import Store, StoreError
from bot.store.loader import LoadReport, load_directory

log = logging.getLogger(__name__)

# Slash commands, buttons and modals arrive as interactions, which need no intent at all;
# `guilds` keeps the guild and channel cache that permission checks and threads rely on.
INTENTS = discord.Intents(guilds=True)

TREE_HASH_KEY = "command_tree_hash"
# A button nobody handled by then (its view timed out, or the bot restarted) gets told so, just
# before Discord's 3-second limit would show the user a bare "This interaction failed".
UNCLAIMED_AFTER = 2.0
STALE_COMPONENT = "These buttons have expired; run the command again."
APOLOGY = "Sorry, something went wrong on my side. It has been logged; please try again later."
# SQLite gave up waiting for a lock another process holds (busy_timeout passed): nothing was
# written, so trying again is safe.
BUSY = "The library is busy right now; please try again in a few seconds."
EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2
TOKEN_HELP = (
    "No DISCORD_TOKEN set: create an application at https://discord.com/developers/applications, "
    "open its Bot page and press Reset Token to get one.\n"
    "Put it in .env as DISCORD_TOKEN=<token> (copy .env.example to .env), then run `make run` again."
)


def discover_cogs(package: Any = cogs) -> tuple[str, ...]:
    """Every module in the cogs package, in name order (`cogs.meta`, `cogs.quotes`, ...)."""
    return tuple(
        f"{package.__name__}.{module.name}"
        for module in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name)
        if not module.name.startswith("_")
    )


def use_endpoints(settings: Settings) -> None:
    """Point discord.py at DISCORD_API_BASE / DISCORD_GATEWAY_URL; it has no option for either."""
    if settings.api_base:
        discord.http.Route.BASE = settings.api_base
    if settings.gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url)


def command_tree_hash(tree: app_commands.CommandTree) -> str:
    """A digest of the global commands exactly as a sync would send them."""
    payload = sorted(
        (command.to_dict(tree) for command in tree.get_commands()),
        key=lambda item: (item.get("type", 1), item["name"]),
    )
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _unwrap(error: BaseException) -> BaseException:
    """The error a command or transformer raised, from discord.py's wrapper around it."""
    if isinstance(error, app_commands.CommandInvokeError | app_commands.TransformerError):
        if isinstance(error.__cause__, UserError | NotAStory):
            return error.__cause__
        if isinstance(error, app_commands.CommandInvokeError):
            return error.original
    return error


def user_message(error: BaseException) -> str | None:
    """The short text for an error the user caused, or None for a bug that must be logged."""
    error = _unwrap(error)
    if isinstance(error, UserError | NotAStory):
        return str(error)
    if isinstance(error, app_commands.TransformerError):
        return f"“{truncate(str(error.value), 100)}” is not a valid value for that option."
    if isinstance(
        error,
        app_commands.MissingPermissions
        | app_commands.BotMissingPermissions
        | app_commands.NoPrivateMessage
        | app_commands.CommandOnCooldown,
    ):
        return str(error)
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use this command here."
    if isinstance(error, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch):
        # Discord still shows a command from before the last sync; clients catch up within minutes.
        return "That command has just changed or been removed; please try again in a minute."
    if isinstance(error, discord.Forbidden):
        return "I don't have the permissions I need in this channel; ask a server admin to check my role."
    if _database_busy(error):
        return BUSY
    return None


def _database_busy(error: BaseException) -> bool:
    return isinstance(error, sqlite3.OperationalError) and any(w in str(error) for w in ("locked", "busy"))


async def handle_interaction_error(interaction: discord.Interaction, error: BaseException) -> None:
    """The one error handler for commands, views and modals: every interaction gets an answer."""
    message = user_message(error)
    if message is None:
        command = interaction.command.qualified_name if interaction.command else None
        log.error(
            "Unhandled error in interaction %s (command %s, guild %s, user %s)",
            interaction.id, command, interaction.guild_id, interaction.user.id,
            exc_info=error,
        )
        message = APOLOGY
    elif isinstance(
        _unwrap(error),
        discord.Forbidden
        | app_commands.BotMissingPermissions
        | app_commands.CommandNotFound
        | app_commands.CommandSignatureMismatch,
    ):
        log.warning("Interaction %s in guild %s: %s", interaction.id, interaction.guild_id, error)
    elif _database_busy(_unwrap(error)):
        log.warning("Interaction %s: the database stayed locked: %s", interaction.id, _unwrap(error))
    await reply_ephemeral(interaction, message)


async def reply_ephemeral(interaction: discord.Interaction, text: str) -> None:
    """Answer with a short private message, as a follow-up when the interaction was answered."""
    try:
        if interaction.type is discord.InteractionType.autocomplete:
            if not interaction.response.is_done():
                await interaction.response.autocomplete([])
        elif interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
        else:
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
    except (discord.HTTPException, discord.InteractionResponded, aiohttp.ClientError) as exc:
        # Typically the interaction expired (404) or the connection dropped; the error handler
        # itself must not raise, and nothing else can reach the user.
        log.warning("Could not answer interaction %s: %s", interaction.id, exc)


class StoryTree(app_commands.CommandTree):
    """Routes every application-command error to `handle_interaction_error`."""

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        await handle_interaction_error(interaction, error)


# Benchmarks set this to a number of seconds: the bot then logs the event loop's worst lag per period.
LAG_REPORT_ENV = "STORYBOT_LAG_REPORT_SECONDS"
LAG_PROBE_SECONDS = 0.01


async def report_loop_lag(period: float) -> None:
    """Log, every `period` seconds, how late the worst timer fired: any callback that blocks the
    event loop shows up here as lag, measured inside the bot rather than guessed from outside."""
    loop = asyncio.get_running_loop()
    worst, started = 0.0, loop.time()
    while True:
        due = loop.time() + LAG_PROBE_SECONDS
        await asyncio.sleep(LAG_PROBE_SECONDS)
        worst = max(worst, loop.time() - due)
        if loop.time() - started >= period:
            log.info("event loop lag: max %.1f ms over %.1f s", worst * 1000, loop.time() - started)
            worst, started = 0.0, loop.time()


class StoryBot(commands.Bot):
    """The bot: holds the settings and the open store; cogs reach both through `bot`."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        extensions: Iterable[str] | None = None,
        freeze_gc: bool = False,
        **options: Any,
    ) -> None:
        if settings.owner_ids:
            options.setdefault("owner_ids", set(settings.owner_ids))
        # StoryBot never joins voice, so discord.py's warnings about voice libraries are noise.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        super().__init__(
            # Every feature is a slash command; no message intent, so the prefix is never consulted.
            command_prefix=commands.when_mentioned,
            intents=INTENTS,
            help_command=None,
            tree_cls=StoryTree,
            allowed_mentions=NO_MENTIONS,
            chunk_guilds_at_startup=False,
            **options,
        )
        self.settings = settings
        self.store = store
        self.initial_extensions = discover_cogs() if extensions is None else tuple(extensions)
        self.load_report: LoadReport | None = None
        self.synced_commands: list[app_commands.AppCommand] | None = None
        self.freeze_gc = freeze_gc
        self._lag_report: asyncio.Task[None] | None = None
        use_endpoints(settings)

    async def setup_hook(self) -> None:
        self._enable_optional_intents()
        # The loader parses in worker threads, logs its summary and warns about each failed file.
        self.load_report = await load_directory(self.store, self.settings.stories_dir)
        for name in self.initial_extensions:
            try:
                await self.load_extension(name)
            except Exception:
                log.exception("Cog %s failed to load; the others still load", name)
        await self.sync_commands()
        if self.freeze_gc:
            # Start-up objects (modules, command tree, caches) live as long as the process; moving
            # them out of the collector's reach keeps full collections, and so p99 latency, short.
            # Only for the one bot of a process: a frozen bot that later dies is never collected.
            gc.collect()
            gc.freeze()
        if period := float(os.environ.get(LAG_REPORT_ENV) or 0):
            self._lag_report = asyncio.create_task(report_loop_lag(period), name="loop lag report")

    async def close(self) -> None:
        if self._lag_report is not None:
            self._lag_report.cancel()
        await super().close()

    def _enable_optional_intents(self) -> None:
        """Ask for message content (typed trivia answers) only when the portal has it switched on.

        Asking for a privileged intent the application lacks closes the gateway (4014), so it is
        never requested blindly; login has fetched the application, and IDENTIFY comes after this.
        """
        flags = self.application.flags if self.application else None
        if flags is None or not (flags.gateway_message_content or flags.gateway_message_content_limited):
            return
        # discord.py fixes intents at construction; its state object is what IDENTIFY reads.
        self._connection._intents.guild_messages = True
        self._connection._intents.message_content = True
        log.info("Message Content intent is enabled for this application: typed trivia answers are on")

    async def sync_commands(self) -> bool:
        """Sync to DEV_GUILD_ID, or globally when the tree changed since the last global sync."""
        if self.settings.dev_guild_id is not None:
            guild = discord.Object(self.settings.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            self.synced_commands = await self.tree.sync(guild=guild)
            log.info("Synced %d commands to guild %s", len(self.synced_commands), guild.id)
            return True
        # Keyed by application so a new token (another application) syncs its own commands.
        key = f"{TREE_HASH_KEY}:{self.application_id}"
        digest = command_tree_hash(self.tree)
        if await self.store.get_meta(key) == digest:
            log.info("Command tree unchanged since the last sync; not syncing")
            return False
        self.synced_commands = await self.tree.sync()
        await self.store.set_meta(key, digest)
        log.info("Synced %d global commands (may take a while to appear)", len(self.synced_commands))
        return True

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        if interaction.type is not discord.InteractionType.component:
            return
        await asyncio.sleep(UNCLAIMED_AFTER)
        if not interaction.response.is_done():
            log.info("Component %s had no live view; told the user", interaction.data.get("custom_id"))
            await reply_ephemeral(interaction, STALE_COMPONENT)

    async def on_ready(self) -> None:
        assert self.user is not None
        log.info("Ready as %s (%s) in %d servers", self.user, self.user.id, len(self.guilds))


async def serve(settings: Settings) -> None:
    """Run the bot until SIGINT/SIGTERM; the store and the connection close cleanly either way."""
    assert settings.token
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, _request_stop, stop, sig)
    try:
        async with Store.open(settings.database_path) as store, StoryBot(settings, store, freeze_gc=True) as bot:
            running = asyncio.create_task(bot.start(settings.token), name="storybot")
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if not running.done():
                running.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await running
            else:
                running.result()
        log.info("Shut down cleanly")
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)


def _request_stop(stop: asyncio.Event, sig: signal.Signals) -> None:
    log.info("Received %s; shutting down", sig.name)
    stop.set()


async def load_bundled(settings: Settings) -> LoadReport:
    """Load STORIES_DIR into the database without connecting (the no-token path of `run`)."""
    async with Store.open(settings.database_path) as store:
        return await load_directory(store, settings.stories_dir)


def describe_load(report: LoadReport, settings: Settings) -> str:
    """What a load of the bundled stories did, one line per file, for the terminal."""
    lines = [f"Bundled stories from {settings.stories_dir} in {settings.database_path}: {report.summary()}"]
    for outcome in report.outcomes:
        what = outcome.title or outcome.path.name
        detail = f" ({outcome.error})" if outcome.error else ""
        lines.append(f"  {outcome.status:<9} {what}{detail}")
    return "\n".join(lines)


class _RedactToken(logging.Filter):
    """Belt and braces: no log line may ever carry the token, whatever a library prints."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self._token in message:
            record.msg, record.args = message.replace(self._token, "[DISCORD_TOKEN]"), None
        return True


def setup_logging(settings: Settings) -> None:
    handler = logging.StreamHandler()
    if settings.token:
        handler.addFilter(_RedactToken(settings.token))
    discord.utils.setup_logging(handler=handler, level=settings.log_level)


def run_cli() -> int:
    """`python -m bot run`: returns the exit status (CONTRACT §3)."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EXIT_BAD_INPUT
    setup_logging(settings)
    try:
        if not settings.token:
            report = asyncio.run(load_bundled(settings))
            print(describe_load(report, settings))
            print(TOKEN_HELP, file=sys.stderr)
            return EXIT_BAD_INPUT
        asyncio.run(serve(settings))
    except StoreError as exc:
        print(f"DATABASE_PATH: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except discord.LoginFailure:
        print("DISCORD_TOKEN: Discord rejected the token; copy it again from the Bot page.", file=sys.stderr)
        return EXIT_BAD_INPUT
    except aiohttp.ClientConnectionError as exc:
        # Login is the first request; later drops are retried by discord.py itself.
        print(f"Cannot reach Discord at {discord.http.Route.BASE}: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except discord.PrivilegedIntentsRequired as exc:
        print(f"Discord refused a privileged intent: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        # Only before serve() installs its handlers (e.g. while loading stories without a token).
        print("interrupted", file=sys.stderr)
        return EXIT_FAILURE
    except Exception:
        log.exception("StoryBot stopped on an unexpected error")
        return EXIT_FAILURE
    return EXIT_OK
