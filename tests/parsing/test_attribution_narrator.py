"""A first-person narrator's "I said" is given the name the other characters call them."""
from __future__ import annotations

from tests.parsing.conftest import parse


def story(tag: str) -> str:
    exchanges = [
        f'"Where to, Pell?" asked Rosa.\n\n"North," {tag}.\n\n"Then go, Pell," said Rosa.'
        for _ in range(12)
    ]
    return "Rosa waited by the door. Rosa smiled.\n\n" + "\n\n".join(exchanges)


def test_first_person_tags_name_the_narrator():
    quotes = parse(story("I said")).quotes
    assert {(q.speaker, q.rule) for q in quotes[1::3]} == {("Pell", "narrator")}
    assert all(q.confidence >= 0.8 for q in quotes[1::3])


def test_inverted_first_person_tag():
    quotes = parse(story("said I")).quotes
    assert {q.speaker for q in quotes[1::3]} == {"Pell"}


def test_a_few_first_person_tags_are_the_narrator_unnamed():
    text = 'Rosa smiled. Rosa waited.\n\n"Hello, Pell," said Rosa.\n\n"Hi," I said.'
    assert parse(text).quotes[-1].speaker == "Narrator"


def test_he_in_a_first_person_story_is_never_the_narrator():
    text = story("I said") + (
        "\n\nPell is what they call me. Ivo came in, and Pell looked up. Ivo frowned. Ivo sat.\n\n"
        '"It is cold," said Ivo.\n\n"It is," I said.\n\nI poured the tea.\n\n"Too cold," he said.'
    )
    quotes = parse(text).quotes
    assert quotes[-2].speaker == "Pell"
    assert quotes[-1].speaker == "Ivo"
