"""Counting database round trips in tests: jobs queued to aiosqlite's worker thread, each a thread
hop (bench/_roundtrips.py counts the same way for the benches)."""
from __future__ import annotations

import contextvars

import aiosqlite
import pytest

from bot.store.connection import WriteBehind


class RoundTrips:
    """Counts jobs queued to aiosqlite's thread while `counting` (from the start unless told
    otherwise). With `foreground_only`, the background writer's jobs are left out: nothing waits
    for them, so they are no round trip before a reply."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *, counting: bool = True, foreground_only: bool = False) -> None:
        self.count = 0
        self.counting = counting
        background = contextvars.ContextVar("background", default=False)
        original, commit = aiosqlite.Connection._execute, WriteBehind._commit

        async def counted(conn, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
            if self.counting and not background.get():
                self.count += 1
            return await original(conn, fn, *args, **kwargs)

        async def committed(writer, batch):  # type: ignore[no-untyped-def]
            background.set(True)  # in this task and the ones it starts (they copy its context)
            return await commit(writer, batch)

        monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
        if foreground_only:
            monkeypatch.setattr(WriteBehind, "_commit", committed)
