"""Moving the bot's clock for /daily tests, and reading the posts it makes."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cogs.daily import TITLE

FAST_TICK = 0.05  # seconds between schedule checks in tests (30 s in production)


@dataclass
class Clock:
    """A clock the test moves by hand; install it as `bot.now` (or bot.runtime._utc_now before start)."""

    at: datetime

    def __call__(self) -> datetime:
        return self.at


def daily_cog(harness: Any) -> Any:
    cog = harness.bot.get_cog("DailyQuotes")
    assert cog is not None
    return cog


def fast_daily(harness: Any) -> Any:
    """Check the schedules every FAST_TICK seconds from now on (the loop restarts at once)."""
    cog = daily_cog(harness)
    cog.ticker.change_interval(seconds=FAST_TICK)
    cog.ticker.restart()
    return cog


def is_daily_post(message: Any) -> bool:
    return bool(message.embeds) and message.embeds[0].get("title") == TITLE


async def daily_posts(harness: Any, channel: Any, count: int, timeout: float = 10.0) -> list[Any]:  # noqa: ASYNC109 - helpers take explicit time limits
    """Wait until `channel` holds `count` quote-of-the-day posts; return them."""
    await harness.server.wait_until(
        lambda: len([m for m in harness.server.messages_in(channel) if is_daily_post(m)]) >= count,
        timeout, f"{count} quote-of-the-day post(s)",
    )
    return [m for m in harness.server.messages_in(channel) if is_daily_post(m)]


async def settle(harness: Any, ticks: int = 5, timeout: float = 10.0) -> None:  # noqa: ASYNC109 - as above
    """Let the schedule loop run `ticks` more checks (to see that nothing more is posted)."""
    cog = daily_cog(harness)
    target = cog.ticks + ticks
    await harness.server.wait_until(lambda: cog.ticks >= target, timeout, f"{ticks} schedule checks")
