"""/daily end to end through the local Discord, moving the bot's clock: one post a day at the
time where the server is, across restarts, and stopping (and saying why) when it cannot post."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

import bot.runtime
from bot.store import daily
from bot.store.library import remove_story
from tests.daily.helpers import Clock, daily_cog, daily_posts, fast_daily, is_daily_post, settle
from tests.discord_local.world import EVERYONE_PERMISSIONS, SEND_MESSAGES
from tests.quotes.helpers import add, dialogue_story

# 4 March 2031: Paris is at UTC+1 (summer time starts 30 March).
MORNING = datetime(2031, 3, 4, 7, 0, tzinfo=UTC)


async def _text(handle) -> str:
    return (await handle.response()).data.get("content", "")


async def _set(harness, *, user=None, **options) -> str:
    options.setdefault("channel", harness.second_channel)
    return await _text(await harness.run("daily set", options, user=user or harness.moderator))


def _posts(harness, channel=None) -> list:
    return [m for m in harness.server.messages_in(channel or harness.second_channel) if is_daily_post(m)]


async def test_one_post_a_day_at_the_local_time(storybot) -> None:
    await add(storybot.store, dialogue_story("dawn", lines=3), title="Dawn Tale", guild_id=storybot.guild.id)
    clock = Clock(MORNING)
    storybot.bot.now = clock
    reply = await _set(storybot, time="09:30", timezone="europe/paris", story="Dawn Tale")
    assert reply == (f"📅 A quote of the day from **Dawn Tale** will be posted in {storybot.second_channel.mention}"
                     " at 09:30 (Europe/Paris), starting today. `/daily stop` ends it.")
    fast_daily(storybot)
    clock.at = MORNING + timedelta(hours=1, minutes=29)  # 08:29 UTC = 09:29 in Paris
    await settle(storybot)
    assert _posts(storybot) == []
    clock.at = MORNING + timedelta(hours=1, minutes=30)
    (post,) = await daily_posts(storybot, storybot.second_channel, 1)
    assert post.allowed_mentions == {"parse": []} and post.pings == {}
    assert "dawn line number" in post.embeds[0]["description"]
    assert post.embeds[0]["footer"]["text"].startswith("Dawn Tale")
    clock.at += timedelta(hours=14)  # still 4 March in Paris (23:00)
    await settle(storybot)
    assert len(_posts(storybot)) == 1
    # The next two days: one post each, and the story's three lines before any repeats (as /quote).
    for day in (1, 2):
        clock.at = MORNING + timedelta(days=day, hours=1, minutes=45)
        await daily_posts(storybot, storybot.second_channel, 1 + day)
        await settle(storybot)
    lines = [m.embeds[0]["description"] for m in _posts(storybot)]
    assert len(lines) == 3 and len(set(lines)) == 3


async def test_a_time_already_past_today_starts_tomorrow(storybot) -> None:
    clock = Clock(MORNING + timedelta(hours=3))  # 10:00 UTC
    storybot.bot.now = clock
    assert "at 09:00 (UTC), starting tomorrow" in await _set(storybot, time="09:00")
    fast_daily(storybot)
    await settle(storybot)
    assert _posts(storybot) == []
    clock.at += timedelta(hours=23)
    await daily_posts(storybot, storybot.second_channel, 1)


async def test_changing_the_time_never_posts_a_day_twice(storybot) -> None:
    clock = Clock(MORNING)
    storybot.bot.now = clock
    await _set(storybot, time="07:30")
    fast_daily(storybot)
    clock.at = MORNING + timedelta(minutes=31)
    await daily_posts(storybot, storybot.second_channel, 1)
    assert "starting tomorrow" in await _set(storybot, time="08:00")
    clock.at = MORNING + timedelta(hours=2)
    await settle(storybot)
    assert len(_posts(storybot)) == 1


async def test_bad_input_gets_one_clear_line(storybot) -> None:
    assert await _set(storybot, time="25:00") == "“25:00” is not a time of day: use HH:MM, from 00:00 to 23:59."
    assert await _set(storybot, time="9am") == "“9am” is not a time of day: use HH:MM, from 00:00 to 23:59."
    assert await _set(storybot, time="09:00", timezone="Mars/Olympus") == (
        "“Mars/Olympus” is not a time zone I know: pick an IANA name from the suggestions, like Europe/Paris."
    )
    assert await _set(storybot, time="09:00", story="No Such Tale") == (
        "No story called “No Such Tale” in this server's library. Try `/story list`."
    )
    assert await _set(storybot, time="09:00", user=storybot.member) == "You need the Manage Server permission to do that."
    assert await _text(await storybot.run("daily stop")) == "You need the Manage Server permission to do that."
    assert await _text(await storybot.run("daily stop", user=storybot.moderator)) == (
        "There is no quote of the day in this server. `/daily set` starts one."
    )
    assert await daily.get_schedule(storybot.store, storybot.guild.id) is None


async def test_a_channel_the_bot_cannot_post_in_is_refused(storybot) -> None:
    guild = storybot.world.guild
    bot_role = next(r for r in guild.roles.values() if r.name == "StoryBot")
    storybot.server.admin_set_role_permissions(guild, guild.everyone, EVERYONE_PERMISSIONS & ~SEND_MESSAGES)
    storybot.server.admin_set_role_permissions(guild, bot_role, bot_role.permissions & ~SEND_MESSAGES)
    await storybot.server.wait_until(
        lambda: not storybot.bot.get_guild(guild.id).me.guild_permissions.send_messages, 5, "the role update"
    )
    assert await _set(storybot, time="09:00") == (
        f"I can't post in {storybot.second_channel.mention}: I need the Send Messages permission there."
    )
    assert await daily.get_schedule(storybot.store, guild.id) is None


async def test_timezone_autocomplete(storybot) -> None:
    def names(typed: str) -> list[str]:
        return [c["value"] for c in choices[typed]]

    choices = {}
    for typed in ("", "paris", "america/new"):
        choices[typed] = await storybot.autocomplete(
            "daily set", "timezone", {"channel": storybot.second_channel, "time": "09:00", "timezone": typed},
            user=storybot.moderator,
        )
    assert names("")[0] == "UTC" and len(names("")) == 25
    assert names("paris") == ["Europe/Paris"]
    assert names("america/new")[0] == "America/New_York"


async def test_stop_ends_the_posts(storybot) -> None:
    clock = Clock(MORNING)
    storybot.bot.now = clock
    await _set(storybot, time="07:30")
    assert await _text(await storybot.run("daily stop", user=storybot.moderator)) == "The quote of the day is stopped."
    fast_daily(storybot)
    clock.at = MORNING + timedelta(hours=2)
    await settle(storybot)
    assert _posts(storybot) == []


async def test_a_deleted_channel_stops_it_and_the_next_daily_says_why(storybot) -> None:
    clock = Clock(MORNING)
    storybot.bot.now = clock
    await _set(storybot, time="07:30")
    storybot.server.admin_delete_channel(storybot.second_channel)
    await storybot.server.wait_until(
        lambda: storybot.bot.get_channel(storybot.second_channel.id) is None, 5, "the channel deletion"
    )
    fast_daily(storybot)
    clock.at = MORNING + timedelta(hours=1)
    await storybot.server.wait_until(lambda: daily_cog(storybot).ticks >= 3, 10, "schedule checks")
    schedule = await daily.get_schedule(storybot.store, storybot.guild.id)
    assert schedule is not None and schedule.stopped_reason == "its channel was deleted (or I can no longer see it)"
    said = await _text(await storybot.run("daily stop", user=storybot.moderator))
    assert said == "The quote of the day had stopped: its channel was deleted (or I can no longer see it)."
    assert await daily.get_schedule(storybot.store, storybot.guild.id) is None


async def test_lost_permission_stops_it_and_the_next_daily_says_why(storybot) -> None:
    clock = Clock(MORNING)
    storybot.bot.now = clock
    await _set(storybot, time="07:30")
    guild = storybot.world.guild
    bot_role = next(r for r in guild.roles.values() if r.name == "StoryBot")
    storybot.server.admin_set_role_permissions(guild, guild.everyone, EVERYONE_PERMISSIONS & ~SEND_MESSAGES)
    storybot.server.admin_set_role_permissions(guild, bot_role, bot_role.permissions & ~SEND_MESSAGES)
    await storybot.server.wait_until(
        lambda: not storybot.bot.get_guild(guild.id).me.guild_permissions.send_messages, 5, "the role update"
    )
    fast_daily(storybot)
    clock.at = MORNING + timedelta(hours=1)
    await settle(storybot)
    assert _posts(storybot) == []
    # The next /daily (here a new schedule elsewhere, once the permission is back) says why it stopped.
    storybot.server.admin_set_role_permissions(guild, guild.everyone, EVERYONE_PERMISSIONS)
    await storybot.server.wait_until(
        lambda: storybot.bot.get_guild(guild.id).me.guild_permissions.send_messages, 5, "the role update"
    )
    said = await _set(storybot, time="09:00", channel=storybot.channel)
    assert said.startswith(
        f"The quote of the day had stopped: I lost the Send Messages permission in {storybot.second_channel.mention}.\n📅"
    )


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The clock of every bot started in the test (set before start, so the start-up check uses it)."""
    moved = Clock(MORNING)
    monkeypatch.setattr(bot.runtime, "_utc_now", moved)
    return moved


async def test_a_post_missed_while_down_goes_out_once_at_start_up(make_storybot, fresh_database, clock) -> None:
    database = fresh_database()
    async with make_storybot(database=database) as first:
        second_channel = first.second_channel
        assert "starting today" in await _set(first, time="07:30")
        assert _posts(first) == []
    clock.at = MORNING + timedelta(hours=5)  # the bot was down at 07:30; still 4 March
    async with make_storybot(database=database) as restarted:
        await daily_posts(restarted, second_channel, 1)
    async with make_storybot(database=database) as again:
        await again.server.wait_until(lambda: daily_cog(again).ticks >= 1, 10, "the start-up check")
        fast_daily(again)
        await settle(again)
        assert len(_posts(again, second_channel)) == 1
    clock.at = MORNING + timedelta(days=1, hours=5)  # down all of 5 March's morning: that day's post, once
    async with make_storybot(database=database) as next_day:
        await daily_posts(next_day, second_channel, 2)
        fast_daily(next_day)
        await settle(next_day)
        assert len(_posts(next_day, second_channel)) == 2


async def test_a_removed_story_stops_it_and_the_next_daily_says_why(storybot) -> None:
    story_id = await add(storybot.store, dialogue_story("gone", lines=3), title="Gone Tale", guild_id=storybot.guild.id)
    clock = Clock(MORNING)
    storybot.bot.now = clock
    await _set(storybot, time="07:30", story="Gone Tale")
    assert await remove_story(storybot.store, story_id, storybot.guild.id) is not None
    fast_daily(storybot)
    clock.at = MORNING + timedelta(hours=1)
    await settle(storybot)
    assert _posts(storybot) == []
    said = await _text(await storybot.run("daily stop", user=storybot.moderator))
    assert said == "The quote of the day had stopped: its story was removed from the library."
