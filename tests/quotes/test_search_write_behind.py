"""/search saved behind the reply: the bot makes the id, the buttons work before the row is written
(even while another process holds the write lock), and the row ends up stored."""
from __future__ import annotations

import asyncio
import time

import pytest

from bot.errors import InvalidInput
from bot.store import Store
from bot.store.audience import Audience
from bot.store.search import get_search, new_search, save_search, search_page
from tests.locks import hold_write_lock
from tests.quotes.helpers import add, prose_story

GUILD = 5


@pytest.fixture
def store(bot_store: Store) -> Store:
    """Opened as the running bot opens it: the short busy timeout is what these tests exercise."""
    return bot_store


async def stored_ids(store: Store) -> list[int]:
    return [row[0] for row in await store.db.execute_fetchall("SELECT id FROM searches ORDER BY id")]


async def test_a_new_search_answers_and_pages_while_another_process_holds_the_lock(store, tmp_path):
    await add(store, prose_story("z", ((*(f"Line {i} has a zebra." for i in range(8)),),)), guild_id=GUILD)
    other = hold_write_lock(store.path)
    try:
        started = time.perf_counter()
        search = new_search(store, 7, Audience(GUILD), "  Zebra ")
        await asyncio.sleep(0.05)
        assert search.text == "Zebra" and search.id >= 2**61
        # The Next button before the row exists: served from memory, same search.
        assert await get_search(store, search.id) == search
        page = await search_page(store, search, 1)
        assert page.total == 8 and page.page == 1
        assert time.perf_counter() - started < 0.5
        assert await stored_ids(store) == []
    finally:
        other.release()
    await store.write_behind.flush()
    assert await stored_ids(store) == [search.id]
    assert await get_search(store, search.id) == search  # now from the table


async def test_ids_are_distinct_and_bad_text_is_refused_before_anything_is_queued(store):
    ids = {new_search(store, 1, Audience(None), "word").id for _ in range(50)}
    assert len(ids) == 50
    with pytest.raises(InvalidInput):
        new_search(store, 1, Audience(None), "   ")
    await store.write_behind.flush()
    assert sorted(await stored_ids(store)) == sorted(ids)
    older = await save_search(store, 1, Audience(None), "word")  # the old API still works beside it
    assert await get_search(store, older.id) == older


async def test_searches_survive_a_restart(tmp_path):
    path = tmp_path / "r.db"
    async with Store.open(path) as store:
        search = new_search(store, 3, Audience(GUILD, adult=True), "fox", story_id=None)
    async with Store.open(path) as store:
        assert await get_search(store, search.id) == search
