"""Uploads are stored in short transactions: staged invisibly, shown in one small transaction, and
discarded when anything goes wrong, so no server ever sees part of a story and other writers wait for
one short transaction at most, not for the whole story."""
from __future__ import annotations

import asyncio
import hashlib

import pytest

from bot.errors import NothingMatches
from bot.parsing import parse_story
from bot.store import Store, loader
from bot.store.audience import Audience
from bot.store.library import LibraryConflict, add_story, library_page
from bot.store.loader import StagedStoryLost, discard_staged, publish_staged, stage_story
from bot.store.quotes import QuoteFilters, pick_excerpt, pick_quote
from bot.store.search import save_search, search_page
from bot.store.stories import autocomplete_titles, find_by_content
from tests.library.test_upload_worker import story_bytes
from tests.resilience.test_ingest_signals import check_consistent

GUILD, ADMIN = 111, 42
SMALL_CHUNKS = 20_000  # characters of paragraph text per transaction: many transactions in a test


@pytest.fixture(scope="module")
def saga() -> tuple[bytes, str]:
    data = story_bytes(0.3)
    return data, hashlib.sha256(data).hexdigest()


async def count(store: Store, table: str) -> int:
    return (await store.db.execute_fetchall(f"SELECT count(*) FROM {table}"))[0][0]


async def staged(store: Store, data: bytes, **kwargs) -> int:
    return await stage_story(store, parse_story(data), guild_id=GUILD, title="The Saga", added_by=ADMIN,
                             token="t1", chunk_chars=SMALL_CHUNKS, pause=0, **kwargs)


async def seen_in_guild(store: Store, content_hash: str) -> list[str]:
    """Everywhere a server could meet the story; the names of the places that show it."""
    audience = Audience(GUILD, adult=True)
    places = []
    if (await library_page(store, GUILD, 0)).total:
        places.append("library")
    if await find_by_content(store, GUILD, content_hash):
        places.append("duplicate check")
    if await autocomplete_titles(store, GUILD, "saga"):
        places.append("autocomplete")
    if (await search_page(store, await save_search(store, ADMIN, audience, "Naruto"))).total:
        places.append("search")
    try:
        await pick_quote(store, audience, QuoteFilters())
        places.append("quote")
    except NothingMatches:
        pass
    try:
        await pick_excerpt(store, audience)
        places.append("excerpt")
    except NothingMatches:
        pass
    return places


async def test_a_staged_story_is_invisible_until_published(store, saga):
    data, digest = saga
    story_id = await staged(store, data)
    assert await seen_in_guild(store, digest) == []
    async with store.atomic():
        await publish_staged(store, story_id, GUILD, digest)
    assert await seen_in_guild(store, digest) == [
        "library", "duplicate check", "autocomplete", "search", "quote", "excerpt",
    ]
    assert check_consistent(store.path) == ["The Saga"]


async def test_a_staging_cut_short_leaves_only_invisible_rows_that_start_up_discards(store, saga, monkeypatch):
    data, digest = saga
    written = loader._insert_text
    calls = 0

    class Killed(BaseException):
        """Like the process dying: no clean-up code runs."""

    async def dies_on_the_third(*args, **kwargs):
        nonlocal calls
        calls += 1
        if calls == 3:
            raise Killed
        await written(*args, **kwargs)

    monkeypatch.setattr(loader, "_insert_text", dies_on_the_third)
    with pytest.raises(Killed):
        await staged(store, data)
    assert await count(store, "paragraphs") > 0
    assert await seen_in_guild(store, digest) == []
    assert check_consistent(store.path, visible_only=True) == []

    assert await discard_staged(store) == 1
    assert check_consistent(store.path) == []
    for table in ("stories", "paragraphs", "quotes", "characters", "aliases", "chapters", "scenes", "notes"):
        assert await count(store, table) == 0, table


async def test_a_staging_that_fails_discards_its_own_rows(store, saga, monkeypatch):
    data, _ = saga
    written = loader._insert_text
    calls = 0

    async def fails_on_the_third(*args, **kwargs):
        nonlocal calls
        calls += 1
        if calls == 3:
            raise OSError("disk full")
        await written(*args, **kwargs)

    monkeypatch.setattr(loader, "_insert_text", fails_on_the_third)
    with pytest.raises(OSError, match="disk full"):
        await staged(store, data)
    assert await count(store, "stories") == 0
    assert check_consistent(store.path) == []


async def test_discarding_by_token_leaves_other_stagings_alone(store, saga):
    data, digest = saga
    mine = await staged(store, data)
    theirs = await stage_story(store, parse_story(data), guild_id=GUILD, title="Other", token="t2",
                               chunk_chars=SMALL_CHUNKS, pause=0)
    assert await discard_staged(store, tokens=["t2"]) == 1
    with pytest.raises(StagedStoryLost):
        await publish_staged(store, theirs, GUILD, digest)
    await publish_staged(store, mine, GUILD, digest)
    assert check_consistent(store.path) == ["The Saga"]


async def test_two_uploads_of_one_text_racing_store_it_once(store, saga):
    data, digest = saga
    async with Store.open(store.path) as other:
        results = await asyncio.gather(
            *(add_story(s, parse_story(data), guild_id=GUILD, added_by=ADMIN, title=title, content_hash=digest)
              for s, title in ((store, "First"), (other, "Second"))),
            return_exceptions=True,
        )
    clashes = [r for r in results if isinstance(r, LibraryConflict)]
    assert len(clashes) == 1, results
    # The loser's staged rows are gone with it.
    assert len(check_consistent(store.path)) == 1


async def test_another_writer_gets_the_lock_between_staging_transactions(store, saga):
    data, _ = saga
    async with Store.open(store.path, busy_timeout_ms=5_000) as other:
        staging = asyncio.ensure_future(stage_story(
            store, parse_story(data), guild_id=GUILD, title="The Saga", token="t1", chunk_chars=SMALL_CHUNKS,
        ))
        writes_during = 0
        while not staging.done():
            async with other.atomic():
                await other.db.execute("INSERT INTO meta (key, value) VALUES ('w', ?)"
                                       " ON CONFLICT (key) DO UPDATE SET value = excluded.value", (str(writes_during),))
            if not staging.done() and await count(other, "paragraphs") > 0:
                writes_during += 1
            await asyncio.sleep(0.005)
        await staging
    # One transaction for the whole story would let no other write in once its rows began.
    assert writes_during >= 3


async def test_stats_counts_a_staged_upload_apart_from_the_stories(store, saga):
    from bot.cli import describe_database

    await staged(store, saga[0])
    text = await describe_database(store)
    assert "stories:    0 (0 bundled" in text
    assert "staged:     1 upload(s)" in text


async def test_discarding_for_some_servers_leaves_the_other_servers_stagings(store, saga):
    data, _ = saga
    await staged(store, data)
    await stage_story(store, parse_story(data), guild_id=GUILD + 1, title="Elsewhere", token="t3",
                      chunk_chars=SMALL_CHUNKS, pause=0)
    assert await discard_staged(store, guilds=lambda guild_id: guild_id == GUILD + 1) == 1
    (left,) = await store.db.execute_fetchall("SELECT -guild_id FROM stories WHERE guild_id < 0")
    assert left[0] == GUILD
