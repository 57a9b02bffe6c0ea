"""The parse's shortcuts give exactly what the long way gives: memoised tag readings, walk plans
worked out lazily, a scene's turns back and ahead, and patterns rewritten to scan faster."""
from __future__ import annotations

import random
import re

import pytest

from bot.parsing.attribution import tags
from bot.parsing.attribution.candidates import SceneView
from bot.parsing.attribution.narration import _Narration, _walk_plan
from bot.parsing.attribution.result import Attribution
from bot.parsing.characters import Lexicon, first_self_named
from bot.parsing.names import base_form
from bot.parsing.quotations import RawQuote

TAILS = [
    ', said Emma. "', ', he said.', ' said the old man, and sat down.', ', was her answer.',
    ', feebly reiterated Matthew.', ' Marla went on, "', ', I said.', '', '   ', 'She left.',
    ', said Harriet Smith, who had come in' + " late" * 40,
]


@pytest.mark.parametrize("after", TAILS)
def test_tag_after_is_the_reading_of_its_window(after):
    tags._TAGS_AFTER.clear()
    first = tags._tag_after(after)
    assert first == tags._read_tag_after(after[: tags._WINDOW])
    assert tags._tag_after(after) is first  # read once, then remembered
    # Only the window counts: text past it never changes the reading.
    assert tags._tag_after(after[: tags._WINDOW] + " and Mr. Knightley said so.") == first


def test_tag_after_memory_is_bounded(monkeypatch):
    tags._TAGS_AFTER.clear()
    monkeypatch.setattr(tags, "_TAGS_AFTER_KEPT", 3)
    for after in TAILS:
        assert tags._tag_after(after) == tags._read_tag_after(after[: tags._WINDOW])
        assert len(tags._TAGS_AFTER) <= 3
    tags._TAGS_AFTER.clear()


NARRATION = (
    "Emma looked up. The old man sighed at Harriet. She thought of Mr. Knightley and of Jane. "
    "Then Frank Churchill came in. He spoke to Miss Bates, whose niece said nothing."
)


@pytest.mark.parametrize("gender", ["M", "F"])
def test_a_lazy_walk_plan_is_the_whole_plan(gender):
    whole = _walk_plan(_Narration(NARRATION), gender)
    assert len(whole) > 4
    narration = _Narration(NARRATION)
    plan = narration.plan(gender)
    steps = iter(plan)
    assert [next(steps), next(steps)] == whole[:2]
    del steps  # a walk that stopped early
    assert len(narration._read) < len(narration._texts)  # the earliest sentences not read yet
    assert list(plan) == whole  # the next walk goes on from where it stopped
    assert list(plan) == whole
    assert narration.plan(gender) is plan


def _reference_walk(view: SceneView, turn: int, step: int, count: int) -> tuple:
    """The turns back or ahead, one crossing at a time (how SceneView used to find them)."""
    found = []
    at = turn
    for _ in range(count):
        crossing = at if step < 0 else at + 1
        if not 0 < crossing < len(view.turn_paragraph) or view.gap_before[crossing] is None:
            break
        at += step
        found.append(view.turn_speaker[at])
    return (*found, *([None] * (count - len(found))))


@pytest.mark.parametrize("seed", range(20))
def test_turns_back_and_ahead_stop_at_exchange_breaks(seed):
    rng = random.Random(seed)
    paragraphs: list[str] = []
    quotes: list[RawQuote] = []
    results: list[Attribution] = []
    for _ in range(rng.randint(1, 14)):
        gap = rng.choice([0, 0, 0, 1, 2])  # paragraphs of narration before the next turn
        long = rng.random() < 0.3
        paragraphs += ["x" * (900 if long else 20)] * gap
        for _ in range(rng.choice([1, 1, 2])):
            quotes.append(RawQuote("Hello.", "speech", len(paragraphs), 1, 7, len(paragraphs), "", ""))
            results.append(Attribution(speaker=rng.choice(["Ann", "Bob", "Cy", None]), rule="pronoun"))
        paragraphs.append('"Hello."')
    view = SceneView(
        paragraphs, quotes, results, Lexicon(), lambda index: [], lambda text: (set(), set()), None,
        lambda sex: None,
    )
    for turn in range(len(view.turn_paragraph)):
        assert view.back[turn] == _reference_walk(view, turn, -1, 3)
        assert view.ahead[turn] == _reference_walk(view, turn, 1, 2)


OLD_SELF_NAMED = re.compile(r"\b(?:[Mm]y name (?:is|was)|[Cc]all me|I (?:am|was) called)\s+([A-Z][a-z]+)\b")


@pytest.mark.parametrize(
    "text",
    [
        "My name is Pell.", "my name was  Rosa, I think", "Call me Ishmael.", "call me Bob",
        "I am called Tom.", "I was called\nJoe.", "Recall me Bob.", "xMy name is Bob", "éCall me Ann",
        "MCall me X", "AI am called Z", "He said: I am called Ed; call me Ed.", "My name is bob",
        "Call me Al. My name is Bob.", "My name is Bob. Call me Al.", "I was called Ed, I am called Ted",
        "I am called Ted, I was called Ed", "my name is ann, call me Al", "",
    ],
)
def test_self_named_finds_the_name_the_word_boundary_pattern_did(text):
    old = OLD_SELF_NAMED.search(text)
    assert first_self_named(text) == (old[1] if old else None)


@pytest.mark.parametrize(
    ("name", "base"),
    [("Naruto-kun", "Naruto"), ("Naruto's", "Naruto"), ("Naruto’s", "Naruto"), ("Sakura-chan's", "Sakura"),
     ("Anne", "Anne"), ("Mr. Bennet", "Mr. Bennet"), ("Mary-Jane", "Mary-Jane"), ("O'Brien", "O'Brien")],
)
def test_base_form(name, base):
    assert base_form(name) == base
