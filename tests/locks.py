"""Another process holding the database's write lock, for the tests that must wait it out."""
from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def locked(path: Path, seconds: float) -> Iterator[None]:
    """Another process's writer: BEGIN EXCLUSIVE held for `seconds` in its own thread and connection."""
    taken, failure = threading.Event(), []

    def hold() -> None:
        connection = sqlite3.connect(path, isolation_level=None)
        try:
            connection.execute("BEGIN EXCLUSIVE")
            taken.set()
            time.sleep(seconds)
            connection.execute("COMMIT")
        except sqlite3.Error as exc:
            failure.append(exc)
            taken.set()
        finally:
            connection.close()

    holder = threading.Thread(target=hold, name="lock holder")
    holder.start()
    taken.wait(5)
    assert not failure, failure
    try:
        yield
    finally:
        holder.join()
