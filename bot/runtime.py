"""The running bot: a `commands.AutoShardedBot` that loads stories and cogs, syncs commands, and handles errors.

`run_cli()` is what `python -m bot run` calls; `serve()` runs one bot until a signal stops it.
"""
from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
import hashlib
import json
import logging
import os
import pkgutil
import re
import signal
import socket
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, TextIO

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.ext import commands

import cogs
from bot import metrics
from bot.config import ConfigError, Settings, load_settings
from bot.errors import UserError, echo
from bot.logs import JsonFormatter, plain_formatter, wants_colour
from bot.metrics import MetricsServer, ShardState
from bot.parsing.model import NotAStory
from bot.render import NO_MENTIONS
from bot.sharding import ShardPlan
from bot.store import Store, StoreError
from bot.store.loader import LoadReport, discard_staged, load_directory
from bot.tasks import finish_or_cancel

log = logging.getLogger(__name__)

# Slash commands, buttons and modals arrive as interactions, which need no intent at all;
# `guilds` keeps the guild and channel cache that permission checks and threads rely on.
INTENTS = discord.Intents(guilds=True)

TREE_HASH_KEY = "command_tree_hash"
# A component interaction still unanswered by then, just before Discord's 3-second limit would
# show the user a bare "This interaction failed", is answered by the runtime: "expired" when no
# view or dynamic item took it (its view timed out, or the bot restarted), otherwise deferred so
# the slow handler (e.g. waiting for a database lock) can still edit or follow up.
UNCLAIMED_AFTER = 2.0
STALE_COMPONENT = "These buttons have expired; run the command again."
APOLOGY = "Sorry, something went wrong on my side. It has been logged; please try again later."
# SQLite gave up waiting for a lock another process holds (busy_timeout passed): nothing was
# written, so trying again is safe.
BUSY = "The library is busy right now; please try again in a few seconds."
# The bot's own wait for such a lock: short enough that giving up, rolling back and answering BUSY
# still fits in Discord's 3 seconds (the command line and ingest keep the store's 10 s default).
INTERACTIVE_BUSY_TIMEOUT_MS = 1_500
# Names discord.py 2.7 gives the tasks that run slash commands, buttons, dynamic items and modals.
HANDLER_TASK_PREFIXES = (
    "CommandTree-invoker", "discord-ui-view-dispatch-", "discord-ui-dynamic-item-", "discord-ui-modal-dispatch-",
)
HANDLER_DRAIN_SECONDS = 5.0
EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2
# Where an application command's arrival time waits in `Interaction.extras` for its metrics.
RECEIVED_AT = "storybot_received_at"
# Discord's close codes for a bad shard in IDENTIFY: what each means for the configuration.
SHARD_REFUSALS = {
    4010: "SHARD_IDS: Discord refused a shard id (4010 Invalid shard); ids run from 0 to SHARD_COUNT - 1.",
    4011: "SHARD_COUNT: Discord requires more shards for this bot's servers (4011 Sharding required); "
          "raise it, or unset SHARD_COUNT and SHARD_IDS to use Discord's recommendation.",
}
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
        return f"“{echo(error.value)}” is not a valid value for that option."
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


def record_command(interaction: discord.Interaction, outcome: str) -> None:
    """Count a slash command that ended with `outcome` and how long it took since it arrived."""
    if interaction.type is not discord.InteractionType.application_command:
        return
    name = interaction.command.qualified_name if interaction.command else "unknown"
    metrics.INTERACTIONS.labels(name, outcome).inc()
    received = interaction.extras.pop(RECEIVED_AT, None)
    if received is not None:
        metrics.RESPONSE_SECONDS.labels(name).observe(time.perf_counter() - received)


async def handle_interaction_error(interaction: discord.Interaction, error: BaseException) -> None:
    """The one error handler for commands, views and modals: every interaction gets an answer."""
    message = user_message(error)
    record_command(interaction, metrics.ERROR if message is None else metrics.USER_ERROR)
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


def component_handled(view_store: Any, interaction: discord.Interaction) -> bool:
    """Whether discord.py handed this component interaction to a live view item or a dynamic item.

    Mirrors `ViewStore.dispatch_view` (discord.py 2.x has no public way to ask), so it must be
    asked in the same step as that dispatch: a handler may stop its view before its first await.
    """
    data: Any = interaction.data or {}
    custom_id, component_type = data.get("custom_id"), data.get("component_type")
    if not isinstance(custom_id, str):
        return False
    if any(pattern.fullmatch(custom_id) for pattern in view_store._dynamic_items):
        return True
    key = (component_type, custom_id)
    item = None
    if interaction.message is not None:
        item = view_store._views.get(interaction.message.id, {}).get(key)
    if item is None:
        item = view_store._views.get(None, {}).get(key)
    return item is not None and item.view is not None and not item.view.is_finished()


_ID_PART = re.compile(r"\d+")


def control_name(interaction: discord.Interaction) -> str:
    """A component's custom_id without the ids in it ("quote:again:123" -> "quote:again"): few
    enough values for a metric label."""
    custom_id = (interaction.data or {}).get("custom_id")
    if not isinstance(custom_id, str):
        return "unknown"
    return ":".join(p for p in custom_id.split(":") if p and not _ID_PART.fullmatch(p))[:40] or "unknown"


class PatientResponse(discord.InteractionResponse):
    """A handled component's response that the runtime may defer for a slow handler.

    Once deferred, the handler's own answer is carried over instead of failing with
    InteractionResponded: `edit_message` edits the message through the interaction webhook,
    `send_message` becomes a follow-up, `defer` does nothing. A modal cannot follow a deferral, so
    `send_modal` still raises. The lock keeps the runtime's deferral and the handler's own first
    answer from both reaching Discord (the second would be refused as already acknowledged).
    """

    __slots__ = ("_deferred_for_handler", "_first_answer", "_received")

    def __init__(self, parent: discord.Interaction, received: float | None = None) -> None:
        super().__init__(parent)
        self._first_answer = asyncio.Lock()
        self._deferred_for_handler = False
        self._received = received  # when it arrived (perf_counter), for storybot_component_seconds

    def _answered(self) -> None:
        """The first answer reached Discord: time it, once (`_first_answer` is held)."""
        if self._received is not None and self.is_done():
            metrics.COMPONENT_SECONDS.labels(control_name(self._parent)).observe(time.perf_counter() - self._received)
            self._received = None

    async def defer_for_handler(self) -> bool:
        """Acknowledge on the handler's behalf, unless it has answered (or is answering) already."""
        async with self._first_answer:
            if self.is_done():
                return False
            await super().defer()
            self._deferred_for_handler = True
            self._answered()
            return True

    async def defer(self, **options: Any) -> discord.InteractionCallbackResponse | None:
        async with self._first_answer:
            if self._deferred_for_handler:
                return None
            try:
                return await super().defer(**options)
            finally:
                self._answered()

    async def send_message(self, content: Any = None, **options: Any) -> discord.InteractionCallbackResponse | None:
        async with self._first_answer:
            if not self._deferred_for_handler:
                try:
                    return await super().send_message(content, **options)
                finally:
                    self._answered()
        delete_after = options.pop("delete_after", None)
        if content is not None:
            options["content"] = content
        message = await self._parent.followup.send(wait=delete_after is not None, **options)
        if delete_after is not None:
            await message.delete(delay=delete_after)
        return None

    async def edit_message(self, **fields: Any) -> discord.InteractionCallbackResponse | None:
        async with self._first_answer:
            if not self._deferred_for_handler:
                try:
                    return await super().edit_message(**fields)
                finally:
                    self._answered()
        delete_after = fields.pop("delete_after", None)
        message = await self._parent.edit_original_response(**fields)
        if delete_after is not None:
            await message.delete(delay=delete_after)
        return None

    async def send_modal(self, modal: discord.ui.Modal, /) -> discord.InteractionCallbackResponse:
        async with self._first_answer:
            try:
                return await super().send_modal(modal)
            finally:
                self._answered()


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
    worst_cpu = (0.0, 0.0)
    while True:
        due = loop.time() + LAG_PROBE_SECONDS
        # CPU time during the wait tells a callback holding the loop (the loop's thread ran for
        # most of the lag) from a loop that could not run: the process waiting for a core (little
        # CPU anywhere in it) or the loop's thread waiting for the GIL (the process's other
        # threads ran meanwhile).
        thread_cpu, process_cpu = time.thread_time(), time.process_time()
        await asyncio.sleep(LAG_PROBE_SECONDS)
        lag = loop.time() - due
        if lag > worst:
            worst, worst_cpu = lag, (time.thread_time() - thread_cpu, time.process_time() - process_cpu)
        if loop.time() - started >= period:
            log.info(
                "event loop lag: max %.1f ms over %.1f s (CPU meanwhile: loop thread %.1f ms, whole process %.1f ms)",
                worst * 1000, loop.time() - started, worst_cpu[0] * 1000, worst_cpu[1] * 1000,
            )
            worst, started, worst_cpu = 0.0, loop.time(), (0.0, 0.0)


# How many young-generation (gen 1) collections between two full ones: Python's default is 10.
FULL_COLLECTION_EVERY = 2


def collect_in_smaller_steps() -> None:
    """Full collections five times as often, each shorter: 9-16 ms of the loop thread's CPU
    (median 10.7) against 13-31 ms (median 23) on the development machine (branch loop14), for more
    of them in all: the worst stall, not the total, is what a reply waits behind.

    A full (gen 2) collection runs in whichever thread allocates, here the event loop's, and holds
    it for as long as it walks and frees what it found: every interaction leaves cyclic garbage
    (discord.py's Interaction and its response, each View and its buttons), and the interactions in
    flight when a younger collection runs are promoted, so under load about 12,000 such objects
    piled up between two full collections, 15-31 ms of the loop thread's CPU each time on the
    development machine (`bench/load.py`; the worst event-loop lag of its runs). Called once the
    start-up objects are frozen, so the full collections walk only what came after."""
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class StoryBot(commands.AutoShardedBot):
    """The bot: holds the settings and the open store; cogs reach both through `bot`.

    It runs the shards SHARD_IDS of SHARD_COUNT (default: every shard of Discord's recommended
    count) and serves only their servers: `owns_guild` tells a cog whether a server is this
    process's to act for (start-up clean-ups, scheduled posts).
    """

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
            # A copy: _enable_optional_intents changes this bot's own intents, never the module's.
            intents=discord.Intents(**dict(INTENTS)),
            help_command=None,
            tree_cls=StoryTree,
            allowed_mentions=NO_MENTIONS,
            chunk_guilds_at_startup=False,
            shard_count=settings.shard_count,
            shard_ids=list(settings.shard_ids) if settings.shard_ids is not None else None,
            **options,
        )
        self.settings = settings
        self.store = store
        self.shard_plan = ShardPlan(settings.shard_count, settings.shard_ids)
        self.metrics_server: MetricsServer | None = None
        # What time it is for schedules (/daily); tests replace it to move the clock.
        self.now: Callable[[], datetime] = _utc_now
        self.initial_extensions = discover_cogs() if extensions is None else tuple(extensions)
        self.load_report: LoadReport | None = None
        self.synced_commands: list[app_commands.AppCommand] | None = None
        self.freeze_gc = freeze_gc
        self._lag_report: asyncio.Task[None] | None = None
        self._component_watches: set[asyncio.Task[None]] = set()
        use_endpoints(settings)

    def owns_guild(self, guild_id: int) -> bool:
        """Whether `guild_id` is on one of this process's shards (its state is ours to act on)."""
        return self.shard_plan.owns(guild_id)

    async def setup_hook(self) -> None:
        self._enable_optional_intents()
        if self.settings.metrics_port is not None:
            await self._start_metrics()
        # Uploads cut off by a crash or kill left invisible staged rows; no upload worker of this
        # process runs yet (another process's, for its own servers, may).
        await discard_staged(self.store, guilds=self.owns_guild)
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
            collect_in_smaller_steps()
        if period := float(os.environ.get(LAG_REPORT_ENV) or 0):
            self._lag_report = asyncio.create_task(report_loop_lag(period), name="loop lag report")

    async def close(self) -> None:
        await self._drain_handlers()
        if self._lag_report is not None:
            self._lag_report.cancel()
        for watch in tuple(self._component_watches):
            watch.cancel()
        await super().close()
        if self.metrics_server is not None:
            await self.metrics_server.stop()

    async def _start_metrics(self) -> None:
        assert self.settings.metrics_port is not None
        server = MetricsServer(
            self.settings.metrics_host, self.settings.metrics_port,
            shards=self.shard_states, ping_database=self.store.ping,
        )
        try:
            await server.start()
        except OSError as exc:
            # An address that does not resolve or is not this machine's is the host's fault; a taken
            # or forbidden port the port's.
            wrong_host = isinstance(exc, socket.gaierror) or exc.errno == errno.EADDRNOTAVAIL
            variable = "METRICS_HOST" if wrong_host else "METRICS_PORT"
            raise ConfigError(
                variable,
                f"cannot listen on {self.settings.metrics_host}:{self.settings.metrics_port}: {exc.strerror or exc}",
            ) from None
        self.metrics_server = server

    def shard_states(self) -> list[ShardState]:
        """This process's shards: connected (and the bot ready), heartbeat latency, servers.
        Empty until the shard count is known (SHARD_COUNT, or Discord's recommendation at connect)."""
        if self.shard_count is None:
            return []
        launched = self.shards
        ready = self.is_ready()
        guilds = Counter(guild.shard_id for guild in self.guilds)
        states = []
        for shard_id in self.shard_ids or range(self.shard_count):
            info = launched.get(shard_id)
            states.append(ShardState(
                shard_id,
                connected=ready and info is not None and not info.is_closed(),
                latency=info.latency if info is not None else float("inf"),
                guilds=guilds[shard_id],
            ))
        return states

    async def _drain_handlers(self) -> None:
        """Let commands and buttons already running finish before the cogs and the store go away,
        so a shutdown in the middle of a page turn does not pull the database out from under it.

        A handler still running after HANDLER_DRAIN_SECONDS is cancelled, and waited for: the store
        closes once the bot has, and no task may use it after that (atomic() and the store's
        transaction statements finish what they started even when cancelled).
        """
        current = asyncio.current_task()
        running = [
            task for task in asyncio.all_tasks()
            if task is not current and not task.done() and task.get_name().startswith(HANDLER_TASK_PREFIXES)
        ]
        if cancelled := await finish_or_cancel(running, HANDLER_DRAIN_SECONDS):
            log.warning("Shutting down with %d interaction handlers still running; they were cancelled", cancelled)

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

    def dispatch(self, event_name: str, /, *args: Any, **kwargs: Any) -> None:
        if event_name == "interaction" and args:
            interaction = args[0]
            metrics.INTERACTIONS_RECEIVED.labels(interaction.type.name).inc()
            if interaction.type is discord.InteractionType.application_command:
                # Before any handler runs: discord.py has created its task, which starts later.
                interaction.extras[RECEIVED_AT] = time.perf_counter()
        super().dispatch(event_name, *args, **kwargs)
        # discord.py dispatches "interaction" right after handing a component to its view, before
        # any handler runs: the only moment at which whether a view took it is still known.
        if event_name == "interaction" and args and args[0].type is discord.InteractionType.component:
            self._watch_component(args[0])

    async def on_app_command_completion(
        self, interaction: discord.Interaction, command: app_commands.Command[Any, ..., Any] | app_commands.ContextMenu
    ) -> None:
        record_command(interaction, metrics.OK)

    def _watch_component(self, interaction: discord.Interaction) -> None:
        received = time.perf_counter()
        handled = component_handled(self._connection._view_store, interaction)
        if handled:
            # Installed before the handler's first step, so every answer it gives goes through it.
            interaction._cs_response = PatientResponse(interaction, received)
        watch = asyncio.create_task(
            self._answer_if_unanswered(interaction, handled), name=f"component watch {interaction.id}"
        )
        self._component_watches.add(watch)
        watch.add_done_callback(self._component_watches.discard)

    async def _answer_if_unanswered(self, interaction: discord.Interaction, handled: bool) -> None:
        await asyncio.sleep(UNCLAIMED_AFTER)
        custom_id = (interaction.data or {}).get("custom_id")
        response = interaction.response
        if isinstance(response, PatientResponse):
            try:
                if await response.defer_for_handler():
                    log.info("Component %s still running after %.0f s; deferred for it", custom_id, UNCLAIMED_AFTER)
            except (discord.HTTPException, aiohttp.ClientError) as exc:
                log.warning("Could not defer interaction %s: %s", interaction.id, exc)
        elif not handled and not response.is_done():
            log.info("Component %s had no live view; told the user", custom_id)
            await reply_ephemeral(interaction, STALE_COMPONENT)

    async def on_ready(self) -> None:
        assert self.user is not None
        shards = ",".join(str(i) for i in self.shard_ids or range(self.shard_count or 1))
        log.info(
            "Ready as %s (%s) in %d servers on shards %s of %s",
            self.user, self.user.id, len(self.guilds), shards, self.shard_count,
        )


def open_store(settings: Settings) -> contextlib.AbstractAsyncContextManager[Store]:
    """The store as the running bot uses it: with the short busy timeout interactions can afford."""
    return Store.open(
        settings.database, busy_timeout_ms=INTERACTIVE_BUSY_TIMEOUT_MS, pool_size=settings.database_pool_size
    )


async def serve(settings: Settings) -> None:
    """Run the bot until SIGINT/SIGTERM; the store and the connection close cleanly either way."""
    assert settings.token
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, _request_stop, stop, sig)
    try:
        async with open_store(settings) as store, StoryBot(settings, store, freeze_gc=True) as bot:
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
    async with Store.open(settings.database, pool_size=settings.database_pool_size) as store:
        return await load_directory(store, settings.stories_dir)


def describe_load(report: LoadReport, settings: Settings) -> str:
    """What a load of the bundled stories did, one line per file, for the terminal."""
    lines = [f"Bundled stories from {settings.stories_dir} in {settings.database_name}: {report.summary()}"]
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


def setup_logging(settings: Settings, stream: TextIO | None = None) -> None:
    """Log to `stream` (stderr) at LOG_LEVEL in LOG_FORMAT; text is coloured only on a terminal."""
    handler = logging.StreamHandler(stream)
    if settings.token:
        handler.addFilter(_RedactToken(settings.token))
    options: dict[str, logging.Formatter] = {}
    if settings.log_format == "json":
        options["formatter"] = JsonFormatter()
    elif not wants_colour(handler.stream):
        options["formatter"] = plain_formatter()
    # Left without a formatter, discord.py picks its colour one for a terminal.
    discord.utils.setup_logging(handler=handler, level=settings.log_level, **options)


# Which event loop `python -m bot run` uses: "uvloop" (the default, where it is installed) or
# "asyncio" (the standard library's). Benchmarks set it to compare the two in one tree.
EVENT_LOOP_ENV = "STORYBOT_EVENT_LOOP"


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop, libuv's in Cython: with asyncio's own, the loop's Python (handles, the
    selector, transports, timers) was about a tenth of the bot's CPU per /quote; uvloop took 10-13 %
    off it on a quiet machine (docs/benchmarks.md, branch loop14). None (asyncio's default loop) where uvloop is not installed (it has no Windows
    build) or STORYBOT_EVENT_LOOP=asyncio asks for it."""
    if os.environ.get(EVENT_LOOP_ENV, "uvloop").strip().lower() == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


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
        with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
            runner.run(serve(settings))
    except StoreError as exc:
        print(f"{settings.database_variable}: {exc}", file=sys.stderr)
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
    except discord.ConnectionClosed as exc:
        if exc.code not in SHARD_REFUSALS:
            log.exception("StoryBot stopped: Discord closed the gateway with %s", exc.code)
            return EXIT_FAILURE
        print(SHARD_REFUSALS[exc.code], file=sys.stderr)
        return EXIT_BAD_INPUT
    except ConfigError as exc:
        # Found only once running, e.g. METRICS_PORT already taken.
        print(exc, file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        # Only before serve() installs its handlers (e.g. while loading stories without a token).
        print("interrupted", file=sys.stderr)
        return EXIT_FAILURE
    except Exception:
        log.exception("StoryBot stopped on an unexpected error")
        return EXIT_FAILURE
    return EXIT_OK
