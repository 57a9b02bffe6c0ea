"""Typed answers: forgiving about case, punctuation, honorifics, and one typo on longer answers."""
import pytest

from bot.trivia.answers import normalize_answer, typed_answer_matches, within_one_edit


@pytest.mark.parametrize(
    ("guess", "answer"),
    [
        ("naruto", "Naruto"),
        ("NARUTO!", "Naruto"),
        ("Naruto-kun", "Naruto"),
        ("naruto kun", "Naruto"),
        ("Sasuke", "Sasuke-kun"),
        ("  kakashi-sensei. ", "Kakashi"),
        ("Narto", "Naruto"),  # one letter missing
        ("Nartuo", "Naruto"),  # two letters swapped
        ("Narutoo", "Naruto"),
        ("ramen", "Ramen"),
        ("Sensei", "Sensei"),
    ],
)
def test_typed_answer_accepted(guess: str, answer: str) -> None:
    assert typed_answer_matches(guess, answer)


@pytest.mark.parametrize(
    ("guess", "answer"),
    [
        ("Sasuke", "Naruto"),
        ("Nrto", "Naruto"),  # two letters missing
        ("Lee", "Leo"),  # short answers allow no typo
        ("Sakrua", "Sakurai"),  # a swap plus a missing letter is two typos
        ("", "Naruto"),
        ("!!!", "Naruto"),
        ("Naruto Sasuke", "Naruto"),
    ],
)
def test_typed_answer_rejected(guess: str, answer: str) -> None:
    assert not typed_answer_matches(guess, answer)


def test_one_typo_only_for_answers_over_four_letters() -> None:
    assert typed_answer_matches("rame", "ramen")
    assert not typed_answer_matches("hina", "hine")
    assert typed_answer_matches("hine", "Hine")


def test_normalize_strips_punctuation_and_suffix_but_never_to_nothing() -> None:
    assert normalize_answer("  Itachi-san!! ") == "itachi"
    assert normalize_answer("Sensei") == "sensei"
    assert normalize_answer("Café") == "cafe"


def test_within_one_edit() -> None:
    assert within_one_edit("abc", "abc")
    assert within_one_edit("abc", "abd")
    assert within_one_edit("abc", "ab")
    assert within_one_edit("abc", "bac")
    assert not within_one_edit("abc", "cab")
    assert not within_one_edit("abc", "a")
