"""How long database calls take: one hook the metrics set, which every engine reports to.

`observe(seconds)` is all an engine reports (the SQLite store through `TimedConnection`; another
engine wraps its own calls in `with timed():`). Without an observer (no METRICS_PORT) a call costs
one `is None` test.
"""
from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiosqlite

QueryObserver = Callable[[float], None]

_observer: QueryObserver | None = None


def set_query_observer(observer: QueryObserver | None) -> None:
    """Report every database call's duration in seconds to `observer` (None: stop timing)."""
    global _observer
    _observer = observer


def observe(seconds: float) -> None:
    """Report one database call that took `seconds`."""
    if _observer is not None:
        _observer(seconds)


@contextmanager
def timed() -> Iterator[None]:
    """Report how long the block took as one database call (an engine wraps each call in it)."""
    if _observer is None:
        yield
        return
    started = time.perf_counter()
    try:
        yield
    finally:
        observe(time.perf_counter() - started)


def timing() -> bool:
    """Whether calls are being timed (an engine may skip reading the clock when not)."""
    return _observer is not None


class TimedConnection(aiosqlite.Connection):
    """An aiosqlite connection that reports each call it runs on its thread (a statement, a fetch,
    a commit) while an observer is set. The time includes the wait behind earlier calls on the same
    connection: what the event loop waited for the database."""

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if _observer is None:
            return await super()._execute(fn, *args, **kwargs)
        started = time.perf_counter()
        try:
            return await super()._execute(fn, *args, **kwargs)
        finally:
            observe(time.perf_counter() - started)


def connect(database: Path | str, *, iter_chunk_size: int = 64, **options: Any) -> TimedConnection:
    """`aiosqlite.connect`, with calls timed while an observer is set."""
    location = str(database)
    return TimedConnection(lambda: sqlite3.connect(location, **options), iter_chunk_size)
