"""Reading a person or a speech verb from a few words of a tag or a sentence: a name with its
title, "her mother", "the count", "the old man", "said" or "went on"."""
from __future__ import annotations

import re

from bot.parsing.names import GENDERED_NOUNS, TITLES, bare, titled
from bot.parsing.verbs import PHRASAL, SPEECH_VERBS

TYPE_CHECKING = False  # typing's, without loading typing: `parse` starts without it (bot/startup.py)
if TYPE_CHECKING:
    from typing import Final

_DETERMINERS: Final = frozenset(("a", "an", "the"))
# Words that open a description of someone the narration is about: "The old man", "A girl", "My
# father"; "A man's voice" is about the man.
_ARTICLES: Final = frozenset(("the", "a", "an", "one", "my", "this", "that"))
_POSSESSIVES: Final = frozenset(("his", "her", "their", "my", "our", "your"))
_DESCRIPTION_WORDS: Final = 4
# What follows a speech verb that says nobody spoke: "she said nothing", "he answered not a word".
_SILENT: Final = frozenset("nothing no not none".split())
# Words that end a tag's subject and go on with the sentence: "said the count, smiling", "said the count as he".
_CLAUSE_WORDS: Final = frozenset("and as with to in at while who, but then".split())
# How far back the sentence a tag or a lead-in ends may start, in characters.
_SENTENCE_CHARS: Final = 500
# Abbreviations whose full stop ends no sentence ("Mrs. Elton").
_ABBREVIATIONS: Final = frozenset("Mr Mrs Ms Dr St Mme Mlle".split())
_DASHES: Final = re.compile("--|—|–")
# Lower-case particles of a family name after a title: "Mr. van der Luyden".
_PARTICLES: Final = frozenset("van von der den de du della di da le la".split())
# Words that open a clause leading into a sentence's subject: "When they had gone, Jane said".
_SUBORDINATORS: Final = frozenset("when as while after before though although if since until once seeing having being".split())
# The title a relative has under the family name: "her mother" of Elizabeth Bennet is Mrs. Bennet.
_KIN_TITLES: Final = {"mother": "Mrs", "mamma": "Mrs", "mama": "Mrs", "wife": "Mrs",
               "father": "Mr", "papa": "Mr", "husband": "Mr"}


def after_last_speech(paragraph: str) -> str:
    """The narration after a paragraph's last closing double quotation mark (all of it if none)."""
    return paragraph[max(paragraph.rfind('"'), paragraph.rfind("”")) + 1 :]


def _is_verb(word: str) -> bool:
    return bare(word).lower() in SPEECH_VERBS


def _verb_end(words: list[str], index: int) -> int | None:
    """Index after a speech verb at words[index] ("said", "went on"), or None when there is none."""
    if index >= len(words):
        return None
    word = bare(words[index]).lower()
    if word in ("had", "has") and index + 1 < len(words) and words[index][-1].isalpha():
        return _verb_end(words, index + 1)  # '"...," she had whispered.'
    particle = PHRASAL.get(word)
    if particle and index + 1 < len(words) and bare(words[index + 1]).lower() == particle:
        return index + 2
    if word not in SPEECH_VERBS or (
        index + 1 < len(words) and words[index][-1].isalpha() and bare(words[index + 1]).lower() in _SILENT
    ):
        return None  # "Catherine said nothing."
    return index + 1


def _adverb(word: str) -> bool:
    return word.endswith("ly") and word.islower()


def _read_name(words: list[str], index: int) -> tuple[str | None, int]:
    """A name starting at words[index] (with a title if any), and the index after it."""
    if index >= len(words):
        return None, index
    word = words[index]
    if "-" in word or "—" in word or "–" in word:
        word = _DASHES.split(word, 1)[0]  # "Emma--quite confirmed": the name ends at a dash
    word = bare(word)
    if word.rstrip(".") in TITLES and index + 1 < len(words):
        end = index + 1
        while end < len(words) - 1 and words[end] in _PARTICLES:
            end += 1  # "Mr. van der Luyden"
        if end > index + 1 and bare(words[end])[:1].isupper():
            return titled(word, " ".join([*words[index + 1 : end], bare(words[end])])), end + 1
        following = bare(words[index + 1])
        if following[:1].isupper():
            # "Mr. John Knightley": a second capitalised word belongs to the name unless a
            # punctuation mark ended the first.
            if (
                index + 2 < len(words)
                and words[index + 1][-1].isalpha()
                and bare(words[index + 2])[:1].isupper()
                and bare(words[index + 2])[1:2].islower()
            ):
                return titled(word, f"{following} {bare(words[index + 2])}"), index + 3
            return titled(word, following), index + 2
    if word[:1].isupper() and word[1:2].islower():
        return word, index + 1
    return None, index


def _kin(words: list[str], index: int) -> str | None:
    """'her mother', 'his wife' at words[index]: a relative the family name can find."""
    if index + 1 < len(words) and bare(words[index]).lower() in ("his", "her"):
        if (noun := bare(words[index + 1]).lower()) in _KIN_TITLES:
            return f"{bare(words[index]).lower()} {noun}"
    return None


# Gendered nouns that say how a person relates to another or how old they are, never a title
# one character holds through a story ("the lad" is one boy here and another there).
_RELATIONS: Final = frozenset(
    """man woman lady gentleman girl boy lad fellow youth son daughter father mother husband wife
    brother sister uncle aunt nephew niece grandfather grandmother papa mamma mama sir master
    mistress maid widow""".split()
)


def _gendered_role(words: list[str], index: int) -> str | None:
    """'the count' at words[index], ending the phrase: a gendered noun that may be a character's
    title ("the count", "the duchess"); a plain he or she when the story has no such character."""
    if index + 1 >= len(words) or bare(words[index]).lower() != "the":
        return None
    noun = bare(words[index + 1])
    if noun not in GENDERED_NOUNS or noun in _RELATIONS:
        return None
    if index + 2 < len(words) and words[index + 1][-1].isalpha() and words[index + 2].islower():
        if words[index + 2] not in _CLAUSE_WORDS and not _adverb(words[index + 2]) and not _verb_end(words, index + 2):
            return None  # "the man with the beard": a longer description
    return noun


# Relatives the text follows together, where either may be whose "her mother" is meant.
_CLOSE_KIN: Final = frozenset(("sister", "brother", "daughter", "mother"))


def _with_epithet(pronoun: str, words: list[str], index: int) -> str:
    """he/she, and after a "|" the description that gave it and its article ("he|old man|the"),
    when it is one a chapter may keep using for the same person ("the old man", "my father", not
    "his father"); or after a "^"
    the pronoun of whose relative the speaker is ("she^she" for "her aunt": not whoever "her" is)."""
    if (first := bare(words[index]).lower()) in ("his", "her"):
        nouns = (bare(word).lower() for word in words[index + 1 : index + 1 + _DESCRIPTION_WORDS])
        if next((noun for noun in nouns if noun in GENDERED_NOUNS), "") in _CLOSE_KIN:
            return pronoun
        return f"{pronoun}^{'he' if first == 'his' else 'she'}"
    if first not in _ARTICLES:
        return pronoun
    phrase = []
    for word in words[index + 1 : index + 1 + _DESCRIPTION_WORDS]:
        phrase.append(bare(word).lower())
        if phrase[-1] in GENDERED_NOUNS:
            return f"{pronoun}|{' '.join(phrase)}|{first}"
    return pronoun


def _description(words: list[str], index: int) -> str | None:
    """he/she for a short gendered description at words[index]: 'the old man', 'her father'."""
    if index >= len(words) or bare(words[index]).lower() not in _DETERMINERS | _POSSESSIVES:
        return None
    for end in range(index + 1, min(index + 1 + _DESCRIPTION_WORDS, len(words))):
        word = words[end]
        noun = bare(word)
        if not noun.islower():
            return None
        if noun in GENDERED_NOUNS:
            return GENDERED_NOUNS[noun]
        if not word[-1].isalpha():
            return None
    return None
