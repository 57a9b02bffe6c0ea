"""`/daily set|stop`: a quote of the day posted in a channel at a time of day in a time zone.

Schedules live in the database (bot/store/daily.py). A `discord.ext.tasks` loop checks them every
TICK_SECONDS, and once as soon as the bot is ready, so a post missed while the bot was down goes out
at start-up if it is still that day where the server is. Time comes from `bot.now()` (tests move it).
Posts follow /quote's no-repeat cycles and the server's spoiler limits. When the channel is gone or
the bot may not post there, the schedule stops and the next /daily in that server says why.
"""
from __future__ import annotations

import logging
from datetime import datetime

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.choices import story_autocomplete
from bot.errors import MissingPermission, NothingMatches, UserError
from bot.render import NO_MENTIONS, safe
from bot.store import daily
from bot.store.audience import Audience, resolve_story, visible_story
from bot.store.connection import Store
from bot.store.quotes import QuoteFilters, pick_quote
from bot.store.spoilers import chapter_limits
from bot.tasks import finish_or_cancel

log = logging.getLogger(__name__)

TICK_SECONDS = 30.0
STOP_GRACE_SECONDS = 5.0
TITLE = "Quote of the day"
CHANNEL_GONE = "its channel was deleted (or I can no longer see it)"
STORY_GONE = "its story was removed from the library"


def _missing_permission(permissions: discord.Permissions) -> str | None:
    """The first permission a post needs that is missing (each implies the next: without Send
    Messages discord.py reports Embed Links missing too, which would only repeat the point)."""
    needed = (("view_channel", "View Channel"), ("send_messages", "Send Messages"), ("embed_links", "Embed Links"))
    return next((name for flag, name in needed if not getattr(permissions, flag)), None)


def _require_manager(interaction: discord.Interaction) -> int:
    if interaction.guild_id is None:
        raise UserError("Use this in a server.")
    if not interaction.permissions.manage_guild:
        raise MissingPermission("Manage Server")
    return interaction.guild_id


class DailyQuotes(commands.Cog):
    """The quote of the day."""

    daily_group = app_commands.Group(name="daily", description="A quote of the day in a channel", guild_only=True)

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot
        self.ticks = 0  # completed checks (tests wait on it)
        self._posting = False

    @property
    def store(self) -> Store:
        return self.bot.store  # type: ignore[attr-defined]

    def now(self) -> datetime:
        return self.bot.now()  # type: ignore[attr-defined]

    async def cog_load(self) -> None:
        self.ticker.start()

    async def cog_unload(self) -> None:
        # A post under way finishes (its day is already claimed); a sleeping loop just ends.
        task = self.ticker.get_task()
        self.ticker.stop()
        if task is not None and not task.done():
            if not self._posting:
                task.cancel()
            await finish_or_cancel({task}, STOP_GRACE_SECONDS)

    # ------------------------------------------------------------------ the schedule

    @tasks.loop(seconds=TICK_SECONDS)
    async def ticker(self) -> None:
        try:
            await self.tick()
        except Exception:
            log.exception("The quote-of-the-day check failed; trying again at the next tick")
        finally:
            self.ticks += 1

    @ticker.before_loop
    async def _before_ticker(self) -> None:
        await self.bot.wait_until_ready()

    async def tick(self) -> None:
        """Post every schedule that is due now (in this process's guilds)."""
        self._posting = True
        try:
            await self._post_due(self.now())
        finally:
            self._posting = False

    async def _post_due(self, now: datetime) -> None:
        for schedule in await daily.running_schedules(self.store):
            day = schedule.due(now)
            if day is None or self.bot.get_guild(schedule.guild_id) is None:
                continue  # not yet, or a guild another shard (or nobody) serves
            try:
                await self.post(schedule, day)
            except Exception:
                log.exception("Quote of the day for guild %s failed", schedule.guild_id)

    async def post(self, schedule: daily.DailySchedule, day: str) -> None:
        guild = self.bot.get_guild(schedule.guild_id)
        assert guild is not None
        channel = guild.get_channel(schedule.channel_id)
        if not isinstance(channel, discord.TextChannel):
            await daily.stop_schedule(self.store, guild.id, CHANNEL_GONE)
            return
        if missing := _missing_permission(channel.permissions_for(guild.me)):
            await daily.stop_schedule(self.store, guild.id, f"I lost the {missing} permission in {channel.mention}")
            return
        audience = Audience(guild.id, adult=channel.is_nsfw(), limits=await chapter_limits(self.store, guild.id, None))
        if schedule.story_id is not None and await visible_story(self.store, audience, schedule.story_id) is None:
            await daily.stop_schedule(self.store, guild.id, STORY_GONE)
            return
        if not await daily.claim_day(self.store, guild.id, day):
            return  # posted already (another process, or a tick racing this one)
        try:
            card = await pick_quote(self.store, audience, QuoteFilters(schedule.story_id))
        except NothingMatches as nothing:
            log.info("No quote of the day for guild %s on %s: %s", guild.id, day, nothing)
            return
        # Imported here: load_extension re-executes cogs.quotes, whose module owns the buttons.
        from cogs.quotes import quote_buttons, quote_embed

        embed = quote_embed(card)
        embed.title = TITLE
        try:
            await channel.send(embed=embed, view=quote_buttons(card), allowed_mentions=NO_MENTIONS)
        except discord.NotFound:
            await daily.stop_schedule(self.store, guild.id, CHANNEL_GONE)
        except discord.Forbidden:
            await daily.stop_schedule(self.store, guild.id, f"I may not post in {channel.mention} any more")
        except discord.HTTPException:
            await daily.release_day(self.store, guild.id, day, schedule.last_posted)
            raise

    # ------------------------------------------------------------------ commands

    async def _stopped_note(self, guild_id: int) -> str:
        """Why the bot stopped this server's schedule, once (the stopped schedule is then forgotten)."""
        schedule = await daily.get_schedule(self.store, guild_id)
        if schedule is None or schedule.stopped_reason is None:
            return ""
        await daily.delete_schedule(self.store, guild_id)
        return f"The quote of the day had stopped: {schedule.stopped_reason}.\n"

    @daily_group.command(name="set", description="Post a quote of the day in a channel at a time of day")
    @app_commands.describe(
        channel="Where to post it", time="When, as HH:MM (24-hour)",
        timezone="Time zone (IANA name, e.g. Europe/Paris; default UTC)", story="Only from this story",
    )
    @app_commands.autocomplete(story=story_autocomplete)
    async def set_daily(
        self, interaction: discord.Interaction, channel: discord.TextChannel, time: str,
        timezone: str = "UTC", story: str | None = None,
    ) -> None:
        guild_id = _require_manager(interaction)
        minute = daily.parse_time(time)
        zone = daily.parse_zone(timezone)
        target = interaction.guild.get_channel(channel.id) if interaction.guild else None
        if not isinstance(target, discord.TextChannel):
            raise UserError("I can't see that channel; pick a text channel of this server.")
        if missing := _missing_permission(target.permissions_for(target.guild.me)):
            raise UserError(f"I can't post in {target.mention}: I need the {missing} permission there.")
        story_id = None
        if story is not None and story.strip():
            # What the channel may show: the age gate follows the channel the quote goes to.
            audience = Audience(guild_id, adult=target.is_nsfw())
            story_id = (await resolve_story(self.store, audience, story)).id
        note = await self._stopped_note(guild_id)
        schedule = await daily.set_schedule(
            self.store, guild_id=guild_id, channel_id=target.id, minute_of_day=minute, timezone=zone,
            story_id=story_id, set_by=interaction.user.id, now=self.now(),
        )
        first = "tomorrow" if schedule.last_posted is not None else "today"
        about = ""
        if story_id is not None:
            found = await visible_story(self.store, Audience(guild_id, adult=True), story_id)
            about = f" from **{safe(found.title, 200)}**" if found else ""
        await interaction.response.send_message(
            f"{note}📅 A quote of the day{about} will be posted in {target.mention} at {schedule.time_text}"
            f" ({safe(zone, 60)}), starting {first}. `/daily stop` ends it.",
            allowed_mentions=NO_MENTIONS,
        )

    @set_daily.autocomplete("timezone")
    async def timezone_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=name, value=name) for name in daily.zone_choices(current)]

    @daily_group.command(name="stop", description="Stop this server's quote of the day")
    async def stop_daily(self, interaction: discord.Interaction) -> None:
        guild_id = _require_manager(interaction)
        note = await self._stopped_note(guild_id)
        if note:
            await interaction.response.send_message(note.strip(), allowed_mentions=NO_MENTIONS)
            return
        if await daily.delete_schedule(self.store, guild_id) is None:
            raise UserError("There is no quote of the day in this server. `/daily set` starts one.")
        await interaction.response.send_message("The quote of the day is stopped.", allowed_mentions=NO_MENTIONS)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(DailyQuotes(bot))
