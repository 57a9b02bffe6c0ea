"""bot/lazylog.py: loggers that load logging only for a message that may be shown, configured as
the command line asked, the record made where the Logger was called."""
from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from bot.lazylog import Logger

ROOT = Path(__file__).resolve().parent.parent

FRESH = """
import sys
from bot import lazylog
log = lazylog.Logger("some.module")
lazylog.basic_config_later(level="WARNING", format="%(levelname)s %(name)s %(funcName)s:%(lineno)d: %(message)s")
def quiet():
    log.debug("not %s", "shown")
    log.info("nor this")
quiet()
print("logging" in sys.modules, flush=True)
def loud():
    log.warning("shown %d", 1)
loud()
log.debug("still dropped: the level is WARNING")
print("logging" in sys.modules, flush=True)
"""


def test_debug_and_info_load_no_logging_and_a_warning_is_configured_as_asked() -> None:
    done = subprocess.run([sys.executable, "-c", FRESH], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          check=True)
    assert done.stdout.split() == ["False", "True"]
    line = next(number for number, text in enumerate(FRESH.splitlines(), 1) if "shown %d" in text)
    assert done.stderr == f"WARNING some.module loud:{line}: shown 1\n"


def test_once_logging_is_loaded_every_level_goes_to_it(caplog: pytest.LogCaptureFixture) -> None:
    log = Logger("bot.lazylog_test")
    assert "logging" in sys.modules  # this process imported it
    with caplog.at_level(logging.DEBUG, logger="bot.lazylog_test"):
        log.debug("a %s", "debug")
        log.info("an info")
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("failed")
    assert [(r.levelname, r.getMessage(), r.funcName) for r in caplog.records] == [
        ("DEBUG", "a debug", "test_once_logging_is_loaded_every_level_goes_to_it"),
        ("INFO", "an info", "test_once_logging_is_loaded_every_level_goes_to_it"),
        ("ERROR", "failed", "test_once_logging_is_loaded_every_level_goes_to_it"),
    ]
    assert caplog.records[-1].exc_info[0] is ValueError
    assert all(r.name == "bot.lazylog_test" for r in caplog.records)


FAILING_PARSE = """
import sys
import bot.cli
def fail(path, *, as_json):
    print("logging" in sys.modules, flush=True)
    raise RuntimeError("a bug")
bot.cli.parse_command = fail
sys.exit(bot.cli.main(["parse", "story.txt"]))
"""


def test_parse_s_unexpected_failure_is_logged_as_before(tmp_path: Path) -> None:
    """`parse` has no logging loaded until its failure is logged, formatted as the command line
    configures it for every command."""
    done = subprocess.run([sys.executable, "-c", FAILING_PARSE], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60, env={"PYTHONPATH": str(ROOT), "PATH": ""})
    assert done.returncode == 1 and done.stdout == "False\n"
    assert done.stderr.startswith("ERROR bot.cli: unexpected failure\nTraceback (most recent call last):")
    assert done.stderr.rstrip().endswith("RuntimeError: a bug")
