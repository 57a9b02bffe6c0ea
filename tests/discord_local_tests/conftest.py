"""Fixtures for the local Discord's own tests: a server, and a way to run a throwaway bot on it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

import discord
import pytest

from tests.discord_local import LocalDiscord, World


class _ErrorRecords(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def discord_errors() -> _ErrorRecords:
    """ERROR records from discord.py; a test that provokes one on purpose clears them."""
    return _ErrorRecords()


@pytest.fixture
def world() -> World:
    """The world ``server`` holds; a test module overrides it for another (e.g. sharded) one."""
    return World()


@pytest.fixture
async def server(discord_errors: _ErrorRecords, world: World) -> AsyncIterator[LocalDiscord]:
    logging.getLogger("discord").addHandler(discord_errors)
    try:
        async with LocalDiscord(world=world) as srv:
            with srv.patch_discord():
                yield srv
    finally:
        logging.getLogger("discord").removeHandler(discord_errors)
    assert not discord_errors.records, [r.getMessage() for r in discord_errors.records]
    srv.assert_clean()


@pytest.fixture
async def run_bot(
    server: LocalDiscord,
) -> AsyncIterator[Callable[[discord.Client], asyncio.Future]]:
    """Start a client against the server and wait until discord.py says it is ready."""
    started: list[tuple[discord.Client, asyncio.Task]] = []

    async def start(client: discord.Client, *, ready: bool = True) -> discord.Client:
        task = asyncio.create_task(client.start(server.token))
        started.append((client, task))
        if ready:
            waiter = asyncio.create_task(client.wait_until_ready())
            done, _ = await asyncio.wait(
                {task, waiter}, timeout=10, return_when=asyncio.FIRST_COMPLETED
            )
            if task in done:
                waiter.cancel()
                task.result()
                raise AssertionError("client.start() ended before the client was ready")
            assert waiter in done, "client not ready within 10s"
        return client

    yield start
    for client, task in started:
        await client.close()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 5)
