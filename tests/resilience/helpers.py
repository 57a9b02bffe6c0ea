"""Reading-thread helpers shared by the fault tests: turn a page and wait until the bot is done."""
from __future__ import annotations

import asyncio

from bot.store import reading
from tests.reading.test_reading_discord import button, open_thread, page_of


def pages_in(storybot, thread) -> list[int]:
    """Page numbers posted in a reading thread, oldest first."""
    return [page_of(m)[0] for m in storybot.server.messages_in(thread) if "-# Page" in m.content]


async def settled(storybot, thread, head) -> None:
    """Wait until the bot has recorded `head` as the thread's current page: the turn is complete
    (the page message appears before the bot has finished with it)."""
    for _ in range(500):
        record = await reading.get_thread(storybot.store, thread.id)
        if record is not None and record.head_message_id == head.id:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the bot never recorded page message {head.id} as the head of its thread")


async def click_next(storybot, thread, message, *, timeout: float = 20):  # noqa: ASYNC109
    """Click Next on `message`; return the page posted after it once the turn is complete."""
    seen = len(pages_in(storybot, thread))
    handle = await storybot.click(message, button(message, "n"))
    await handle.response(timeout=timeout)
    await storybot.server.wait_until(lambda: len(pages_in(storybot, thread)) > seen, timeout, "the next page")
    page = [m for m in storybot.server.messages_in(thread) if "-# Page" in m.content][-1]
    await settled(storybot, thread, page)
    return page


async def open_reading(storybot, story: str):
    """/read `story`; return (thread, first page) once the bot has recorded the page."""
    thread, first, _ = await open_thread(storybot, story)
    await settled(storybot, thread, first)
    return thread, first
