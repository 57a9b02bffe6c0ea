"""Gateway faults in the middle of a reading and of a trivia game: the bot comes back and carries on.

Faults: the connection dropping without a close frame (1006), op 7 RECONNECT, op 9 INVALID_SESSION
(resumable or not). Interactions sent while the bot is away are replayed by the local Discord on
resume, as Discord does; after a non-resumable invalidation they are answered once it identifies again.
"""
from __future__ import annotations

import pytest

from bot.store import trivia as trivia_repo
from tests.reading.test_reading_discord import NARUTO, page_of, turn_pages_at_machine_speed
from tests.resilience.helpers import click_next, open_reading, pages_in

FAULTS = ["close-1006", "reconnect", "invalid-resumable", "invalid-not-resumable"]


async def inject(server, fault: str) -> None:
    """Cause `fault` and return once the bot holds a live session again."""
    resumes, identifies = len(server.gateway.resumes), len(server.gateway.identifies)
    if fault == "close-1006":
        assert await server.drop_gateway() >= 1
    elif fault == "reconnect":
        assert server.send_reconnect() == 1
    else:
        assert server.invalidate_session(resumable=fault == "invalid-resumable") == 1
    if fault == "invalid-not-resumable":
        await server.wait_until(
            lambda: len(server.gateway.identifies) > identifies and server.gateway.live_sessions(), 15, "a new IDENTIFY"
        )
    else:
        await server.wait_until(lambda: len(server.gateway.resumes) > resumes, 15, "a RESUME")


@pytest.mark.parametrize("fault", FAULTS)
async def test_page_buttons_work_after_a_gateway_fault_mid_reading(storybot, fault):
    turn_pages_at_machine_speed(storybot.server)
    thread, first = await open_reading(storybot, NARUTO)
    total = page_of(first)[1]
    assert total >= 3
    second = await click_next(storybot, thread, first)
    await inject(storybot.server, fault)
    pages = [first, second]
    while page_of(pages[-1])[0] < total:
        pages.append(await click_next(storybot, thread, pages[-1]))
    # The story's last page is followed by a closing line; the reading is over once it is there.
    await storybot.server.wait_for_message(lambda m: m.content.startswith("*The end of"), channel=thread, timeout=15)
    numbers = pages_in(storybot, thread)
    assert numbers == list(range(1, total + 1)), numbers  # each page once, in order


async def test_a_click_sent_while_the_connection_is_down_is_answered_after_resume(storybot):
    thread, first = await open_reading(storybot, NARUTO)
    assert await storybot.server.drop_gateway() >= 1
    # Straight away, before discord.py has even noticed: the local Discord queues the event.
    second = await click_next(storybot, thread, first)
    assert page_of(second)[0] == 2
    assert len(storybot.server.gateway.resumes) == 1


def trivia_title(message) -> str:
    return message.embeds[0].get("title", "") if message.embeds else ""


# A game lasts about 12 s; the two faults that differ most run by default, the rest under slow.
TRIVIA_FAULTS = [f if f in ("close-1006", "invalid-not-resumable") else pytest.param(f, marks=pytest.mark.slow) for f in FAULTS]


@pytest.mark.parametrize("fault", TRIVIA_FAULTS)
async def test_trivia_game_survives_a_gateway_fault_with_correct_scores(storybot, fault):
    cog = storybot.bot.get_cog("Trivia")
    cog.answer_seconds, cog.pause_seconds = 4.0, 0.1
    alice, bob = storybot.member, storybot.admin
    started = await (await storybot.run("trivia start", {"questions": 3}, user=alice)).reply(timeout=10)
    assert "Game on" in started.content
    for number in (1, 2, 3):
        message = await storybot.server.wait_for_message(
            lambda m, n=number: trivia_title(m) == f"Question {n}/3", timeout=20
        )
        session = cog.games[storybot.channel.id]
        question = session.session.current.question
        ids = [c for c in message.custom_ids() if c.startswith("trivia:")]
        right, wrong = ids[question.answer], ids[(question.answer + 1) % len(ids)]
        for user, choice in ((alice, right), (bob, wrong)):
            callback = await (await storybot.click(message, choice, user=user)).response(timeout=15)
            assert "Locked in" in callback.data.get("content", ""), callback.data
        if number == 2:
            # While question 2 is still open: its reveal and question 3 go out around the fault.
            # (After a non-resumable invalidation discord.py waits 1-5 s before it identifies again.)
            await inject(storybot.server, fault)
    final = await storybot.server.wait_for_message(lambda m: trivia_title(m).startswith("Trivia over"), timeout=30)
    assert "3 of 3" in trivia_title(final)
    board = await trivia_repo.leaderboard(storybot.store, storybot.guild.id, user_id=bob.id)
    rows = {row.user_id: row for row in board.top}
    assert (rows[alice.id].correct, rows[alice.id].answered) == (3, 3)
    assert (rows[bob.id].correct, rows[bob.id].answered, rows[bob.id].points) == (0, 3, 0)
    assert storybot.channel.id not in cog.games
    # Exactly one message per question and one final board: nothing posted twice after the fault.
    titles = [trivia_title(m) for m in storybot.server.messages_in(storybot.channel) if m.embeds]
    assert sum(t.startswith("Question") for t in titles) == 3, titles
    assert sum(t.startswith("Trivia over") for t in titles) == 1
