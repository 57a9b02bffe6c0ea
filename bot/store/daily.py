"""Quote-of-the-day schedules for /daily: one per server, a time of day in an IANA time zone.

A post is claimed before it is sent by recording the local date in the same UPDATE that checks
it was not yet recorded (`claim_day`), so the day is posted at most once whatever restarts or
other processes do; a post that failed for a passing reason gives the day back (`release_day`).
"""
from __future__ import annotations

import functools
import logging
import re
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.errors import InvalidInput, echo
from bot.store.connection import Store

log = logging.getLogger(__name__)

_TIME = re.compile(r"(\d{1,2}):(\d{2})", re.ASCII)


@dataclass(frozen=True, slots=True)
class DailySchedule:
    guild_id: int
    channel_id: int
    minute_of_day: int  # HH*60+MM in `timezone`
    timezone: str
    story_id: int | None
    last_posted: str | None  # local date, YYYY-MM-DD
    stopped_reason: str | None

    @property
    def time_text(self) -> str:
        return f"{self.minute_of_day // 60:02d}:{self.minute_of_day % 60:02d}"

    def local_date(self, now: datetime) -> str:
        return now.astimezone(zoneinfo.ZoneInfo(self.timezone)).date().isoformat()

    def due(self, now: datetime) -> str | None:
        """The local date to post for, when the time has come today and today was not posted."""
        local = now.astimezone(zoneinfo.ZoneInfo(self.timezone))
        if self.stopped_reason is not None or local.hour * 60 + local.minute < self.minute_of_day:
            return None
        today = local.date().isoformat()
        return None if self.last_posted is not None and self.last_posted >= today else today


_COLUMNS = "guild_id, channel_id, minute_of_day, timezone, story_id, last_posted, stopped_reason"


def parse_time(text: str) -> int:
    """`HH:MM` (24-hour) as minutes after midnight; InvalidInput otherwise (`25:00`, `noon`)."""
    match = _TIME.fullmatch(text.strip())
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise InvalidInput(f"“{echo(text)}” is not a time of day: use HH:MM, from 00:00 to 23:59.")
    return int(match[1]) * 60 + int(match[2])


@functools.cache
def zone_names() -> tuple[str, ...]:
    """Every IANA zone name known here (system data, else the tzdata package), sorted."""
    return tuple(sorted(zoneinfo.available_timezones()))


def parse_zone(text: str) -> str:
    """The IANA zone name as zoneinfo spells it (any case); InvalidInput for an unknown one."""
    wanted = text.strip().casefold()
    found = next((name for name in zone_names() if name.casefold() == wanted), None)
    if found is None:
        raise InvalidInput(
            f"“{echo(text)}” is not a time zone I know: pick an IANA name from the suggestions, like Europe/Paris."
        )
    return found


def zone_choices(typed: str, limit: int = 25) -> list[str]:
    """Zone names containing what was typed (any case), those starting with it first."""
    key = typed.strip().casefold().replace(" ", "_")
    names = zone_names()
    if not key:
        return ["UTC", *[n for n in names if n != "UTC"]][:limit]
    starts = [n for n in names if n.casefold().startswith(key) or n.casefold().split("/")[-1].startswith(key)]
    rest = [n for n in names if key in n.casefold() and n not in starts]
    return (starts + rest)[:limit]


async def get_schedule(store: Store, guild_id: int) -> DailySchedule | None:
    rows = await store.db.execute_fetchall(f"SELECT {_COLUMNS} FROM daily_schedules WHERE guild_id = ?", (guild_id,))
    return DailySchedule(*rows[0]) if rows else None


async def running_schedules(store: Store) -> list[DailySchedule]:
    rows = await store.db.execute_fetchall(
        f"SELECT {_COLUMNS} FROM daily_schedules WHERE stopped_reason IS NULL ORDER BY guild_id"
    )
    return [DailySchedule(*row) for row in rows]


async def set_schedule(
    store: Store, *, guild_id: int, channel_id: int, minute_of_day: int, timezone: str,
    story_id: int | None, set_by: int, now: datetime,
) -> DailySchedule:
    """Start (or replace) the server's schedule. When today's time has already passed, or today
    was already posted, the first post is tomorrow's: changing the time never posts a day twice."""
    async with store.atomic():
        old = await get_schedule(store, guild_id)
        draft = DailySchedule(guild_id, channel_id, minute_of_day, timezone, story_id, None, None)
        today = draft.local_date(now)
        passed = draft.due(now) is not None
        already = old is not None and old.stopped_reason is None and old.last_posted == today
        last_posted = today if passed or already else None
        await store.db.execute(
            "INSERT INTO daily_schedules (guild_id, channel_id, minute_of_day, timezone, story_id, set_by, set_at,"
            " last_posted, stopped_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)"
            " ON CONFLICT (guild_id) DO UPDATE SET channel_id = excluded.channel_id,"
            " minute_of_day = excluded.minute_of_day, timezone = excluded.timezone, story_id = excluded.story_id,"
            " set_by = excluded.set_by, set_at = excluded.set_at, last_posted = excluded.last_posted,"
            " stopped_reason = NULL",
            (guild_id, channel_id, minute_of_day, timezone, story_id, set_by, _iso(now), last_posted),
        )
    return DailySchedule(guild_id, channel_id, minute_of_day, timezone, story_id, last_posted, None)


async def delete_schedule(store: Store, guild_id: int) -> DailySchedule | None:
    """Forget the server's schedule; the schedule it was (None when there was none)."""
    async with store.atomic():
        rows = await store.db.execute_fetchall(
            f"DELETE FROM daily_schedules WHERE guild_id = ? RETURNING {_COLUMNS}", (guild_id,)
        )
    return DailySchedule(*rows[0]) if rows else None


async def claim_day(store: Store, guild_id: int, day: str) -> bool:
    """Record `day` as posted, unless it already was or the schedule stopped: True when this
    caller may post it (exactly one caller ever gets True for a day)."""
    async with store.atomic():
        cur = await store.db.execute(
            "UPDATE daily_schedules SET last_posted = ?1 WHERE guild_id = ?2 AND stopped_reason IS NULL"
            " AND (last_posted IS NULL OR last_posted < ?1)",
            (day, guild_id),
        )
    return cur.rowcount == 1


async def release_day(store: Store, guild_id: int, day: str, previous: str | None) -> None:
    """Give back a claimed day whose post failed for a passing reason (tried again at the next tick)."""
    async with store.atomic():
        await store.db.execute(
            "UPDATE daily_schedules SET last_posted = ? WHERE guild_id = ? AND last_posted = ?",
            (previous, guild_id, day),
        )


async def stop_schedule(store: Store, guild_id: int, reason: str) -> None:
    """The bot stops a schedule it cannot carry out; `reason` is told at the next /daily there."""
    async with store.atomic():
        await store.db.execute(
            "UPDATE daily_schedules SET stopped_reason = ? WHERE guild_id = ? AND stopped_reason IS NULL",
            (reason, guild_id),
        )


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")
