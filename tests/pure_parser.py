"""Tests that look inside the parser (subclass its classes, hand it stand-in objects) run against
the pure Python modules: compiled by mypyc (bot/parsing/native.py), its classes refuse interpreted
subclasses and its functions check their arguments' types. Such a test, decorated with
`pure_parser`, runs itself again in a child pytest with STORYBOT_PURE_PYTHON=1 when the compiled
modules are loaded, and fails with the child's output when the child fails."""
from __future__ import annotations

import functools
import inspect
import os
import subprocess
import sys
from pathlib import Path

from bot.parsing import native

ROOT = Path(__file__).resolve().parent.parent


def pure_parser(test):
    if inspect.signature(test).parameters:
        raise TypeError(f"{test.__name__}: pure_parser runs tests without fixtures only")

    @functools.wraps(test)
    def run() -> None:
        if not native.COMPILED:
            test()
            return
        node = f"{Path(sys.modules[test.__module__].__file__).relative_to(ROOT)}::{test.__name__}"
        child = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider", "-n", "0", node],
            cwd=ROOT, env={**os.environ, "STORYBOT_PURE_PYTHON": "1"}, capture_output=True, text=True, check=False,
        )
        assert child.returncode == 0, f"{node} on the pure parser:\n{child.stdout[-4000:]}{child.stderr[-2000:]}"
        assert " passed" in child.stdout, child.stdout[-2000:]

    return run
