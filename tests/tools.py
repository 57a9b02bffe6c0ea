"""Tests that need a tool from outside the project (pandoc, calibre, FanFicFare, PostgreSQL) skip
with the reason where it is missing, but fail under CI=true: `.ci/run` installs every one of them,
so a skip there would hide a broken install."""
from __future__ import annotations

import os

import pytest


def missing_tool(reason: str) -> None:
    """Skip the test for `reason`, or fail it when CI=true (CI must run it)."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: .ci/run installs it, so this test must run)", pytrace=False)
    pytest.skip(reason)
