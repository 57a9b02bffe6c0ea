"""Parsing stays linear: realistic and hostile megabytes parse in a bounded amount of CPU time.

Limits are CPU seconds of this process (the test machine is shared, wall time would be noise)
and generous: they catch quadratic behaviour, not a slow afternoon.
"""
from __future__ import annotations

import time

import pytest

from bot.parsing import NotAStory, parse_story

MEGABYTE = 1_000_000
LIMIT_PER_MEGABYTE = 5.0


def repeated(motif: str, size: int) -> bytes:
    data = motif.encode("utf-8")
    return data * (size // len(data) + 1)


def cpu_seconds(data: bytes) -> float:
    start = time.process_time()
    try:
        parse_story(data)
    except NotAStory:
        pass  # refusing is a fine answer; taking forever is not
    return time.process_time() - start


@pytest.mark.parametrize(
    "motif",
    [
        '"Hi," said Naruto. "Bye," said Sakura, and she left.\n\n',
        '"\'',  # marks nested as deep as the file is long
        "“a ‘b ",
        "a\n\n\n\n",
        "***\n",
        "Chapter 1\n\nx\n\n",
        "A/N: I hope you enjoy my story, please review!\n\n",
        '"Start of a speech that never ends\n\n',
        "It's Naruto's 'em goin' ",
    ],
    ids=["dialogue", "nested", "nested-curly", "blank-lines", "separators", "headings", "notes", "open-speech", "apostrophes"],
)
def test_a_megabyte_of_any_shape_parses_in_bounded_time(motif):
    assert cpu_seconds(repeated(motif, MEGABYTE)) < LIMIT_PER_MEGABYTE


def test_a_megabyte_single_line_parses_quickly():
    assert cpu_seconds(repeated("Naruto ran across the bridge and Sakura followed him. ", MEGABYTE)) < 2


@pytest.mark.slow
def test_a_twenty_megabyte_single_line_is_linear():
    data = repeated('Naruto said "hi there" and ran. ', 20 * MEGABYTE)
    assert b"\n" not in data
    assert cpu_seconds(data) < 20 * LIMIT_PER_MEGABYTE / 2


def test_pronoun_tags_cost_no_more_than_named_tags():
    """A paragraph of a thousand '"...," he said.' once cost ten times the same dialogue with
    named tags: every he/she re-read the whole paragraph's narration before it."""
    size = MEGABYTE // 3
    named = cpu_seconds(repeated('"Hi," said Naruto. "Bye," said Sakura, and she left.\n\n', size))
    one_paragraph = cpu_seconds(repeated('"Wait here," he said. "No," she said. ', size))
    paragraphs = cpu_seconds(repeated('"Wait here," he said. "No," she said. ' * 40 + "\n\n", size))
    assert one_paragraph < 4 * named
    assert paragraphs < 4 * named
