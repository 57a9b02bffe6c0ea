"""Trivia games end to end: a real StoryBot against the local Discord, with short deadlines."""
from __future__ import annotations

import asyncio
import re
import time
from datetime import datetime
from typing import Any

import discord
import pytest

from bot.store import trivia as repo
from cogs.trivia import ALREADY_ANSWERED, GAME_OVER, TOO_LATE, Trivia
from tests.discord_local import LocalDiscord, StoredMessage

ANSWER_SECONDS = 1.5
PAUSE_SECONDS = 0.1
SEND = "POST /channels/{channel_id}/messages"


def trivia_cog(harness: Any, answer: float = ANSWER_SECONDS, pause: float = PAUSE_SECONDS) -> Trivia:
    cog = harness.bot.get_cog("Trivia")
    # load_extension imports the cog module afresh, so compare by name rather than by class object.
    assert type(cog).__name__ == Trivia.__name__
    cog.answer_seconds, cog.pause_seconds = answer, pause
    return cog


def title(message: StoredMessage) -> str:
    return message.embeds[0].get("title", "") if message.embeds else ""


async def question_message(harness: Any, number: int, total: int, channel: Any = None) -> StoredMessage:
    return await harness.server.wait_for_message(
        lambda m: title(m) == f"Question {number}/{total}", timeout=10, channel=channel or harness.channel
    )


async def revealed(harness: Any, message: StoredMessage) -> StoredMessage:
    await harness.server.wait_until(lambda: "time is up" in title(message), 10, "the revealed answer")
    return message


def shown_deadline(message: StoredMessage) -> int:
    """The Unix time the question's `<t:UNIX:R>` shows."""
    return int(re.search(r"Time is up <t:(\d+):R>", message.embeds[0]["description"])[1])


def landed_at(message: StoredMessage) -> float:
    """When the local Discord stored the message: from then on players see it."""
    return datetime.fromisoformat(message.data["timestamp"]).timestamp()


def option_ids(message: StoredMessage) -> list[str]:
    return [c for c in message.custom_ids() if c.startswith("trivia:")]


async def ephemeral_text(handle: Any) -> str:
    callback = await handle.response()
    assert callback.ephemeral
    return callback.data.get("content", "")


async def start(harness: Any, questions: int, *, user: Any = None, channel: Any = None, **options: Any) -> Any:
    handle = await harness.run("trivia start", {"questions": questions, **options}, user=user, channel=channel)
    reply = await handle.reply(timeout=10)
    assert "Game on" in reply.content, reply.content
    return handle


async def test_three_question_game_with_two_players(storybot) -> None:
    cog = trivia_cog(storybot)
    alice, bob = storybot.member, storybot.admin
    await start(storybot, 3, user=alice)
    expected_alice = 0
    for number in (1, 2, 3):
        message = await question_message(storybot, number, 3)
        assert "<t:" in message.embeds[0]["description"] and ":R>" in message.embeds[0]["description"]
        current = cog.games[storybot.channel.id].session.current
        right = current.question.answer
        wrong = (right + 1) % len(current.question.options)
        ids = option_ids(message)
        assert len(ids) == len(current.question.options) <= 4
        assert "Locked in" in await ephemeral_text(await storybot.click(message, ids[right], user=alice))
        assert "Locked in" in await ephemeral_text(await storybot.click(message, ids[wrong], user=bob))
        message = await revealed(storybot, message)
        text = message.text()
        assert f"<@{alice.id}>" in text and "Top three" in text
        right_button = message.find_component(ids[right])
        assert right_button["style"] == discord.ButtonStyle.success.value and right_button["disabled"]
        if number < 3:
            # The buttons are disabled now; a click that was already on its way is too late.
            assert cog.click(cog_game_id(message), number, right, bob.id) == TOO_LATE
    final = await storybot.server.wait_for_message(lambda m: title(m).startswith("Trivia over"), timeout=10)
    assert "3 of 3" in title(final)
    # After the last question the game itself is over (the bot may finish it before the revealed
    # message is even seen here, so this is checked once the standings are out).
    assert cog.click(cog_game_id(message), 3, right, bob.id) == GAME_OVER
    assert final.text().index(f"<@{alice.id}>") < final.text().index(f"<@{bob.id}>")
    assert storybot.channel.id not in cog.games

    board = await repo.leaderboard(storybot.store, storybot.guild.id, user_id=bob.id)
    rows = {r.user_id: r for r in board.top}
    expected_alice = rows[alice.id].points
    assert 30 <= expected_alice <= 45 and rows[alice.id].correct == 3 and rows[alice.id].answered == 3
    assert (rows[bob.id].points, rows[bob.id].correct, rows[bob.id].answered) == (0, 0, 3)
    assert board.me == rows[bob.id] and board.me.rank == 2
    for m in storybot.server.messages_in(storybot.channel):
        assert m.pings == {}

    shown = await (await storybot.run("trivia leaderboard", user=bob)).reply()
    assert f"<@{alice.id}> — **{expected_alice}** points" in shown.text()
    assert "Your rank: #2 of 2" in shown.text()


async def test_simultaneous_clicks_are_each_recorded_once(storybot) -> None:
    cog = trivia_cog(storybot, answer=3.0)
    players = [storybot.member, storybot.admin, storybot.moderator]
    await start(storybot, 1)
    message = await question_message(storybot, 1, 1)
    ids = option_ids(message)
    right = cog.games[storybot.channel.id].session.current.question.answer
    handles = await asyncio.gather(
        *(storybot.click(message, ids[right], user=p) for p in players),
        storybot.click(message, ids[right], user=players[0]),  # a double click
        storybot.click(message, ids[(right + 1) % len(ids)], user=players[1]),  # a change of mind
    )
    texts = [await ephemeral_text(h) for h in handles]
    assert sum("Locked in" in t for t in texts) == 3
    assert sorted(t for t in texts if "Locked in" not in t) == [ALREADY_ANSWERED, ALREADY_ANSWERED]
    await storybot.server.wait_for_message(lambda m: title(m).startswith("Trivia over"), timeout=10)
    scores = await repo.game_scores(storybot.store, cog_game_id(message))
    assert sorted(r.user_id for r in scores) == sorted(p.id for p in players)
    assert all(r.answered == 1 and r.correct == 1 and r.points >= 10 for r in scores)


def cog_game_id(message: StoredMessage) -> int:
    return int(option_ids(message)[0].split(":")[1])


async def test_a_one_question_game_says_one_question(storybot) -> None:
    handle = await storybot.run("trivia start", {"questions": 1})
    assert (await handle.reply(timeout=10)).content == "Game on: 1 question."
    announced = await storybot.server.wait_for_message(lambda m: "started a trivia game" in m.content, timeout=10)
    assert "a trivia game: 1 question about" in announced.content, announced.content
    await (await storybot.run("trivia stop")).response()


async def test_one_game_per_channel(storybot) -> None:
    trivia_cog(storybot, answer=30.0)
    await start(storybot, 5)
    second = await storybot.run("trivia start", {"questions": 5}, user=storybot.admin)
    text = await ephemeral_text(second)
    assert "A game is already running here" in text
    await start(storybot, 5, channel=storybot.second_channel)  # another channel is free
    await question_message(storybot, 1, 5, channel=storybot.second_channel)
    for channel in (storybot.channel, storybot.second_channel):
        await (await storybot.run("trivia stop", channel=channel)).response()


async def test_stop_by_starter_or_manage_server_only(storybot) -> None:
    cog = trivia_cog(storybot, answer=30.0)
    await start(storybot, 5, user=storybot.member)
    message = await question_message(storybot, 1, 5)
    await storybot.click(message, option_ids(message)[0], user=storybot.member)

    stranger = storybot.world.add_user("stranger", guild=storybot.guild)
    refused = await ephemeral_text(await storybot.run("trivia stop", user=stranger))
    assert "Only the player who started" in refused
    assert storybot.channel.id in cog.games

    stopped = await storybot.run("trivia stop", user=storybot.moderator)
    assert "stopped the game" in (await stopped.reply()).content
    final = await storybot.server.wait_for_message(lambda m: title(m).startswith("Trivia over"), timeout=5)
    assert "1 of 5" in title(final) and "stopped" in final.text()
    assert "time is up" in title(message)  # the open question was closed and its answer shown
    game = await repo.get_game(storybot.store, cog_game_id(message))
    assert (game.state, game.questions_done) == ("stopped", 1)
    assert (await repo.game_scores(storybot.store, game.id))[0].user_id == storybot.member.id
    nothing = await ephemeral_text(await storybot.run("trivia stop"))
    assert "No trivia game is running" in nothing


async def test_two_unanswered_questions_end_the_game(storybot) -> None:
    trivia_cog(storybot, answer=0.5)
    await start(storybot, 10)
    final = await storybot.server.wait_for_message(lambda m: title(m).startswith("Trivia over"), timeout=10)
    assert "2 of 10" in title(final) and "unanswered" in final.text()


async def test_leaderboard_when_nobody_played(storybot) -> None:
    shown = await (await storybot.run("trivia leaderboard")).reply()
    assert "No trivia scores here yet" in shown.text()
    unknown = await storybot.run("trivia leaderboard", {"story": "No Such Story At All"})
    assert "No story called" in await ephemeral_text(unknown)


async def test_restart_mid_game_closes_it_and_keeps_scores(make_storybot, fresh_database) -> None:
    database = fresh_database()
    async with make_storybot(database=database) as first:
        cog = trivia_cog(first, answer=1.0, pause=60.0)
        await start(first, 5)
        message = await question_message(first, 1, 5)
        right = cog.games[first.channel.id].session.current.question.answer
        await first.click(message, option_ids(message)[right])
        await revealed(first, message)  # question 1 scored; the game now pauses
        await first.server.wait_until(lambda: cog.games[first.channel.id].session.asked == 1, 5, "score")
        # A crash: the process dies without any clean-up, so the game stays "running" in the database.
        game = cog.games.pop(first.channel.id)
        game.task.cancel()
        server = first.server
    async with make_storybot(server=server, database=database) as second:
        await server.wait_until(lambda: "interrupted" in message.content, 10, "the interrupted note")
        assert message.components == []
        stored = await repo.get_game(second.store, game.id)
        assert (stored.state, stored.questions_done) == ("interrupted", 1)
        board = await repo.leaderboard(second.store, second.guild.id)
        assert board.top[0].user_id == second.member.id and board.top[0].points >= 10
        late = await second.click(message, option_ids(message)[0]) if option_ids(message) else None
        assert late is None  # the buttons are gone
        await start(second, 1)  # the channel is free again


async def test_clean_shutdown_mid_game_marks_it_interrupted(make_storybot, fresh_database) -> None:
    database = fresh_database()
    async with make_storybot(database=database) as bot:
        cog = trivia_cog(bot, answer=30.0)
        await start(bot, 3)
        message = await question_message(bot, 1, 3)
        game_id = cog_game_id(message)
        # The bot learns the message id when its send returns, a moment after the server stored it.
        await bot.server.wait_until(
            lambda: getattr(cog.games[bot.channel.id].message, "id", None) == message.id, 5, "send to return"
        )
    assert "interrupted" in message.content and message.components == []
    async with make_storybot(server=bot.server, database=database) as again:
        assert (await repo.get_game(again.store, game_id)).state == "interrupted"


async def test_answer_window_starts_when_a_retried_question_post_lands(storybot) -> None:
    answer = 3.0
    trivia_cog(storybot, answer=answer)
    await start(storybot, 2)
    await question_message(storybot, 1, 2)
    # discord.py retries a 502 after 1 s, then after 3 s more: question 2 lands 4 s after it is asked.
    storybot.server.fail_next(SEND, status=502, count=2)
    second = await question_message(storybot, 2, 2)
    landed = landed_at(second)
    assert sum(r.status == 502 for r in storybot.server.requests) == 2
    await asyncio.sleep(max(0.0, landed + answer / 2 - time.time()))
    # Half the window after it appeared, the question is still open, and the deadline it shows
    # counts the whole window from then.
    assert title(second) == "Question 2/2", second.text()
    assert landed + answer - 1 < shown_deadline(second) <= landed + answer + 1, (landed, second.text())
    clicked = await ephemeral_text(await storybot.click(second, option_ids(second)[0]))
    assert "Locked in" in clicked, clicked
    await revealed(storybot, second)
    final = await storybot.server.wait_for_message(lambda m: title(m).startswith("Trivia over"), timeout=10)
    assert f"<@{storybot.member.id}>" in final.text()


async def test_shutdown_mid_question_scores_the_answers_locked_in(make_storybot, fresh_database) -> None:
    database = fresh_database()
    async with make_storybot(database=database) as bot:
        cog = trivia_cog(bot, answer=30.0)
        await start(bot, 3)
        message = await question_message(bot, 1, 3)
        game_id = cog_game_id(message)
        right = cog.games[bot.channel.id].session.current.question.answer
        clicked = await ephemeral_text(await bot.click(message, option_ids(message)[right], user=bot.member))
        assert "Locked in" in clicked
        await bot.bot.close()  # what SIGTERM does, 28 s before the deadline
        scores = await repo.game_scores(bot.store, game_id)
        stored = await repo.get_game(bot.store, game_id)
    assert [(r.user_id, r.correct, r.answered) for r in scores] == [(bot.member.id, 1, 1)]
    assert scores[0].points >= 10
    assert (stored.state, stored.questions_done) == ("interrupted", 1)
    # The question is closed on screen: its answer revealed, no buttons left to press, and the note
    # says what counted.
    assert message.components == []
    assert "time is up" in title(message) and "Next question" not in message.text()
    assert "interrupted after 1 of 3 questions" in message.content
    assert "answers to that question are kept" in message.content
    async with make_storybot(server=bot.server, database=database) as again:
        board = await repo.leaderboard(again.store, again.guild.id)
        assert [(r.user_id, r.correct) for r in board.top] == [(again.member.id, 1)]


async def test_a_game_still_finishing_when_the_bot_stops_ends_before_the_store_closes(make_storybot) -> None:
    async with make_storybot() as bot:
        cog = trivia_cog(bot, answer=30.0)
        await start(bot, 3)
        message = await question_message(bot, 1, 3)
        game_id = cog_game_id(message)
        # The final standings need a retry (a 502, then discord.py waits a second), so the game is
        # still finishing, and no longer listed as running, when the bot is told to stop.
        bot.server.fail_next(SEND, status=502)
        await (await bot.run("trivia stop")).response()
        await bot.server.wait_until(lambda: bot.channel.id not in cog.games, 5, "the game to start finishing")
        await bot.bot.close()
        alive = [t for t in asyncio.all_tasks() if t.get_name().startswith("trivia-") and not t.done()]
        assert alive == []
        assert (await repo.get_game(bot.store, game_id)).state == "stopped"
    final = await bot.server.wait_for_message(lambda m: title(m).startswith("Trivia over"), timeout=1)
    assert "stopped" in final.text()


@pytest.mark.parametrize("story", ["The Blood Clone"])
async def test_game_about_one_story_escapes_its_text(storybot, story: str) -> None:
    cog = trivia_cog(storybot, answer=30.0)
    await start(storybot, 2, story=story)
    message = await question_message(storybot, 1, 2)
    question = cog.games[storybot.channel.id].session.current.question
    assert question.story_title == story
    if question.kind != "which_story":
        assert story in message.text()
    await (await storybot.run("trivia stop")).response()


async def test_story_autocomplete_and_mature_stories_stay_out_of_ordinary_channels(storybot) -> None:
    choices = await storybot.autocomplete("trivia start", "story", {"story": "blood"})
    assert [c["name"] for c in choices] == ["The Blood Clone"]
    handle = await storybot.run("trivia start", {"story": choices[0]["value"], "questions": 1})
    assert "Game on" in (await handle.reply(timeout=10)).content
    await (await storybot.run("trivia stop")).response()


class PortalWithMessageContent(LocalDiscord):
    """A local Discord whose application has the Message Content intent switched on."""

    async def _get_application(self, request: Any) -> dict[str, Any]:
        data = await super()._get_application(request)
        data["flags"] = 1 << 19  # GATEWAY_MESSAGE_CONTENT_LIMITED
        return data


async def test_typed_answers_with_the_message_content_intent(make_storybot) -> None:
    async with PortalWithMessageContent() as portal, make_storybot(server=portal) as harness:
        assert harness.bot.intents.message_content
        cog = trivia_cog(harness, answer=2.0)
        await start(harness, 10, story="The Blood Clone")
        for number in range(1, 11):
            message = await question_message(harness, number, 10)
            question = cog.games[harness.channel.id].session.current.question
            if not question.accepts_typed:
                await harness.click(message, option_ids(message)[0])
                await revealed(harness, message)
                continue
            assert "type the missing word" in message.text()
            word = question.answer_text
            typed = word[1] + word[0] + word[2:] if len(word) > 4 else word.upper()  # one typo at most
            await harness.post("is it the one with the ramen?", user=harness.admin)  # chat, not an answer
            guess = await harness.post(f"{typed}!", user=harness.member)
            await harness.server.wait_for_request(lambda r, m=guess: str(m.id) in r.path and "reactions" in r.path)
            await revealed(harness, message)
            assert f"Got it: <@{harness.member.id}>" in message.text()
            assert f"<@{harness.admin.id}>" not in message.text()
            break
        else:
            pytest.fail("no missing-word question in ten")
        await (await harness.run("trivia stop")).response()


async def test_trivia_commands_are_server_only(storybot) -> None:
    group = storybot.bot.tree.get_command("trivia")
    assert group is not None and group.guild_only
    assert {c.name for c in group.commands} == {"start", "stop", "leaderboard"}


async def test_deleted_question_message_does_not_end_the_game(storybot) -> None:
    cog = trivia_cog(storybot, answer=1.0)
    await start(storybot, 3)
    message = await question_message(storybot, 1, 3)
    await storybot.click(message, option_ids(message)[0])
    storybot.server.delete_message(message)
    second = await question_message(storybot, 2, 3)
    assert storybot.channel.id in cog.games
    await storybot.click(second, option_ids(second)[0])
    await (await storybot.run("trivia stop")).response()
    await storybot.server.wait_for_message(lambda m: title(m).startswith("Trivia over"), timeout=5)
