"""A page turn in a reader thread is acknowledged at once even when its turn has to wait: behind the
thread's previous page still being posted (Discord's 5 messages per 5 s per channel, which discord.py
waits out before a post returns) or behind another process's database write."""
from __future__ import annotations

import time

from cogs.read import TURN_ACK_SECONDS
from tests.locks import WriteLockHolder
from tests.reading.test_reading_discord import NARUTO, button, head_is, open_thread, page_of

BOUND = 0.5  # seconds from the click to its first answer
assert TURN_ACK_SECONDS < BOUND


async def click_timed(storybot, message):
    began = time.perf_counter()
    handle = await storybot.click(message, button(message, "n"))
    await handle.response(timeout=10)
    return handle, time.perf_counter() - began


async def next_page(storybot, thread, after):
    return await storybot.server.wait_for_message(
        lambda m: "-# Page" in m.content and m.id > after.id, channel=thread, timeout=15
    )


async def test_clicks_faster_than_the_threads_message_budget_are_answered_at_once(storybot):
    # Each page is clicked as soon as it shows: the sixth message in 5 s is past the thread's budget,
    # and the post before it returns only once the budget refills.
    thread, page, _ = await open_thread(storybot, NARUTO)
    waits = []
    for _ in range(7):
        _, took = await click_timed(storybot, page)
        waits.append(round(took, 3))
        page = await next_page(storybot, thread, page)
    assert max(waits) < BOUND, waits
    assert page_of(page)[0] == 8
    assert storybot.server.take_violations() == []
    await head_is(storybot, thread.id, int(page.id))


async def test_a_turn_behind_another_process_write_is_answered_at_once(storybot):
    thread, first, _ = await open_thread(storybot, NARUTO)
    await head_is(storybot, thread.id, int(first.id))
    # Held for less than the bot's busy timeout (1.5 s), so the turn then goes through.
    holder = WriteLockHolder(storybot.store.path, seconds=1.2)
    try:
        handle, took = await click_timed(storybot, first)
        assert took < BOUND, took
    finally:
        holder.join()
    second = await next_page(storybot, thread, first)
    assert page_of(second)[0] == 2
    assert storybot.server.messages[first.id].custom_ids() == []  # the buttons moved on
    assert handle.callbacks[0].type == 6  # deferred, then the message edited
    await head_is(storybot, thread.id, int(second.id))


async def test_a_jump_behind_another_process_write_is_answered_at_once(storybot):
    # A modal's answer is not a component's (the runtime's PatientResponse): deferred, then the
    # page it came from edited through the interaction.
    thread, first, _ = await open_thread(storybot, NARUTO)
    await head_is(storybot, thread.id, int(first.id))
    total = page_of(first)[1]
    opened = await storybot.click(first, button(first, "j"))
    await opened.modal()
    holder = WriteLockHolder(storybot.store.path, seconds=1.2)
    try:
        began = time.perf_counter()
        submitted = await storybot.submit_modal(opened, {"page": str(total)})
        await submitted.response(timeout=10)
        assert time.perf_counter() - began < BOUND
    finally:
        holder.join()
    jumped = await storybot.server.wait_for_message(
        lambda m: m.content.endswith(f"Page {total}/{total}"), channel=thread, timeout=10)
    assert submitted.callbacks[0].type == 6
    await head_is(storybot, thread.id, int(jumped.id))
    assert storybot.server.messages[first.id].custom_ids() == []
