"""Ending background tasks at shutdown: give them a grace period, then cancel what is left."""
from __future__ import annotations

import asyncio
from collections.abc import Collection


async def finish_or_cancel(tasks: Collection[asyncio.Task], grace: float) -> int:
    """Wait up to `grace` seconds for the tasks to finish, cancel those still running and wait for
    them too, so none outlives the caller; returns how many had to be cancelled."""
    if not tasks:
        return 0
    _, late = await asyncio.wait(tasks, timeout=grace)
    for task in late:
        task.cancel()
    if late:
        await asyncio.wait(late)
    return len(late)
