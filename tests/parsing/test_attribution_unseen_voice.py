"""A speech a tag gives to a voice nobody is seen with ("cried a voice", "A voice called",
"someone shouted") is nobody's the exchange names (branch `seeds13`, docs/attribution.md): main
gave it by turn-taking to a member of the exchange, a wrong name `/quote character:` would show.
The guards below keep the tags that only mention a voice ("said Marla in a small voice", "the
voice", a voice heard) reading as before."""
from __future__ import annotations

import pytest

from tests.parsing.conftest import parse

# Four characters tagged the usual way, so the lexicon knows enough speakers to be choosy.
CAST = (
    '"Morning," said Tobin. "Hello," said Marla. "Hi," said Pell. "Hey," said Ruth.\n\n'
    'Tobin smiled at Marla. Pell nodded to Ruth. Marla waved at Pell. Ruth laughed at Tobin.\n\n'
)
EXCHANGE = ('"We are safe here," Marla said.', '"I think so," Tobin said.')


def scene(*paragraphs: str) -> str:
    return CAST + "* * *\n\n" + "\n\n".join((*EXCHANGE, *paragraphs))


def speaker_of(text: str, speech: str) -> str | None:
    (quote,) = [q for q in parse(text).quotes if q.text == speech]
    return quote.speaker


UNSEEN = {
    "said_a_voice_after": (scene('"You are wrong," said a voice from the shadows.'), "You are wrong,"),
    "a_voice_lead_in": (scene('A voice called from the dark, "You are wrong."'), "You are wrong."),
    "a_voice_sentence_before": (scene('A deep voice answered from the hall. "Nobody is safe here."'), "Nobody is safe here."),
    "someone_shouted": (scene('"Long live the king!" someone shouted from the crowd.'), "Long live the king!"),
    "a_voice_whispered_after": (scene('"Run," a voice whispered behind them.'), "Run,"),
    # The voice's paragraph goes on in the voice.
    "the_voice_goes_on": (scene('"No!" cried a timid voice. "You must not stay."'), "You must not stay."),
}


@pytest.mark.parametrize("name", sorted(UNSEEN))
def test_a_voice_nobody_is_seen_with_is_nobody_named(name: str):
    text, speech = UNSEEN[name]
    assert speaker_of(text, speech) is None


GUARDS = {
    # A named speaker's tag that only describes the voice.
    "in_a_small_voice": (scene('"Wait," said Pell in a small voice.'), "Wait,", "Pell"),
    "a_voice_heard_then_named": (scene("Ruth heard a voice in the hall.", '"Is anyone there?" Ruth asked.'), "Is anyone there?", "Ruth"),
    # "the voice" is one the text has heard before: read as main reads it.
    "tagged_after_the_voice": (
        scene('"You are wrong," said a voice from the shadows.', '"Who is there?" Tobin asked.'), "Who is there?", "Tobin",
    ),
}


@pytest.mark.parametrize("name", sorted(GUARDS))
def test_a_tag_that_only_mentions_a_voice_reads_as_before(name: str):
    text, speech, right = GUARDS[name]
    assert speaker_of(text, speech) == right
