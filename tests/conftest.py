"""Shared fixtures: the local Discord and a real StoryBot (bot/runtime.py) connected to it.

Fixtures
--------
``storybot``
    A running StoryBot with every cog in ``cogs/`` loaded, the bundled stories in a fresh temporary
    database, commands synced globally to a fresh ``LocalDiscord``. Yields a ``BotHarness``::

        async def test_quote(storybot):
            reply = await (await storybot.run("quote", {"story": "After the Invasion"})).reply()
            assert "said" in reply.text()

    - ``storybot.bot`` the StoryBot, ``storybot.store`` its open Store, ``storybot.settings``.
    - ``storybot.server`` the LocalDiscord (``tests/discord_local``): ``requests``, ``messages``,
      ``wait_for_request``, ``wait_for_message``, ``fail_next``, ``send_reconnect``, ... and
      ``storybot.world`` its World.
    - places: ``guild`` ("Story Den"), ``channel`` (its #general), ``second_channel``,
      ``nsfw_channel``, ``other_guild`` / ``other_channel`` (a second server), ``dm``.
    - people: ``admin`` (Administrator), ``moderator`` (Manage Server), ``member`` (no special
      permission; the default user of every helper), ``outsider`` (only in the other guild).
    - helpers (user defaults to ``member``, channel to ``channel``)::

        handle = await storybot.run("trivia start", {"questions": 3}, user=storybot.admin)
        callback = await handle.response(); message = await handle.reply()
        choices = await storybot.autocomplete("quote", "story", {"story": "inv"})
        clicked = await storybot.click(message, "next")
        submitted = await storybot.submit_modal(clicked, {"answer": "Naruto"})
        posted = await storybot.post("hello")

      ``run``/``click``/``select``/``submit_modal`` return an ``InteractionHandle``
      (``response()``, ``reply()``, ``followups(n)``, ``choices()``, ``modal()``).
    - ``storybot.allow_errors(r"regex")``: accept ERROR log records whose message or exception
      matches (for tests that provoke one on purpose). ``storybot.server.take_violations()`` does
      the same for limit violations.

``make_storybot``
    A factory for bots with other settings, or several bots one after another on one database
    (restarts)::

        async with make_storybot(dev_guild=True, extensions=("cogs.meta",)) as sb: ...

    Keywords: ``server`` (a LocalDiscord; default the test's ``local_discord``), ``database``
    (path; default a fresh copy of the seeded database), ``dev_guild`` (sync to ``guild`` only),
    ``extensions`` (default: every cog; ``("cogs.quotes",)`` tests one cog alone, unaffected by
    the others), ``stories_dir``, ``overrides`` (other Settings fields, e.g.
    ``{"shard_count": 2, "shard_ids": (1,), "metrics_port": 0}``; port 0 picks a free one). ``running_storybot(server, database, ...)`` is the same thing
    as a plain async context manager, importable from ``tests.conftest``.

``local_discord``
    A started ``LocalDiscord`` with discord.py pointed at it (restored afterwards).

``fresh_database``
    A function returning a new temporary copy of the seeded database on each call.

``seeded_database``
    (session) A database with every migration applied and the bundled stories loaded; each bot
    gets its own copy, so start-up only checks that nothing changed.

Every bot fixture fails the test on: an ERROR log record from ``discord``, ``bot`` or ``cogs``
loggers (unless allowed), a request to a route the local Discord does not implement, any Discord
limit violation the local Discord recorded, ``bot.start()`` dying, and an interaction handler or a task
running code from ``cogs/`` still alive after ``bot.close()`` (it would outlive the store).
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import logging
import re
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bot.config import Settings
from bot.runtime import HANDLER_TASK_PREFIXES, INTERACTIVE_BUSY_TIMEOUT_MS, StoryBot, open_store
from bot.store import Store
from bot.store.loader import load_directory
from tests import postgres as postgres_cluster
from tests.discord_local import Channel, InteractionHandle, LocalDiscord, StoredMessage, User, World
from tests.tools import missing_tool

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
WATCHED_LOGGERS = ("discord", "bot", "cogs")
READY_TIMEOUT = 30.0
# discord.py waits this long after the last GUILD_CREATE before READY; the default is 2 s.
GUILD_READY_TIMEOUT = 0.05


class ErrorRecords(logging.Handler):
    """Collects ERROR records from discord.py and the project so the fixture can fail the test."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []
        self.allowed: list[re.Pattern[str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.split(".")[0] in WATCHED_LOGGERS:
            self.records.append(record)

    @staticmethod
    def _describe(record: logging.LogRecord) -> str:
        text = f"{record.name}: {record.getMessage()}"
        if record.exc_info and record.exc_info[1] is not None:
            text += f" [{type(record.exc_info[1]).__name__}: {record.exc_info[1]}]"
        return text

    def unexpected(self) -> list[str]:
        described = (self._describe(r) for r in self.records)
        return [d for d in described if not any(p.search(d) for p in self.allowed)]


@dataclass(eq=False)
class BotHarness:
    """A running StoryBot and the local Discord it talks to; see the module docstring."""

    bot: StoryBot
    server: LocalDiscord
    errors: ErrorRecords
    task: asyncio.Task[None]
    notes: list[str] = field(default_factory=list)

    # -- what the bot holds
    @property
    def store(self) -> Store:
        return self.bot.store

    @property
    def settings(self) -> Settings:
        return self.bot.settings

    # -- the world
    @property
    def world(self) -> World:
        return self.server.world

    @property
    def guild(self):
        return self.world.guild

    @property
    def other_guild(self):
        return self.world.other_guild

    @property
    def channel(self) -> Channel:
        return self.world.general

    @property
    def second_channel(self) -> Channel:
        return self.world.second_channel

    @property
    def nsfw_channel(self) -> Channel:
        return self.world.nsfw_channel

    @property
    def other_channel(self) -> Channel:
        return self.world.other_general

    @property
    def dm(self) -> Channel:
        return self.world.dm

    @property
    def admin(self) -> User:
        return self.world.admin

    @property
    def moderator(self) -> User:
        return self.world.moderator

    @property
    def member(self) -> User:
        return self.world.member

    @property
    def outsider(self) -> User:
        return self.world.outsider

    # -- driving the bot
    async def run(
        self,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        user: User | None = None,
        channel: Channel | None = None,
    ) -> InteractionHandle:
        """Send slash command ``name`` ("help", "story info") with typed ``options``."""
        return await self.server.run_command(user or self.member, channel or self.channel, name, options)

    async def autocomplete(
        self,
        name: str,
        focused: str,
        options: dict[str, Any] | None = None,
        *,
        user: User | None = None,
        channel: Channel | None = None,
    ) -> list[dict[str, Any]]:
        """The choices the bot offers for option ``focused`` (typed text in ``options[focused]``)."""
        return await self.server.autocomplete(
            user or self.member, channel or self.channel, name, focused, options
        )

    async def click(self, message: StoredMessage, custom_id: str, *, user: User | None = None) -> InteractionHandle:
        return await self.server.click(message, custom_id, user or self.member)

    async def select(
        self, message: StoredMessage, custom_id: str, values: list[str], *, user: User | None = None
    ) -> InteractionHandle:
        return await self.server.select(message, custom_id, values, user or self.member)

    async def submit_modal(self, opened_by: InteractionHandle, values: dict[str, str]) -> InteractionHandle:
        return await self.server.submit_modal(opened_by, values)

    async def post(
        self, content: str, *, user: User | None = None, channel: Channel | None = None
    ) -> StoredMessage:
        return await self.server.post_message(user or self.member, channel or self.channel, content)

    def allow_errors(self, pattern: str) -> None:
        """Accept ERROR records matching ``pattern`` (message, logger name or exception)."""
        self.errors.allowed.append(re.compile(pattern))

    def problems(self) -> list[str]:
        """Everything that fails the test at teardown (so far)."""
        found = [f"ERROR logged: {e}" for e in self.errors.unexpected()]
        found += self.server.problems
        if self.task.done() and not self.task.cancelled() and self.task.exception() is not None:
            found.append(f"bot.start() died: {self.task.exception()!r}")
        return found + self.notes


@pytest.fixture(scope="session")
def seeded_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seeded") / "storybot.db"

    async def load() -> None:
        async with Store.open(path) as store:
            report = await load_directory(store, SEEDS)
        if report.failed:
            raise RuntimeError(f"bundled stories failed to load: {[o.error for o in report.failed]}")

    # Its own thread and loop, so the tests' event loops are untouched.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, load()).result()
    return path


@pytest.fixture
def fresh_database(seeded_database: Path, tmp_path: Path) -> Callable[[], Path]:
    """Each call copies the seeded database to a new temporary path."""
    counter = iter(range(1_000_000))

    def copy() -> Path:
        target = tmp_path / f"bot-{next(counter)}" / "storybot.db"
        target.parent.mkdir()
        for suffix in ("", "-wal", "-shm"):
            source = seeded_database.with_name(seeded_database.name + suffix)
            if source.exists():
                shutil.copyfile(source, target.with_name(target.name + suffix))
        return target

    return copy


@pytest.fixture
async def local_discord() -> AsyncIterator[LocalDiscord]:
    async with LocalDiscord() as server:
        with server.patch_discord():
            yield server


@contextlib.asynccontextmanager
async def running_storybot(
    server: LocalDiscord,
    database: Path,
    *,
    dev_guild: bool = False,
    extensions: tuple[str, ...] | None = None,
    stories_dir: Path = SEEDS,
    check: bool = True,
    overrides: dict[str, Any] | None = None,
) -> AsyncIterator[BotHarness]:
    """A StoryBot connected to ``server`` until the block ends; fails on the problems listed above."""
    settings = Settings(
        token=server.token,
        database_path=database,
        stories_dir=stories_dir,
        dev_guild_id=server.world.guild.id if dev_guild else None,
        api_base=server.api_base,
        gateway_url=server.ws_url,
    )
    settings = dataclasses.replace(settings, **(overrides or {}))
    errors = ErrorRecords()
    logging.getLogger().addHandler(errors)
    try:
        async with open_store(settings) as store:
            bot = StoryBot(settings, store, extensions=extensions, guild_ready_timeout=GUILD_READY_TIMEOUT)
            async with bot:
                task = asyncio.create_task(bot.start(server.token), name="storybot under test")
                harness = BotHarness(bot, server, errors, task)
                try:
                    await _wait_ready(bot, task)
                    yield harness
                finally:
                    await bot.close()
                    # The store closes right after: a cog's task still running would outlive it.
                    harness.notes.extend(f"still running after bot.close(): {t!r}" for t in tasks_outliving_the_bot())
                    # asyncio.wait does not raise: a dead start() is reported by problems().
                    await asyncio.wait({task}, timeout=5)
                    if not task.done():
                        task.cancel()
                        harness.notes.append("bot.start() did not return after bot.close()")
        if check and (problems := harness.problems()):
            pytest.fail("StoryBot test problems:\n  " + "\n  ".join(problems), pytrace=False)
    finally:
        logging.getLogger().removeHandler(errors)


def tasks_outliving_the_bot() -> list[asyncio.Task[Any]]:
    """Unfinished tasks of this loop that would use the store: interaction handlers, and tasks whose
    coroutine is code from cogs/ (a game loop, say)."""
    cogs = str(ROOT / "cogs")
    return [
        task for task in asyncio.all_tasks()
        if not task.done() and (
            task.get_name().startswith(HANDLER_TASK_PREFIXES)
            or getattr(getattr(task.get_coro(), "cr_code", None), "co_filename", "").startswith(cogs)
        )
    ]


async def _wait_ready(bot: StoryBot, task: asyncio.Task[None]) -> None:
    ready = asyncio.create_task(bot.wait_until_ready())
    done, _ = await asyncio.wait({ready, task}, timeout=READY_TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
    if ready in done:
        return
    ready.cancel()
    if task in done:
        error = task.exception()
        raise AssertionError(f"bot.start() ended before the bot was ready: {error!r}") from error
    raise AssertionError(f"the bot was not ready within {READY_TIMEOUT}s")


# --- PostgreSQL ----------------------------------------------------------------------------------
# The store fixtures run every test twice: on SQLite and on a real PostgreSQL (a throwaway cluster
# per test session, tests/postgres.py; each test gets its own database, copied from a migrated
# template). Without PostgreSQL installed those runs skip with the reason; with CI=true they fail.
# A test that checks something only SQLite has is marked `sqlite_only` (its PostgreSQL run is
# deselected, not skipped); one that checks something only PostgreSQL has, `postgresql_only`.
ENGINES = ("sqlite", "postgresql")


def missing_postgres(reason: str) -> None:
    """Skip a PostgreSQL test for `reason`, or fail it when CI=true (CI must run them)."""
    missing_tool(reason)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        engine = callspec.params.get("engine") if callspec is not None else None
        only = "sqlite_only" if engine == "postgresql" else "postgresql_only" if engine == "sqlite" else None
        (drop if only and item.get_closest_marker(only) else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """(session) The URL of a throwaway PostgreSQL cluster's maintenance database."""
    bin_dir = postgres_cluster.find_binaries()
    if bin_dir is None:
        missing_postgres("PostgreSQL is not installed (no initdb/pg_ctl on PATH or in /usr/lib/postgresql)")
    with postgres_cluster.cluster(bin_dir) as url:
        yield url


@pytest.fixture(scope="session")
def postgres_template(postgres_server: str) -> str:
    """(session) A database with every migration applied, the template of each test's database."""
    name = "storybot_template"

    async def make() -> None:
        await _admin(postgres_server, f"CREATE DATABASE {name}")
        async with Store.open(postgres_cluster.database_url(postgres_server, name)):
            pass

    _run_aside(make())
    return name


def _run_aside(coroutine) -> object:
    """Run a coroutine to its end on a loop of its own (in a thread), away from the test's loop."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _admin(server_url: str, statement: str) -> None:
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(statement)
    finally:
        await admin.close()


@pytest.fixture
def postgres_url(postgres_server: str, postgres_template: str) -> Iterator[str]:
    """A fresh migrated PostgreSQL database of its own for this test; dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    # FILE_COPY (PostgreSQL 15+) copies a small template faster than logging it page by page.
    strategy = " STRATEGY FILE_COPY" if postgres_cluster.is_15_or_later(postgres_server) else ""
    _run_aside(_admin(postgres_server, f"CREATE DATABASE {name} TEMPLATE {postgres_template}{strategy}"))
    yield postgres_cluster.database_url(postgres_server, name)
    _run_aside(_admin(postgres_server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture
def other_database(engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str | Path]:
    """A second fresh database on `database`'s engine (to compare two ways of writing the same rows)."""
    if engine != "postgresql":
        yield tmp_path / "other" / "storybot.db"
        return
    server, template = request.getfixturevalue("postgres_server"), request.getfixturevalue("postgres_template")
    name = f"t_{uuid.uuid4().hex[:16]}"
    _run_aside(_admin(server, f"CREATE DATABASE {name} TEMPLATE {template}"))
    yield postgres_cluster.database_url(server, name)
    _run_aside(_admin(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    """"sqlite" or "postgresql": the store fixtures (and tests asking for this) run on both."""
    return request.param


@pytest.fixture
def database(engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> str | Path:
    """A fresh database target for Store.open: a SQLite path, or a PostgreSQL URL."""
    if engine == "postgresql":
        return request.getfixturevalue("postgres_url")
    return tmp_path / "data" / "storybot.db"


@pytest.fixture
async def store(database: str | Path) -> AsyncIterator[Store]:
    """A fresh, migrated database opened as the command line opens it (10 s busy timeout), on
    each engine."""
    async with Store.open(database) as opened:
        yield opened


@pytest.fixture
async def bot_store(database: str | Path) -> AsyncIterator[Store]:
    """A fresh, migrated database opened as the running bot opens it (short busy timeout), on
    each engine."""
    async with Store.open(database, busy_timeout_ms=INTERACTIVE_BUSY_TIMEOUT_MS) as opened:
        yield opened


@pytest.fixture
def make_storybot(local_discord: LocalDiscord, request: pytest.FixtureRequest):
    def make(*, server: LocalDiscord | None = None, database: Path | None = None, **options: Any):
        # Seeds are loaded only when a test lets the fixture pick the database.
        database = database or request.getfixturevalue("fresh_database")()
        return running_storybot(server or local_discord, database, **options)

    return make


@pytest.fixture
async def storybot(make_storybot) -> AsyncIterator[BotHarness]:
    async with make_storybot() as harness:
        yield harness
