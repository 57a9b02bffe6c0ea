"""How a he/she in a tag finds its character: back through the narration, sentence by sentence."""
from __future__ import annotations

from tests.parsing.conftest import parse

WOMEN = (
    "Mary brushed her hair. Mary folded her hands. Mary smiled to herself.\n\n"
    "Katharine brushed her hair. Katharine folded her hands. Katharine smiled to herself.\n\n"
    "Lucy brushed her hair. Lucy folded her hands. Lucy smiled to herself.\n\n"
)


def speakers(text):
    return [(q.speaker, q.rule) for q in parse(text).quotes]


def test_a_sentence_whose_subject_is_she_carries_on_an_earlier_one():
    # "She had come to say it to Katharine": the she is not Katharine, so the one before is.
    text = WOMEN + "Mary stood by the window.\n\nShe had come to say it to Katharine herself.\n\n"
    assert speakers(text + '"I am going away," she said.') == [("Mary", "pronoun")]


def test_a_name_in_a_sentence_about_someone_else_is_picked_up():
    # Nobody of her sex is the subject of the last sentence: the woman it names is.
    text = WOMEN + "Mary stood by the window.\n\nThe letter had no effect on Katharine at all.\n\n"
    assert speakers(text + '"I am going away," she said.') == [("Katharine", "pronoun")]


def test_narration_earlier_in_the_paragraph_counts_after_a_speech():
    text = WOMEN + (
        'Katharine was silent. She was thinking, "My friend will not answer me." '
        '"You are tired of the house," she said.'
    )
    assert speakers(text)[-1][0] == "Katharine"


def test_a_subject_may_be_followed_by_a_comma():
    text = WOMEN + 'Lucy stood by the door. Katharine, too, was silent, and then she said, "You are tired."'
    assert speakers(text) == [("Katharine", "pronoun")]


def test_he_or_she_and_any_verb_after_a_speech_that_runs_on():
    text = WOMEN + "Mary looked up.\n\n"
    assert speakers(text + '"I am so very happy," she prattled.') == [("Mary", "pronoun")]
    assert speakers(text + '"Insufferable woman!" was her immediate exclamation.') == [("Mary", "pronoun")]


def test_a_tag_with_had_and_a_reply_noun_after_an_adjective():
    text = WOMEN + "Mary looked up.\n\n"
    assert speakers(text + '"We are late," she had whispered.') == [("Mary", "pronoun")]
    assert speakers(text + '"Who is that?" was her anxious inquiry.') == [("Mary", "pronoun")]
    assert speakers(text + '"It is all luck," she would say.') == [("Mary", "pronoun")]


def test_he_went_on_is_whoever_just_spoke():
    # After two women's turns a plain "she said" is the other one; "she went on" is not.
    text = WOMEN + '"Yes," said Lucy.\n\n"It is late," said Katharine.\n\n'
    assert speakers(text + '"And cold," she went on.')[-1] == ("Katharine", "pronoun")
    assert speakers(text + '"And cold," she said.')[-1] == ("Lucy", "pronoun")
