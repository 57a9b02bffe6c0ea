"""Speech tags with less common verbs, phrasal verbs, and who can be a speaker at all."""
from __future__ import annotations

import pytest

from tests.parsing.conftest import parse

CAST = (
    "Marla looked at the sky. Marla shook her head. Marla smiled at her friend.\n\n"
    "Tobin crossed his arms. Tobin frowned at his sister. Tobin sighed.\n\n"
)


def speakers(text):
    return [(q.speaker, q.rule) for q in parse(text).quotes]


@pytest.mark.parametrize(
    "paragraph",
    [
        '"We should leave," returned Marla.',
        '"We should leave," rejoined Marla.',
        '"We should leave," Marla went on.',
        '"We should leave," Marla broke in.',
        'Marla went on, "We should leave."',
    ],
)
def test_less_common_and_phrasal_speech_verbs(paragraph):
    assert speakers(CAST + paragraph) == [("Marla", "explicit")]


def test_pronoun_skips_a_place_nobody_hears_speak():
    text = (
        CAST
        + '"Hello," said Tobin. "Fine day," said Marla. "It is," said Tobin.\n\n'
        + "Tobin walked to Bramley. The road to Bramley was long and Bramley was far.\n\n"
        + '"I am tired," he said.'
    )
    assert speakers(text)[-1] == ("Tobin", "pronoun")
