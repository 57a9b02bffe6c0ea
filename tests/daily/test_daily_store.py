"""The quote-of-the-day schedule rules, without Discord: times, zones, when a day is due, claims."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.errors import InvalidInput
from bot.store import Store, daily

GUILD = 111


@pytest.mark.parametrize(("text", "minute"), [("00:00", 0), ("23:59", 1439), (" 7:05 ", 425), ("09:30", 570)])
def test_times_of_day(text: str, minute: int) -> None:
    assert daily.parse_time(text) == minute


@pytest.mark.parametrize("text", ["24:00", "25:00", "12:60", "9", "9am", "09:5", "", "-1:00", "１２:００"])
def test_not_times_of_day(text: str) -> None:
    with pytest.raises(InvalidInput, match="is not a time of day"):
        daily.parse_time(text)


def test_zones_any_case_and_unknown_ones() -> None:
    assert daily.parse_zone("europe/PARIS") == "Europe/Paris"
    assert daily.parse_zone("UTC") == "UTC"
    with pytest.raises(InvalidInput, match="not a time zone I know"):
        daily.parse_zone("Europe/Atlantis")
    assert "Asia/Tokyo" in daily.zone_choices("tokyo")
    assert all(len(daily.zone_choices(t)) <= 25 for t in ("", "a", "america"))


def _schedule(minute: int, zone: str, last: str | None = None) -> daily.DailySchedule:
    return daily.DailySchedule(GUILD, 1, minute, zone, None, last, None)


def test_due_in_the_schedules_own_day() -> None:
    tokyo = _schedule(8 * 60, "Asia/Tokyo")  # UTC+9
    assert tokyo.due(datetime(2031, 3, 3, 22, 59, tzinfo=UTC)) is None  # 07:59 on 4 March in Tokyo
    assert tokyo.due(datetime(2031, 3, 3, 23, 0, tzinfo=UTC)) == "2031-03-04"
    assert _schedule(8 * 60, "Asia/Tokyo", "2031-03-04").due(datetime(2031, 3, 4, 14, 0, tzinfo=UTC)) is None
    assert _schedule(8 * 60, "Asia/Tokyo", "2031-03-04").due(datetime(2031, 3, 4, 23, 0, tzinfo=UTC)) == "2031-03-05"


def test_a_time_skipped_by_summer_time_still_posts_that_day() -> None:
    # 30 March 2031 in Paris: 02:00 jumps to 03:00, so 02:30 never happens.
    night = _schedule(2 * 60 + 30, "Europe/Paris")
    assert night.due(datetime(2031, 3, 30, 0, 59, tzinfo=UTC)) is None  # 01:59 local
    assert night.due(datetime(2031, 3, 30, 1, 0, tzinfo=UTC)) == "2031-03-30"  # 03:00 local


async def test_a_day_is_claimed_once(store: Store) -> None:
    now = datetime(2031, 3, 4, 6, 0, tzinfo=UTC)
    await daily.set_schedule(store, guild_id=GUILD, channel_id=1, minute_of_day=420, timezone="UTC",
                             story_id=None, set_by=5, now=now)
    assert await daily.claim_day(store, GUILD, "2031-03-04")
    assert not await daily.claim_day(store, GUILD, "2031-03-04")
    await daily.release_day(store, GUILD, "2031-03-04", None)
    assert await daily.claim_day(store, GUILD, "2031-03-04")
    await daily.stop_schedule(store, GUILD, "a reason")
    assert not await daily.claim_day(store, GUILD, "2031-03-05")
    assert await daily.running_schedules(store) == []
