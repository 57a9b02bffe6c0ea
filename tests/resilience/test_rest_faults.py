"""REST 500/502 and 429 bursts while pages go out in a reading thread: retried, never lost or doubled.

discord.py retries a 500/502 after 1 s, then 3 s, ...; a 429 after its retry_after. Bursts here stay
short enough that a retry succeeds, which is what Discord's hiccups look like.
"""
from __future__ import annotations

import asyncio

import pytest

from tests.reading.test_reading_discord import NARUTO, button, page_of
from tests.resilience.helpers import click_next, open_reading, pages_in, settled

SEND = "POST /channels/{channel_id}/messages"
EDIT_ORIGINAL = "POST /interactions/{interaction_id}/{token}/callback"

BURSTS = {
    "500 once": [(SEND, 500, 1)],
    "502 once": [(SEND, 502, 1)],
    "500 then 502": [(SEND, 500, 1), (SEND, 502, 1)],
    "429 burst": [(SEND, 429, 4)],
    "429 on the click's answer": [(EDIT_ORIGINAL, 429, 2)],
}


def inject(server, burst) -> None:
    for route, status, count in burst:
        server.fail_next(route, status=status, count=count, retry_after=0.15)


@pytest.mark.parametrize("burst", list(BURSTS.values()), ids=list(BURSTS))
async def test_page_sends_survive_server_errors_and_rate_limits(storybot, burst):
    thread, page = await open_reading(storybot, NARUTO)
    total = page_of(page)[1]
    while page_of(page)[0] < min(total, 3):
        inject(storybot.server, burst)
        page = await click_next(storybot, thread, page)
    await asyncio.sleep(0.3)  # anything doubled would be posted by now
    assert pages_in(storybot, thread) == list(range(1, page_of(page)[0] + 1))
    failed = [r for r in storybot.server.requests if r.status >= 429]
    assert failed, "no fault was injected"
    # The thread's head is the newest page and it alone carries buttons.
    with_buttons = [m for m in storybot.server.messages_in(thread) if m.custom_ids()]
    assert with_buttons == [page]


async def test_the_opening_page_survives_a_429_burst_on_thread_creation(storybot):
    storybot.server.fail_next("POST /channels/{channel_id}/threads", status=429, count=3, retry_after=0.15)
    storybot.server.fail_next(SEND, status=500, count=1)
    thread, first = await open_reading(storybot, NARUTO)
    assert page_of(first)[0] == 1
    assert len(storybot.server.threads(storybot.channel)) == 1
    assert pages_in(storybot, thread) == [1]


async def test_a_double_click_during_a_rate_limit_posts_one_page(storybot):
    thread, first = await open_reading(storybot, NARUTO)
    storybot.server.fail_next(SEND, status=429, count=3, retry_after=0.3)
    clicks = await asyncio.gather(*(storybot.click(first, button(first, "n")) for _ in range(2)))
    for handle in clicks:
        await handle.response(timeout=15)
    await storybot.server.wait_until(lambda: len(pages_in(storybot, thread)) >= 2, 20, "page 2")
    await settled(storybot, thread, [m for m in storybot.server.messages_in(thread) if "-# Page" in m.content][-1])
    await asyncio.sleep(0.3)  # a second page would be on its way by now
    assert pages_in(storybot, thread) == [1, 2]
