"""Narration sentences: their subjects and the names in them, and the walk plans a he or she is
resolved through (latest sentence first), each sentence read once."""
from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator

from bot.parsing.attribution.words import (
    _ABBREVIATIONS,
    _ARTICLES,
    _DESCRIPTION_WORDS,
    _SENTENCE_CHARS,
    _SUBORDINATORS,
    _read_name,
)
from bot.parsing.names import CAPITALISED, GENDERED_NOUNS, PRONOUN_GENDER, TITLES, bare, titled

TYPE_CHECKING = False  # typing's, without loading typing: `parse` starts without it (bot/startup.py)
if TYPE_CHECKING:
    from typing import Final

_POSSESSIVE_END: Final = re.compile(r"['’]s$")
# "Mizuki smiled" and "Mizuki's smile was": both show Mizuki doing something.
_CAPITALISED_BEFORE_WORD: Final = re.compile(r"[A-Z][a-z]+(?:-[a-z]+)?(?:['’]s)?(?= [a-z]|, )")
# A speech in narration, closed or running on to the end of the text.
_QUOTED: Final = re.compile(r"\"[^\"]*\"?|“[^”]*”?")
# A he or she anywhere in a sentence: \b[Ss]he\b and \b[Hh]e\b, opening on the letter (the
# lookbehind then stands for the \b) so the engine skips ahead instead of trying every position.
_SHE: Final = re.compile(r"[Ss](?<!\w[Ss])he\b")
_HE: Final = re.compile(r"[Hh](?<!\w[Hh])e\b")
_SENTENCE_BREAK: Final = re.compile(r"[.!?;]+[\"”’')_]*\s+")
_LEADING: Final = frozenset("and but then so yet now still".split())
_SUBJECT_WORDS: Final = 16
# "His brother looked after him", "her mother continued": a relative opening a sentence is its
# subject, someone other than the he or she the possessive stands for.
_KIN_NOUNS: Final = frozenset(
    "father mother husband wife brother sister son daughter uncle aunt nephew niece grandfather grandmother "
    "papa mamma mama".split()
)
_OWNERS: Final = frozenset(("his", "her"))
_CLAUSE_SUBJECT_WORDS: Final = 30  # a sentence that opens on a clause or two


def _subjects(text: str) -> list[str]:
    """Capitalised words that open a sentence or clause and are followed by a lower-case word."""
    found = []
    for match in _CAPITALISED_BEFORE_WORD.finditer(text):
        start = match.start()
        if title := _title_before(text, start):
            # "Mrs. Vane winced": the titled name, whatever came before the title.
            before = text[max(0, title[1] - 4) : title[1]].rstrip(" \"”’'")
            if not before or before[-1] in ".!?…,;":
                found.append(titled(title[0], match[0]))
            continue
        if text[max(0, start - 4) : start] in ("The ", "the "):
            start -= 4  # "The Professor seized Syme": a title or role the text uses as a name
        before = text[max(0, start - 4) : start].rstrip(" \"”’'")
        if not before or before[-1] in ".!?…,;":
            found.append(match[0])
    return found


def _title_before(text: str, start: int) -> tuple[str, int] | None:
    """The title right before a capitalised word at start ("Mrs. " of "Mrs. Vane"), and where
    it begins; plain string checks, as this runs for every capitalised word."""
    if start < 3 or text[start - 1] != " ":
        return None
    begin = text.rfind(" ", max(0, start - 10), start - 1) + 1
    if begin == 0 and start - 1 > 9:
        return None
    word = text[begin : start - 1]
    title = word[:-1] if word.endswith(".") else word
    if title in TITLES and (begin == 0 or not text[begin - 1].isalnum()):
        return title, begin
    return None


def _names(text: str, only: frozenset[str] | None = None) -> list[str]:
    """Capitalised words in order, with the title before them if any ("Mrs. Vane"); `only`, when
    given, keeps just the words in it (the last words of the forms the caller can look up)."""
    found: list[str] = []
    words: list[str] = CAPITALISED.findall(text)
    if only is not None and only.isdisjoint(words):
        return found
    end = 0
    for word in words:
        # Where the word is, without match objects: the first place from the last word's end
        # that holds it (CAPITALISED would have matched at any earlier one).
        start = text.find(word, end)
        end = start + len(word)
        if only is not None and word not in only:
            continue
        if word in TITLES and text[end : end + 3].lstrip(". ")[:1].isupper():
            continue  # "Mrs" of "Mrs. Vane"; "the Professor" alone is someone
        if title := _title_before(text, start):
            found.append(titled(title[0], word))
        else:
            found.append(word)
    return found


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    """Where a narration's sentences start and end, a title's full stop ending none ("Mrs. Barry")."""
    found: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_BREAK.finditer(text):
        if text[max(0, match.start() - 4) : match.start()].rsplit(" ", 1)[-1] in _ABBREVIATIONS:
            continue
        found.append((start, match.start() + 1))
        start = match.end()
    if start < len(text):
        found.append((start, len(text)))
    return found


def _sentences(text: str) -> list[str]:
    """A narration's sentences."""
    return [text[start:end] for start, end in _sentence_spans(text)]


def _blank_speech(text: str) -> str:
    """The text with every speech blanked to spaces of its own length, so offsets still hold."""
    return _QUOTED.sub(lambda match: " " * len(match[0]), text)


def _last_sentence(narration: str) -> str:
    """The last sentence of the narration before a speech, other speeches in it blanked."""
    return (_sentences(_QUOTED.sub(" ", narration[-_SENTENCE_CHARS:])) or [""])[-1]


class _Sentence:
    """Who a narration sentence is about: its subject (a name's form, or a pronoun's sex "M"/"F"),
    and, read only when asked for, the other names in it in order, owners ("Anne's words") apart."""

    __slots__ = ("_carried", "_names", "article", "described", "pronoun", "role", "subject", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.subject: str | None = None
        self.pronoun: str | None = None
        self.described: str | None = None  # "old man" of "The old man sighed", "A girl sat"
        self.article: str | None = None  # the word before it: "the", "a", "my"...
        self.role: str | None = None  # "mariner" of "The mariner stared": a role, maybe a speaker's
        self._names: tuple[list[str], list[str]] | None = None
        self._carried: str | None = None
        words = text.split(None, _SUBJECT_WORDS)  # the subject is near the start
        first = 0
        while first < len(words) - 1 and bare(words[first]).lower() in _LEADING:
            first += 1
        if first < len(words) and bare(words[first]).lower() in _SUBORDINATORS:
            # The subject follows the clause: "When ..., Jane said"; after several clauses ("But
            # as ..., and as Katharine receded ..., Mrs. Milvain had"), the first comma a name or
            # a he/she follows.
            words = text.split(None, _CLAUSE_SUBJECT_WORDS)
            commas = [i for i in range(first, len(words) - 1) if words[i][-1] == ","]
            comma: int | None
            for comma in commas:
                following = bare(words[comma + 1])
                if following.lower() in ("he", "she") or (following[:1].isupper() and _read_name(words, comma + 1)[0]):
                    break
            else:
                comma = commas[0] if commas else None
            if comma is not None:
                first = comma + 1
        if first < len(words):
            word = bare(words[first])
            if word.lower() in _OWNERS and (kin := _kin_after(words, first + 1)):
                self.described = kin  # "His brother looked after him": the brother, not him
                self.article = word.lower()
            elif word in ("He", "he", "His", "his", "Him", "him"):
                self.pronoun = "M"
            elif word in ("She", "she", "Her", "her"):
                self.pronoun = "F"
            else:
                name, _ = _read_name(words, first + (word == "The" and first + 1 < len(words)))
                if name:
                    self.subject = name[:-2] if name.endswith(("'s", "’s")) else name
                elif word.lower() in _ARTICLES:
                    phrase = []
                    for following in words[first + 1 : first + 1 + _DESCRIPTION_WORDS]:
                        phrase.append(_POSSESSIVE_END.sub("", bare(following).lower()))
                        if not following[-1].isalpha() or phrase[-1] in GENDERED_NOUNS:
                            break
                    if phrase and phrase[-1] in GENDERED_NOUNS:
                        self.described = " ".join(phrase)
                        self.article = word.lower()
                    elif (
                        word == "The" and len(words) > first + 2 and words[first + 1].isalpha()
                        and words[first + 1].islower() and words[first + 2][:1].islower()
                    ):
                        self.role = words[first + 1]

    def carried(self) -> str:
        """The sexes ("M", "F") of a he or she the sentence has before any name."""
        if self._carried is None:
            first_name = CAPITALISED.search(self.text, 1)
            head = self.text if first_name is None else self.text[: first_name.start()]
            self._carried = ("F" if _SHE.search(head) else "") + ("M" if _HE.search(head) else "")
        return self._carried

    def names(self) -> tuple[list[str], list[str]]:
        """The names in the sentence, and apart the owners."""
        if self._names is None:
            others: list[str] = []
            owners: list[str] = []
            for form in _names(self.text):
                if form.endswith(("'s", "’s")):
                    owners.append(form[:-2])
                else:
                    others.append(form)
            self._names = (others, owners)
        return self._names


def _kin_after(words: list[str], index: int) -> str | None:
    """The relative a possessive opens on ("brother" of "His brother", "his elder brother",
    "her mother's"), if the next words are one."""
    for position in range(index, min(index + 2, len(words))):
        word = words[position]
        noun = _POSSESSIVE_END.sub("", bare(word).lower())
        if noun in _KIN_NOUNS:
            return noun
        if not word.isalpha() or not word.islower():
            return None
    return None


def _walk_steps(sentences: Iterable[_Sentence], gender: str) -> Iterator[tuple[str, str]]:
    """Whom a he/she of that sex could pick up from narration sentences (latest first), in the
    order a walk tries them: ("subject", name form), ("described", phrase), ("mention", form)."""
    for sentence in sentences:
        if sentence.subject:
            yield "subject", sentence.subject
        if sentence.described:
            if sentence.article in _OWNERS:
                # "His brother looked after him. '...,' he said": the he is likelier the brother,
                # whom no name gives, than anyone named further back: the walk stops there.
                if PRONOUN_GENDER[GENDERED_NOUNS[sentence.described]] == gender:
                    yield "kin", f"{sentence.article} {sentence.described}"
            else:
                yield "described", sentence.described
                yield "unnamed", f"{sentence.article} {sentence.described}"
        if sentence.role:
            yield "role", sentence.role
        if sentence.pronoun == gender or gender in sentence.carried():
            # "The hostility which she had divined in Mary's tone had gone": a she before any
            # name carries on an earlier sentence's, and the names after her are not her.
            continue
        others, owners = sentence.names()
        for form in others:
            yield "mention", form
        for form in owners:
            yield "mention", form


def _walk_plan(sentences: Iterable[_Sentence], gender: str) -> list[tuple[str, str]]:
    """The whole walk plan of narration sentences (see _walk_steps)."""
    return list(_walk_steps(sentences, gender))


class _Plan:
    """A walk plan worked out only as far as walks go into it: most walks stop at the latest
    sentence or two, and the sentences before those need not be read at all."""

    __slots__ = ("_more", "_steps")

    def __init__(self, steps: Iterator[tuple[str, str]]) -> None:
        self._steps: list[tuple[str, str]] = []
        self._more: Iterator[tuple[str, str]] | None = steps

    def __iter__(self) -> Iterator[tuple[str, str]]:
        steps = self._steps
        yield from steps
        if self._more is not None:
            # Each step is kept before it is handed out: a walk that stops here leaves the plan
            # read exactly that far, and the next walk goes on from there.
            for step in self._more:
                steps.append(step)
                yield step
            self._more = None


class _Narration:
    """A narration's sentences, latest first, each read the first time a walk reaches it; and
    per sex, what a walk through them would try (a paragraph is walked for many speeches)."""

    __slots__ = ("_plans", "_read", "_texts")

    def __init__(self, text: str) -> None:
        self._texts = _sentences(text)
        self._texts.reverse()
        self._read: list[_Sentence] = []
        self._plans: dict[str, _Plan] = {}

    def plan(self, gender: str) -> _Plan:
        found = self._plans.get(gender)
        if found is None:
            found = self._plans[gender] = _Plan(_walk_steps(self, gender))
        return found

    def __iter__(self) -> Iterator[_Sentence]:
        read = self._read
        for position, text in enumerate(self._texts):
            if position == len(read):
                read.append(_Sentence(text))
            yield read[position]


class _ParagraphNarration:
    """A whole paragraph's narration, split and read once, for walks that end at any of its
    speeches: a paragraph of a thousand '"...," he said.' must not be read a thousand times."""

    __slots__ = ("_plans", "_read", "_spans", "_text")

    def __init__(self, paragraph: str) -> None:
        self._text = _blank_speech(paragraph)
        self._spans = _sentence_spans(self._text)
        # per sex: (sentence positions, their plans), only for sentences with something to try
        self._plans: dict[str, tuple[list[int], list[list[tuple[str, str]]]]] = {}
        self._read: list[_Sentence] | None = None

    def plan_between(
        self, low: int, high: int, gender: str, plan_of: Callable[[str, str], Iterable[tuple[str, str]]]
    ) -> list[tuple[str, str]]:
        """The walk plan of the narration between two offsets, latest first: whole sentences from
        the paragraph's plans, a sentence the window cuts read again as cut (with plan_of)."""
        spans = self._spans
        if gender not in self._plans:
            positions: list[int] = []
            plans: list[list[tuple[str, str]]] = []
            if self._read is None:
                self._read = [_Sentence(" ".join(self._text[start:end].split())) for start, end in spans]
            for position, sentence in enumerate(self._read):
                if steps := _walk_plan((sentence,), gender):
                    positions.append(position)
                    plans.append(steps)
            self._plans[gender] = (positions, plans)
        positions, plans = self._plans[gender]
        last = bisect_left(spans, (high, high)) - 1  # the last sentence starting before high
        first = bisect_left(spans, (low, low))  # the first starting at or after low
        plan: list[tuple[str, str]] = []
        if last >= 0 and spans[last][1] > high:
            plan += plan_of(self._text[max(spans[last][0], low) : high], gender)
            last -= 1
        for number in range(bisect_left(positions, last + 1) - 1, -1, -1):
            if positions[number] < first:
                break
            plan += plans[number]
        if first > 0 and spans[first - 1][1] > low and first - 1 <= last:
            plan += plan_of(self._text[low : spans[first - 1][1]], gender)
        return plan
