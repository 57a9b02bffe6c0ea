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


def test_a_narrator_who_gives_their_name_is_called_by_it():
    text = (
        "My name is Pell, and I kept the ferry that year. Rosa came down to the water.\n\n"
        '"Where to?" asked Rosa.\n\n"North," I said.'
    )
    assert parse(text).quotes[-1].speaker == "Pell"


def test_a_name_given_inside_someone_elses_speech_is_not_the_narrators():
    text = (
        'A stranger came down to the water. "My name is Brann," he said. Rosa waited.\n\n'
        '"Where to?" asked Rosa.\n\n"North," I said.'
    )
    assert parse(text).quotes[-1].speaker == "Narrator"
