"""Counting database round trips: jobs queued to aiosqlite's worker thread, each a thread hop."""
from __future__ import annotations

import aiosqlite


class RoundTrips:
    """Counts jobs queued to aiosqlite's worker thread while the block runs."""

    def __init__(self) -> None:
        self.count = 0
        self._original = aiosqlite.Connection._execute

    def __enter__(self) -> RoundTrips:
        original = self._original

        async def counted(conn: aiosqlite.Connection, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
            self.count += 1
            return await original(conn, fn, *args, **kwargs)

        aiosqlite.Connection._execute = counted  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        aiosqlite.Connection._execute = self._original  # type: ignore[method-assign]
