"""Log output: colour only on a terminal, and LOG_FORMAT=json as one parseable object per line."""
from __future__ import annotations

import io
import json
import logging
import os
import pty
from collections.abc import Iterator
from contextlib import contextmanager

import discord

from bot.config import Settings
from bot.runtime import setup_logging

ESC = "\x1b["


@contextmanager
def bot_logging(settings: Settings, stream) -> Iterator[logging.Logger]:
    """setup_logging() on the root logger, undone afterwards so other tests keep their logging."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    setup_logging(settings, stream)
    try:
        yield logging.getLogger("bot.test")
    finally:
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)


def test_text_to_a_pipe_has_no_colour_codes_even_in_docker(monkeypatch):
    # discord.py colours any stream inside Docker; this test runs as if in a container.
    monkeypatch.setattr(discord.utils, "is_docker", lambda: True)
    stream = io.StringIO()
    with bot_logging(Settings(), stream) as log:
        log.warning("quote of the day posted in %s", "#general")
    line = stream.getvalue()
    assert "quote of the day posted in #general" in line and "WARNING" in line
    assert ESC not in line


def test_text_to_a_terminal_is_coloured():
    leader, follower = pty.openpty()
    try:
        with os.fdopen(follower, "w", closefd=False) as terminal, bot_logging(Settings(), terminal) as log:
            log.warning("hello terminal")
            terminal.flush()
        written = os.read(leader, 4096).decode()
    finally:
        os.close(leader)
        os.close(follower)
    assert "hello terminal" in written and ESC in written


def test_json_lines_parse_with_time_level_logger_message():
    stream = io.StringIO()
    with bot_logging(Settings(log_format="json"), stream) as log:
        log.info("loaded %d stories", 4)
        try:
            raise ValueError("no active connection")
        except ValueError:
            log.exception("trivia game failed\nacross two lines")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["level"] == "INFO" and first["logger"] == "bot.test"
    assert first["message"] == "loaded 4 stories" and "exception" not in first
    assert first["time"].endswith("+00:00") and first["time"][:4].isdigit()
    assert second["level"] == "ERROR" and second["message"] == "trivia game failed\nacross two lines"
    assert second["exception"].startswith("Traceback") and "ValueError: no active connection" in second["exception"]


def test_json_is_never_coloured_on_a_terminal():
    leader, follower = pty.openpty()
    try:
        with os.fdopen(follower, "w", closefd=False) as terminal, \
                bot_logging(Settings(log_format="json"), terminal) as log:
            log.warning("hello")
            terminal.flush()
        written = os.read(leader, 4096).decode()
    finally:
        os.close(leader)
        os.close(follower)
    assert ESC not in written
    assert json.loads(written.strip())["message"] == "hello"


def test_token_is_redacted_in_json(monkeypatch):
    stream = io.StringIO()
    with bot_logging(Settings(token="sekrit.token", log_format="json"), stream) as log:
        log.warning("connecting with %s", "sekrit.token")
    assert "sekrit" not in stream.getvalue()
    assert json.loads(stream.getvalue())["message"] == "connecting with [DISCORD_TOKEN]"

