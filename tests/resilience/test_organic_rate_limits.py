"""Trivia and reading threads against the local Discord's real rate limits, tightened: discord.py
learns the buckets from the headers, hits 429s where Discord would send them (the global limit it
cannot see coming), retries on its own, and every message is still posted exactly once.

No fault is injected here: every 429 comes from the server's buckets.
"""
from __future__ import annotations

import asyncio
from collections import Counter

from bot.store import trivia as repo
from tests.reading.test_reading_discord import NARUTO, open_thread, page_of
from tests.resilience.helpers import click_next, pages_in, settled
from tests.trivia.test_trivia_e2e import (
    cog_game_id,
    ephemeral_text,
    option_ids,
    question_message,
    revealed,
    start,
    title,
    trivia_cog,
)

SEND = "POST /channels/{channel_id}/messages"
EDIT = "PATCH /channels/{channel_id}/messages/{message_id}"


def tighten(server, *, global_limit: int, per: float) -> None:
    """Buckets small enough that the bot outruns them (Discord: 5 per 5 s per channel, 50 requests
    a second in all)."""
    server.rate_limits.set(SEND, limit=2, per=1.0)
    server.rate_limits.set(EDIT, limit=2, per=1.0)
    server.rate_limits.set_global(limit=global_limit, per=per)


def refused(server) -> Counter:
    return Counter(scope for _, scope in server.rate_limits.refused)


async def test_two_trivia_games_under_organic_429s_post_each_message_once(storybot) -> None:
    server = storybot.server
    cog = trivia_cog(storybot, answer=2.5)
    alice, bob = storybot.member, storybot.admin
    channels = [storybot.channel, storybot.second_channel]
    # One request per 0.3 s: each game's question follows its announcement (and its reveal, after a
    # 0.1 s pause) at once, so every game runs into the global limit, the two games all the more.
    tighten(server, global_limit=1, per=0.3)
    await asyncio.gather(*(start(storybot, 3, user=alice, channel=c) for c in channels))

    async def play(channel) -> int:
        for number in (1, 2, 3):
            message = await question_message(storybot, number, 3, channel)
            current = cog.games[channel.id].session.current
            right = current.question.answer
            ids = option_ids(message)
            clicks = await asyncio.gather(
                storybot.click(message, ids[right], user=alice),
                storybot.click(message, ids[(right + 1) % len(ids)], user=bob),
            )
            assert all(["Locked in" in await ephemeral_text(c) for c in clicks])
            await revealed(storybot, message)
        final = await server.wait_for_message(
            lambda m: title(m).startswith("Trivia over"), timeout=15, channel=channel
        )
        assert "3 of 3" in title(final)
        return cog_game_id(message)

    game_ids = await asyncio.gather(*(play(c) for c in channels))
    await asyncio.sleep(0.5)  # anything posted twice would be here by now
    assert refused(server)["global"] > 0, server.rate_limits.refused
    for channel in channels:
        posted = server.messages_in(channel)
        titles = [title(m) for m in posted if m.embeds]
        assert [t.split(" · ")[0] for t in titles[:3]] == [f"Question {n}/3" for n in (1, 2, 3)]
        assert all(t.endswith("time is up") for t in titles[:3])
        assert len(titles) == 4 and titles[3].startswith("Trivia over")
        announcements = [m for m in posted if "started a trivia game" in m.content]
        assert len(announcements) == 1 and len(posted) == 5
    for game_id in game_ids:
        scores = {r.user_id: r for r in await repo.game_scores(storybot.store, game_id)}
        assert (scores[alice.id].correct, scores[alice.id].answered) == (3, 3)
        assert (scores[bob.id].correct, scores[bob.id].answered) == (0, 3)


async def test_page_turns_in_three_threads_under_organic_429s_post_each_page_once(storybot) -> None:
    server = storybot.server
    readers = [storybot.member, storybot.admin, storybot.moderator]
    opened = []
    for reader in readers:
        thread, first, _ = await open_thread(storybot, NARUTO, user=reader)
        await settled(storybot, thread, first)
        opened.append((thread, first))
    tighten(server, global_limit=2, per=0.5)

    async def read_on(thread, page, turns: int):
        for _ in range(turns):
            page = await click_next(storybot, thread, page, timeout=30)
        return page

    heads = await asyncio.gather(*(read_on(thread, first, 5) for thread, first in opened))
    await asyncio.sleep(0.5)  # a page posted twice would be here by now
    assert refused(server)["global"] > 0, server.rate_limits.refused
    for (thread, _), head in zip(opened, heads, strict=True):
        assert page_of(head)[0] == 6
        assert pages_in(storybot, thread) == [1, 2, 3, 4, 5, 6]
        # The newest page alone keeps its buttons.
        assert [m for m in server.messages_in(thread) if m.custom_ids()] == [head]
