"""The database locked by another process (a sqlite3 connection holding BEGIN EXCLUSIVE).

A short lock is waited out (SQLite's busy_timeout, 1.5 s in the running bot); a lock outlasting it
gets "busy, try again" within Discord's 3 seconds and leaves nothing half-done, so the same click works
once the lock is gone. A handler slow for longer is deferred by the runtime and still posts its page.
"""
from __future__ import annotations

import asyncio

from bot.runtime import APOLOGY, BUSY, INTERACTIVE_BUSY_TIMEOUT_MS, STALE_COMPONENT
from bot.store import reading
from tests.locks import locked
from tests.reading.test_reading_discord import NARUTO, button, page_of
from tests.resilience.helpers import click_next, open_reading, pages_in, settled


async def answered(handle) -> str:
    callback = await handle.response(timeout=15)
    text = callback.data.get("content", "") if callback.data else ""
    return text or (await handle.reply(timeout=15)).text()


async def test_commands_wait_out_a_short_lock_and_nothing_is_lost(storybot):
    thread, first = await open_reading(storybot, NARUTO)
    story_id = int(button(first, "n").split(":")[3])
    # Under the bot's busy timeout, so every command waits the lock out.
    assert INTERACTIVE_BUSY_TIMEOUT_MS > 1_000
    with locked(storybot.store.path, 1.0):
        turn = await storybot.click(first, button(first, "n"))
        quote = await storybot.run("quote", {"story": NARUTO})
        search = await storybot.run("search", {"text": "Naruto"})
        choices = await storybot.autocomplete("read", "story", {"story": "naru"})
        for handle in (turn, quote, search):
            assert APOLOGY not in await answered(handle)
    assert choices
    await storybot.server.wait_until(lambda: pages_in(storybot, thread) == [1, 2], 15, "page 2")
    second = [m for m in storybot.server.messages_in(thread) if "-# Page" in m.content][-1]
    await settled(storybot, thread, second)
    mark = await reading.get_bookmark(storybot.store, storybot.member.id, story_id)
    assert mark is not None and mark.page_number == 2
    third = await click_next(storybot, thread, second)
    assert page_of(third)[0] == 3


async def test_a_lock_outlasting_the_busy_timeout_answers_busy_and_the_retry_works(storybot):
    thread, first = await open_reading(storybot, NARUTO)
    # Longer than the bot's busy timeout, and than Discord's deadline: the answers must not wait for
    # the lock's end (the local Discord fails the test on any answer later than 3 s).
    with locked(storybot.store.path, 4.0):
        turn = await storybot.click(first, button(first, "n"))
        quote = await storybot.run("quote", {"story": NARUTO})
        refused_turn, quoted = await asyncio.gather(answered(turn), answered(quote))
    assert refused_turn == BUSY
    # /quote only reads (even a new filter's cycle is written behind the reply): it never waits.
    assert BUSY not in quoted and APOLOGY not in quoted and quoted
    assert pages_in(storybot, thread) == [1]
    record = await reading.get_thread(storybot.store, thread.id)
    assert record.head_message_id == first.id, "the refused click must leave the page's buttons in charge"
    second = await click_next(storybot, thread, first)
    assert pages_in(storybot, thread) == [1, 2] and page_of(second)[0] == 2
    quote = await (await storybot.run("quote", {"story": NARUTO})).reply(timeout=10)
    assert BUSY not in quote.text() and APOLOGY not in quote.text()


async def test_a_page_turn_waiting_four_seconds_for_the_lock_still_posts_its_page(storybot):
    thread, first = await open_reading(storybot, NARUTO)
    # Any handler can be slower than the runtime's 2 s watch (several statements each waiting, a
    # slow disk); a long busy wait is the easy way to make one. The runtime must defer it, not call
    # its buttons expired, and the turn's own answer must still land.
    await storybot.store.db.execute("PRAGMA busy_timeout = 10000")
    with locked(storybot.store.path, 4.0):
        turn = await storybot.click(first, button(first, "n"))
        callback = await turn.response(timeout=15)
    assert STALE_COMPONENT not in (callback.data or {}).get("content", "")
    await storybot.server.wait_until(lambda: pages_in(storybot, thread) == [1, 2], 15, "page 2")
    second = [m for m in storybot.server.messages_in(thread) if "-# Page" in m.content][-1]
    await settled(storybot, thread, second)
    third = await click_next(storybot, thread, second)
    assert page_of(third)[0] == 3
