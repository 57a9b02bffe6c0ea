"""The parser's own shortcuts (outside attribution) give exactly what the long way gives:
quotations made without the dataclass's __init__."""
from __future__ import annotations

import dataclasses

import pytest

from bot.parsing.model import Quote
from bot.parsing.parser import _quotes_of


def test_quotes_made_without_init_are_the_dataclasses_own() -> None:
    rows = [
        ("Hello there.", "speech", "the painter", 0.93, 0, 1, 4, 1, 13, "tag"),
        ("Quite so.", "speech", None, 0.41, 2, 0, 7, 0, 9, None),
        ("He will come.", "thought", "Emma", 1.0, 3, 2, 0, 5, 18, "pronoun"),
    ]
    made = _quotes_of(rows)
    assert made == [Quote(*row) for row in rows]
    assert [hash(q) for q in made] == [hash(Quote(*row)) for row in rows]
    assert repr(made[0]) == repr(Quote(*rows[0]))
    with pytest.raises(dataclasses.FrozenInstanceError):
        made[0].speaker = "Basil"  # type: ignore[misc]
    # A role's speeches go to the name the story gives it, as parse_story renames them.
    renamed = _quotes_of(rows, {"the painter": "Basil", "Harriet": "Emma"})
    assert renamed[0] == dataclasses.replace(Quote(*rows[0]), speaker="Basil")
    assert renamed[1:] == made[1:]  # no speaker, and a speaker no role names, stay
