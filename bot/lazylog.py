"""Loggers that load `logging` only for a message that may be shown: `python -m bot parse` starts
without it (logging, with threading, string and their patterns, is about 1.5 ms of CPU, 5% of a
short story's process; tests/test_cli_startup.py).

Until something loads logging nothing can have configured it, so every logger is at logging's
default level (WARNING) and a debug or info message is dropped, as logging would drop it. A warning
or worse loads logging, applies the configuration `basic_config_later()` left waiting, and goes to
`logging.getLogger(name)`; once logging is loaded (by anything) every call goes to it, reported as
made where this Logger was called (stacklevel)."""
from __future__ import annotations

import _thread
import sys

TYPE_CHECKING = False  # typing's, without loading typing: `parse` starts without it (bot/startup.py)
if TYPE_CHECKING:
    import logging
    from typing import Any

_waiting: list[dict[str, Any]] = []
_applying = _thread.allocate_lock()  # not threading's: `parse` does not load threading


def basic_config_later(**options: Any) -> None:
    """`logging.basicConfig(**options)` once logging is loaded through this module (load() or a
    message), or now if it is loaded already."""
    _waiting.append(options)
    if "logging" in sys.modules:
        load()


def load() -> None:
    """Load logging and apply the configuration waiting: for code about to load modules that
    log through logging itself (concurrent.futures)."""
    import logging

    if _waiting:
        with _applying:
            while _waiting:
                logging.basicConfig(**_waiting[0])
                del _waiting[0]  # only once applied: another thread's `if _waiting` waits for it


class Logger:
    """`logging.getLogger(name)`, made on the first message that may be shown."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def logger(self) -> logging.Logger:
        load()
        import logging

        return logging.getLogger(self.name)

    def debug(self, msg: object, *args: object, stacklevel: int = 1, **kwargs: Any) -> None:
        if "logging" in sys.modules:
            self.logger().debug(msg, *args, stacklevel=stacklevel + 1, **kwargs)

    def info(self, msg: object, *args: object, stacklevel: int = 1, **kwargs: Any) -> None:
        if "logging" in sys.modules:
            self.logger().info(msg, *args, stacklevel=stacklevel + 1, **kwargs)

    def warning(self, msg: object, *args: object, stacklevel: int = 1, **kwargs: Any) -> None:
        self.logger().warning(msg, *args, stacklevel=stacklevel + 1, **kwargs)

    def error(self, msg: object, *args: object, stacklevel: int = 1, **kwargs: Any) -> None:
        self.logger().error(msg, *args, stacklevel=stacklevel + 1, **kwargs)

    def exception(self, msg: object, *args: object, stacklevel: int = 1, **kwargs: Any) -> None:
        self.logger().exception(msg, *args, stacklevel=stacklevel + 1, **kwargs)
