"""Speakers the text never names are called as it describes them, and an unnamed "I" is the
Narrator (CONTRACT §5)."""
from __future__ import annotations

from tests.parsing.conftest import parse

FENCE = (
    "A boy came down the road at dusk. A girl sat on the fence and watched him.\n\n"
    '"What are you running for?" she asked.\n\n'
    '"Because," he said, and his cheeks grew hot.\n\n'
    '"I hate it!" cried the girl.\n\n'
    '"Why?" asked the boy.'
)


def speakers(text: str) -> list[str | None]:
    return [q.speaker for q in parse(text).quotes]


def test_a_pronoun_with_nobody_named_is_the_described_one_of_that_sex():
    assert speakers(FENCE)[:2] == ["a girl", "a boy"]


def test_a_description_in_the_tag_is_the_same_person_as_the_narration_described():
    assert speakers(FENCE)[2:] == ["a girl", "a boy"]


def test_a_described_speaker_is_a_character():
    assert {"a girl", "a boy"} <= {c.name for c in parse(FENCE).characters}


def test_a_named_character_of_that_sex_still_comes_first():
    text = FENCE.replace("A girl sat", "Mira sat").replace("cried the girl", "cried Mira")
    assert speakers(text)[0] == "Mira"


def test_the_narrators_relative_speaks_as_described():
    text = (
        "We walked home along the river.\n\n"
        '"My boy," returned my father, "you must not judge by the work."\n\n'
        '"Then by what?" said I.'
    )
    assert speakers(text) == ["my father", "my father", "Narrator"]


def test_a_different_description_is_a_different_speaker():
    text = FENCE + '\n\n"You are late," said the old man.'
    assert speakers(text)[-1] == "the old man"


def test_an_unnamed_i_is_the_narrator():
    text = 'Rosa waited by the door.\n\n"Where to?" asked Rosa.\n\n"North," I said.'
    assert speakers(text)[-1] == "Narrator"


def test_the_description_of_a_tag_is_whom_the_narration_just_brought_in():
    # "the man" of the tag is the man "a man" brought in, not the named man who saw him come.
    text = (
        "Tobin had the road to himself all morning.\n\n"
        '"Any luck?" asked Tobin of nobody.\n\n'
        "At noon a tall man came over the hill with a mule. Tobin watched them come.\n\n"
        '"Good day to you," called the man, halting.\n\n'
        '"Good day," replied Tobin.'
    )
    assert speakers(text)[1:] == ["the man", "Tobin"]


def test_a_likeness_brings_nobody_in():
    # "like a man" compares Tobin to someone: "the man" of the next tag is still Worms, whom the
    # narration before it is about (without the likeness test the rules read "the man", whom the
    # scorer then overrules at a low confidence).
    text = (
        "Worms shook his grey head.\n\n"
        '"Are you a spy?" asked Worms.\n\n'
        '"No!" answered Tobin, like a man on the gallows.\n\n'
        'Worms leaned across the table. "You swear it," said the man.'
    )
    last = parse(text).quotes[-1]
    assert (last.speaker, last.rule) == ("Worms", "pronoun")
