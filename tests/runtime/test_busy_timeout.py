"""The database busy timeout: a parameter of Store.open, 10 s for the command line, short for the bot."""
from __future__ import annotations

import pytest

from bot.config import Settings
from bot.runtime import INTERACTIVE_BUSY_TIMEOUT_MS, open_store
from bot.store import Store
from bot.store.connection import BUSY_TIMEOUT_MS

DISCORD_DEADLINE_MS = 3_000


async def busy_timeout(store: Store) -> int:
    async with store.db.execute("PRAGMA busy_timeout") as cursor:
        return (await cursor.fetchone())[0]


async def test_store_open_keeps_the_long_default_for_the_command_line(tmp_path):
    async with Store.open(tmp_path / "cli.db") as store:
        assert await busy_timeout(store) == BUSY_TIMEOUT_MS == 10_000


async def test_store_open_takes_a_busy_timeout(tmp_path):
    async with Store.open(tmp_path / "short.db", busy_timeout_ms=250) as store:
        assert await busy_timeout(store) == 250


@pytest.mark.parametrize("bad", [-1, 1.5, "1000", True])
async def test_store_open_refuses_a_busy_timeout_that_is_not_milliseconds(tmp_path, bad):
    with pytest.raises(ValueError, match="busy_timeout_ms"):
        async with Store.open(tmp_path / "bad.db", busy_timeout_ms=bad):
            pass
    assert not (tmp_path / "bad.db").exists()


async def test_the_running_bot_gives_up_on_a_lock_well_inside_discords_deadline(tmp_path):
    settings = Settings(token="t", database_path=tmp_path / "bot.db")
    async with open_store(settings) as store:
        # Waiting, rolling back and sending BUSY must all fit in the 3 seconds.
        assert await busy_timeout(store) == INTERACTIVE_BUSY_TIMEOUT_MS <= DISCORD_DEADLINE_MS // 2
