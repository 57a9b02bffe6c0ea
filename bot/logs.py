"""How the running bot's log lines look (LOG_FORMAT): text, coloured only on a terminal, or JSON lines
that a log collector can read without parsing text.
"""
from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

TEXT_FORMAT = "[{asctime}] [{levelname:<8}] {name}: {message}"
TEXT_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line: time (UTC, ISO 8601), level, logger, message, and
    exception (the formatted traceback) when the record carries one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # json.dumps escapes newlines inside strings, so a traceback never splits the line.
        return json.dumps(entry, ensure_ascii=False, default=str)


def plain_formatter() -> logging.Formatter:
    """discord.py's own layout without its colour codes: for pipes, files, Docker and journald."""
    return logging.Formatter(TEXT_FORMAT, TEXT_DATE_FORMAT, style="{")


def wants_colour(stream: Any) -> bool:
    """Colour only when the stream is a terminal. (discord.py also colours inside any Docker
    container, where the codes end up as garbage in `docker logs` and log collectors.)"""
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False
