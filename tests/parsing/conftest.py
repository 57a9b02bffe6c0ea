"""Helpers for parser tests: parse plain strings and reach into the result."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.parsing import Story, parse_story

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def parse(text: str) -> Story:
    return parse_story(text.encode("utf-8"))


def paragraphs(story: Story) -> list[str]:
    return [p for chapter in story.chapters for p in chapter.paragraphs]


def seed_path(prefix: str) -> Path:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path


@pytest.fixture(scope="session")
def seeds() -> dict[str, Story]:
    return {prefix: parse_story(seed_path(prefix).read_bytes()) for prefix in ("000", "001", "002", "003")}
