"""Someone the narration brings in between a call and its answer: '"Naruto, wake up," said Iruka.
/ His father pulled the blanket up. "Let him sleep."' The speech after a call is most often the
answer of the one called, but not when the narration before it has someone else act as its
subject: a relative ("his father", "her aunt"), a group ("the guards", "one of the nurses", "two
soldiers"), someone brought in by an indefinite article ("a tall man in a grey coat"), or another
named character. Then the one called is not taken to answer (the vocative readings of turns.py,
decoding.py and pronouns.py), and the scorer reads it (evidence.py: called_newcomer, newcomer,
none_newcomer). The newcomer is not made a speaker: a description registered as one stays in the
lexicon and draws later exchanges to itself (tried: 30 lines of four PDNC novels lost)."""
from __future__ import annotations

from collections.abc import Sequence

from bot.parsing.attribution.narration import _LEADING, _QUOTED, _Sentence, _sentences
from bot.parsing.attribution.result import Attribution
from bot.parsing.attribution.words import _KIN_TITLES
from bot.parsing.characters import Lexicon
from bot.parsing.names import GENDERED_NOUNS, PRONOUN_GENDER, TITLE_GENDER, bare
from bot.parsing.native import trait
from bot.parsing.quotations import RawQuote

TYPE_CHECKING = False  # typing's, without loading typing: `parse` starts without it (bot/startup.py)
if TYPE_CHECKING:
    from typing import Final

# Nouns for people besides the gendered ones (names.GENDERED_NOUNS), singular; a plural is read
# off them ("guards", "nurses") or is one of _PLURAL_PEOPLE.
_PEOPLE: Final = frozenset(
    """person voice figure guard soldier officer doctor nurse servant waiter waitress driver clerk
    porter priest teacher child policeman newcomer visitor intruder attacker guest medic healer
    sentry watchman shopkeeper innkeeper landlord landlady butler footman cook housekeeper knight
    warrior villager farmer merchant sailor ninja shinobi student pupil friend companion neighbour
    neighbor cousin parent grandparent twin kid baby orderly surgeon physician nun monk messenger
    hunter thief bandit rider horseman official secretary assistant attendant vendor fisherman
    trooper constable detective inspector sergeant warden jailer gaoler beggar peasant scholar
    elder youngster teenager bystander onlooker witness spectator guardsman boatman stranger""".split()
)
_PLURAL_PEOPLE: Final = frozenset("people men women children gentlemen ladies policemen guardsmen horsemen".split())
# Words that bring in someone not there before: "A tall man", "Two soldiers", "Some of the men".
_INDEFINITE: Final = frozenset("a an another some two three four five several many".split())
# "One of the nurses", "Some of his men", "Two of the guards": one or more of a group.
_OF_GROUP: Final = frozenset("one some two three four several many each both".split())
_GROUP_ARTICLES: Final = frozenset("the his her their its our my your".split())
_DESCRIPTION_WORDS: Final = 4  # words from the article to the noun: "a tall man", "an old grey-haired woman"
_SENTENCES_BACK: Final = 3  # sentences of one narration looked back over, latest first


def _person(word: str) -> tuple[bool, bool]:
    """Whether a lower-case word is a noun for a person, and whether it is plural."""
    if word in GENDERED_NOUNS or word in _PEOPLE:
        return True, False
    if word in _PLURAL_PEOPLE:
        return True, True
    if word.endswith("s"):
        singular = word[:-2] if word.endswith("es") and word[:-2] in _PEOPLE else word[:-1]
        if singular in GENDERED_NOUNS or singular in _PEOPLE:
            return True, True
    return False, False


def _noun_phrase(words: list[str], start: int) -> tuple[int, bool] | None:
    """The index of a noun for a person within _DESCRIPTION_WORDS lower-case words from
    words[start] (the words before it adjectives), and whether it is plural."""
    for index in range(start, min(start + _DESCRIPTION_WORDS, len(words))):
        word = words[index]
        noun = bare(word).removesuffix("'s").removesuffix("’s")
        if not noun.islower():
            return None
        person, plural = _person(noun)
        if person:
            return index, plural
        if not word[-1].isalpha() and word[-1] != "-":
            return None  # "a man, old and grey": the phrase stops at a mark
    return None


def described_subject(sentence: str) -> tuple[str, str | None, bool] | None:
    """Someone a sentence opens on as its subject by a description and no name: the description as
    the text gives it ("a tall man", "his father", "the guards", "one of the nurses"), their sex when
    it says it ("M"/"F"), and whether it is indefinite or a group (someone plainly not there
    before, or not one person). None when the sentence does not open on such a description."""
    words = sentence.split(None, 12)
    first = 0
    while first < len(words) - 1 and bare(words[first]).lower() in _LEADING:
        first += 1
    if first >= len(words):
        return None
    opener = bare(words[first]).lower()
    if opener in ("someone", "somebody"):
        return opener, None, True
    if opener in _OF_GROUP and first + 2 < len(words) and words[first + 1] == "of" and bare(words[first + 2]).lower() in _GROUP_ARTICLES:
        found = _noun_phrase(words, first + 3)
        if found and found[1]:
            return " ".join(bare(w).lower() for w in words[first : found[0] + 1]), None, True
        return None
    if opener in _INDEFINITE or opener in _GROUP_ARTICLES or opener == "one":
        found = _noun_phrase(words, first + 1)
        if found is None:
            return None
        end, plural = found
        phrase = " ".join(bare(w).lower() for w in words[first : end + 1]).removesuffix("'s").removesuffix("’s")
        noun = phrase.rsplit(" ", 1)[-1]
        sex = PRONOUN_GENDER[GENDERED_NOUNS[noun]] if noun in GENDERED_NOUNS else None
        indefinite = plural or opener in _INDEFINITE or opener == "one"
        return phrase, sex, indefinite
    return None


@trait  # a mixin of ChapterAttributor (rules.py), which holds the state
class NewcomerReader:
    """Newcomers between a call and its answer for ChapterAttributor (rules.py)."""

    _lexicon: Lexicon

    def _newcomer(
        self, paragraphs: Sequence[str], index: int, quotes: list[RawQuote], by_paragraph: dict[int, list[int]],
        all_quotes: Sequence[RawQuote], results: Sequence[Attribution],
    ) -> tuple[str, bool] | None:
        """Who the narration brings in as the subject of the narration before this paragraph's
        speech, after a speech in the paragraph before (or the one before a short narration
        paragraph) that calls on one person: a description ("his father") or a character's name,
        and whether it is a description; None when there is no call, or the subject is the one called, a caller or a he/she."""
        gap = index - 1 not in by_paragraph
        called_at = index - 2 if gap else index - 1
        earlier = by_paragraph.get(called_at)
        if not earlier or (gap and index - 1 < 0):
            return None
        called: set[str] = set()
        for n in earlier:
            called |= self._names_in_speech(all_quotes[n].text)[1]
        if len(called) != 1:
            return None
        (who_called,) = called
        callers = {results[n].speaker for n in earlier}
        # The narration between the call and the answer, latest first: before the answer's speech
        # in its own paragraph, the short paragraph between, the call's paragraph after its tag.
        narrations = [quotes[0].before]
        if gap:
            narrations.append(paragraphs[index - 1])
        tail = _sentences(all_quotes[earlier[-1]].after.strip())
        narrations.append(" ".join(tail[1:]))  # its first sentence is the call's own tag
        lexicon = self._lexicon
        canonical = lexicon.canonical
        called_sex = lexicon.gender.get(who_called)
        carried: str | None = None  # the sex of a he or she that a later sentence opened on
        for narration in narrations:
            if not narration.strip():
                continue
            for text in _sentences(_QUOTED.sub(" ", narration))[::-1][:_SENTENCES_BACK]:
                sentence = _Sentence(text)
                if sentence.pronoun:
                    # "A tall man stepped out. He shook his head.": a he or she carries on the
                    # subject before, which must then be of that sex; one of the called one's
                    # sex with no subject before it may be the one called.
                    carried = carried or sentence.pronoun
                    continue
                if sentence.subject and (who := canonical.get(sentence.subject)):
                    if who == who_called or who in callers:
                        return None
                    return who, False
                found = described_subject(text.strip())
                if found is None:
                    if sentence.described or sentence.role:
                        return None  # "The old man", "The doctor": may well be the one called
                    continue
                phrase, sex, indefinite = found
                if carried and sex != carried:
                    return None  # "A nurse came in. He opened his eyes.": he is not the nurse
                article = phrase.split(" ", 1)[0]
                if not indefinite:
                    if article == "the" or article in ("this", "that"):
                        return None  # "the boy" may be the one called
                    # "His father", "her aunt": someone else than the one called, unless the
                    # called one is the family's Mr. or Mrs. that a kin tag would name.
                    title = _KIN_TITLES.get(phrase.rsplit(" ", 1)[-1])
                    if title and who_called.split(" ", 1)[0].rstrip(".") == title:
                        return None
                if sex and called_sex == sex and TITLE_GENDER.get(who_called.split(" ", 1)[0].rstrip(".")) == sex and not indefinite:
                    return None
                return phrase, True
            # A narration with no subject in its last sentences says nothing: look further back.
        return None
