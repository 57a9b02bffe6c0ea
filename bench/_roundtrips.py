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


# A bot process can count its own: `python bench/_roundtrips.py bot run` runs `python -m bot run` with
# the counter installed and prints the running total to stderr every REPORT_SECONDS, so a bench
# driving it from another process (bench/e2e.py) can read round trips per interaction.
REPORT_SECONDS = 0.1
REPORT_PREFIX = "database round trips so far: "


def _run_counted(argv: list[str]) -> None:
    import runpy
    import sys
    import threading
    import time

    counter = RoundTrips().__enter__()

    def report() -> None:
        while True:
            time.sleep(REPORT_SECONDS)
            print(f"{REPORT_PREFIX}{counter.count}", file=sys.stderr, flush=True)

    threading.Thread(target=report, name="round trip report", daemon=True).start()
    sys.argv = [argv[0], *argv[1:]]
    runpy.run_module(argv[0], run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    import sys as _sys

    _run_counted(_sys.argv[1:])
