"""Descriptions near a he/she or a description's tag (branch err11): a walk back through the
narration that passes, nearer than the name it settles on, a sentence about someone of that sex
the text only describes ("Then the third man burst out laughing.") is less sure of that name; a
description's tag right after someone's turn ("'No!' answered Syme. / '...,' said the old man")
is not that one's."""
from __future__ import annotations

from bot.parsing.attribution import ChapterAttributor
from bot.parsing.attribution.result import PRONOUN_MENTIONED, PRONOUN_NARRATED
from bot.parsing.characters import build_lexicon
from bot.parsing.quotations import find_quotes
from tests.pure_parser import pure_parser

# Mr. Syme and Mr. Bull talk; the narration then names Mr. Syme and, after him, a described man.
_TALK = (
    '"Is it far?" said Mr. Syme.\n\n"Not very," said Mr. Bull.\n\n"Then we walk," said Mr. Syme.\n\n'
    '"Wait," said Mr. Bull.\n\n'
)


def _last(text: str) -> tuple[str | None, float, str | None]:
    """The rule readers' speaker, confidence and rule for the last quotation of a one-scene text."""
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    result = ChapterAttributor(build_lexicon(text)).scene(paragraphs, find_quotes(paragraphs))[-1]
    return result.speaker, result.confidence, result.rule


@pure_parser
def test_a_man_described_nearer_than_the_name_makes_the_he_less_sure():
    found = _last(_TALK + (
        "Mr. Syme still feared that all was lost. Then the third man burst out laughing.\n\n"
        '"I am glad you came," he said.\n\n'
    ))
    assert found == ("Mr. Syme", PRONOUN_MENTIONED, "pronoun")


@pure_parser
def test_the_name_alone_or_a_woman_described_leaves_the_he_as_sure():
    # Nobody described: the subject of the narration is the he, as sure as before.
    assert _last(_TALK + "Mr. Syme still feared that all was lost.\n\n" + '"I am glad you came," he said.\n\n') == (
        "Mr. Syme", PRONOUN_NARRATED, "pronoun",
    )
    # A woman described is no he.
    assert _last(_TALK + (
        "Mr. Syme still feared that all was lost. Then the old woman burst out laughing.\n\n"
        '"I am glad you came," he said.\n\n'
    )) == ("Mr. Syme", PRONOUN_NARRATED, "pronoun")


@pure_parser
def test_a_description_a_tag_made_a_speaker_is_that_speaker():
    # "said the old man" made the old man a speaker of this chapter: the walk takes him, as sure
    # as a named subject, and does not pass him for Mr. Syme.
    found = _last(
        '"Is it far?" said Miss Morstan.\n\n"Not very," said the old man.\n\n"Then we walk," said Miss Morstan.\n\n'
        '"Wait," said the old man.\n\n'
        "Mr. Syme came in. Mr. Syme sat down. Then the old man burst out laughing.\n\n"
        '"I am glad you came," he said.\n\n'
    )
    assert found == ("the old man", PRONOUN_NARRATED, "pronoun")


# Miss Morstan and Mr. Bull talk; the narration's subject is Mr. Bull, who then speaks.
_FIRE = (
    '"Is it far?" said Miss Morstan.\n\n"Not very," said Mr. Bull.\n\n'
    "Mr. Bull sat down by the fire.\n\n"
    '"Who are you?" asked Mr. Bull.\n\n'
)


@pure_parser
def test_a_description_s_tag_right_after_a_turn_is_not_that_turn_s_speaker():
    # "asked Mr. Bull. / '...,' said the old man": the old man answers him, he is not Mr. Bull.
    speaker, _, rule = _last(_FIRE + '"Nobody," said the old man.\n\n')
    assert speaker != "Mr. Bull"
    assert (speaker, rule) == ("the old man", "unnamed")


@pure_parser
def test_a_description_that_goes_on_may_be_the_one_who_just_spoke():
    # "continued the old man": the exclusion above does not hold; the walk answers as before.
    speaker, _, rule = _last(_FIRE + '"Nobody at all," continued the old man.\n\n')
    assert (speaker, rule) == ("Mr. Bull", "pronoun")
