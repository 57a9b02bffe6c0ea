"""Trivia question generation from story material: who said it, which story, which chapter, missing word.

Every question has exactly one right answer that the story text proves; candidates that could be
ambiguous are skipped rather than guessed.
"""
from __future__ import annotations

import logging
import math
import random
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from bot.trivia.answers import normalize_answer, typed_answer_matches
from bot.trivia.material import TriviaCharacter, TriviaLine, TriviaStory
from bot.trivia.text import WORD_RE as _WORD_RE
from bot.trivia.text import ParagraphText, StoryText, norm

log = logging.getLogger(__name__)
T = TypeVar("T")

# Who-said questions only use lines whose speaker is this certain. A confidence is the chance of
# being right (calibrated on held-out texts, docs/attribution.md). On the held-out folds of both
# corpora (`python bench/attribution.py --cv`), lines at >= 0.87 were right 96.0% (PDNC) and 96.9%
# (LitBank) of the time and are 54% and 41% of all lines; at >= 0.8 only 93.9% and 94.2%, as the
# 0.8-0.87 lines are about 85% right: a game there would ask one question in sixteen wrongly.
SPEAKER_CONFIDENCE = 0.87
SPEAKING_CONFIDENCE = 0.5  # a character counts as "speaking" with one line at least this certain
MIN_LINE_WORDS = 4  # one-word (and other too-short) lines prove nothing memorable
MAX_EXCERPT_CHARS = 300
MIN_SENTENCE_WORDS = 6
MAX_SENTENCE_WORDS = 40
MAX_OPTION_CHARS = 80  # Discord's button label limit
BLANK = "_____"
MAX_CANDIDATES = 400  # lines or sentences tried per question kind and story
PREFETCH = 16  # lines whose place in the text is asked for at once (one round trip for a stored story)

_SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?…])[\"'”’)]*\s+")
_PLAIN_WORD_RE = re.compile(r"[A-Za-z]+")  # a blank never swallows "'s" or "-kun"
_NAME_TOKEN_STOP = frozenset({"the", "and", "of", "no", "san", "kun", "chan", "sama"})


class QuestionKind(StrEnum):
    WHO_SAID = "who_said"
    WHICH_STORY = "which_story"
    WHICH_CHAPTER = "which_chapter"
    MISSING_WORD = "missing_word"


@dataclass(frozen=True, slots=True)
class TriviaQuestion:
    kind: QuestionKind
    prompt: str  # our own wording, safe to show as is (never names the story: it may be the answer)
    excerpt: str  # story text (untrusted: escape before showing); BLANK marks a missing word
    options: tuple[str, ...]  # two to four labels, each at most MAX_OPTION_CHARS (untrusted)
    answer: int  # index of the right option
    story_id: int
    story_title: str
    chapter: int  # index of the chapter the evidence comes from
    evidence: str  # the story's own text that proves the answer

    @property
    def answer_text(self) -> str:
        return self.options[self.answer]

    @property
    def accepts_typed(self) -> bool:
        """Typed answers make sense only where the answer is a single word from the text."""
        return self.kind is QuestionKind.MISSING_WORD

    def matches_typed(self, guess: str) -> int | None:
        """The option a typed guess names, or None when it names none of them."""
        if typed_answer_matches(guess, self.options[self.answer]):
            return self.answer
        for i, option in enumerate(self.options):
            if typed_answer_matches(guess, option):
                return i
        return None


def _fits_option(text: str) -> str:
    return text if len(text) <= MAX_OPTION_CHARS else text[: MAX_OPTION_CHARS - 1].rstrip() + "…"


class _StoryIndex:
    """Per-story lookups: characters and speaking counts from the lines; the text through its
    StoryText (never scanned here: containment checks and samples go to indexes)."""

    def __init__(self, story: TriviaStory) -> None:
        self.story = story
        self.text: StoryText = story.text or ParagraphText(story.paragraphs)
        self.characters: dict[str, TriviaCharacter] = {c.name: c for c in story.characters}
        self.line_count: Counter[str] = Counter(
            line.speaker
            for line in story.lines
            if line.speaker and line.confidence >= SPEAKING_CONFIDENCE
        )
        for name in self.line_count:
            self.characters.setdefault(name, TriviaCharacter(name))
        self._speakers_of: dict[str, set[str | None]] | None = None
        self._line_chapters: dict[str, set[int]] = defaultdict(set)

    def speakers_of(self, text: str) -> set[str | None]:
        """Which speakers a line text is attributed to (None included): a line said by two
        characters, or also unattributed somewhere, has no single provable speaker."""
        self._index_lines()
        assert self._speakers_of is not None
        return self._speakers_of.get(norm(text), set())

    def line_chapters(self, text: str) -> set[int]:
        """The chapters with a line of this text (the text itself may hold it in more)."""
        self._index_lines()
        return self._line_chapters.get(norm(text), set())

    def _index_lines(self) -> None:
        if self._speakers_of is None:
            self._speakers_of = defaultdict(set)
            for line in self.story.lines:
                key = norm(line.text)
                self._speakers_of[key].add(line.speaker)
                self._line_chapters[key].add(line.chapter)

    def character(self, name: str) -> TriviaCharacter:
        return self.characters.get(name) or TriviaCharacter(name)

    def prominence(self, name: str) -> float:
        c = self.character(name)
        return math.log1p(c.mentions or self.line_count.get(name, 0))

    def proves_line(self, line: TriviaLine) -> bool:
        """The line's text really is in its chapter's story text (so not in a note)."""
        return line.chapter in self.text.chapters_with(line.text)


def _forms_norm(c: TriviaCharacter) -> set[str]:
    return {normalize_answer(f) for f in c.forms if normalize_answer(f)}


def same_person(a: TriviaCharacter, b: TriviaCharacter) -> bool:
    """Whether two characters may be one person under two names ("Naruto" / "Uzumaki Naruto")."""
    fa, fb = _forms_norm(a), _forms_norm(b)
    if fa & fb:
        return True
    for x in fa:
        for y in fb:
            if f" {x} " in f" {y} " or f" {y} " in f" {x} ":
                return True
    return False


def names_itself(line_text: str, c: TriviaCharacter) -> bool:
    """Whether a line names the character (any form, or any significant word of one)."""
    words = set(norm(line_text).split())
    text = f" {norm(line_text)} "
    for form in c.forms:
        nf = norm(form)
        if nf and f" {nf} " in text:
            return True
        if any(len(t) >= 3 and t not in _NAME_TOKEN_STOP and t in words for t in nf.split()):
            return True
    return False


def _plausible_line(line: TriviaLine, index: _StoryIndex) -> bool:
    """The checks on a line that need no story text."""
    words = _WORD_RE.findall(line.text)
    if len(words) < MIN_LINE_WORDS or len(line.text) > MAX_EXCERPT_CHARS:
        return False
    return not (line.speaker and names_itself(line.text, index.character(line.speaker)))


def _eligible_lines(
    index: _StoryIndex, rng: random.Random, keep: Callable[[TriviaLine], bool] = lambda line: True
) -> Iterator[TriviaLine]:
    """Candidate lines that pass `keep` and _plausible_line and that the text proves, asking the
    text about PREFETCH of them at a time."""
    pending = [line for line in _candidates(index.story.lines, rng) if keep(line) and _plausible_line(line, index)]
    for i, line in enumerate(pending):
        if i % PREFETCH == 0:
            index.text.prefetch([later.text for later in pending[i : i + PREFETCH]])
        if index.proves_line(line):
            yield line


def _shuffled(items: Sequence, rng: random.Random) -> list:
    out = list(items)
    rng.shuffle(out)
    return out


def _candidates(items: Sequence[T], rng: random.Random) -> list[T]:
    """A random sample of at most MAX_CANDIDATES: bounds the work on huge or repetitive stories,
    where most candidates fail the uniqueness checks, while leaving plenty for 50 questions."""
    if len(items) <= MAX_CANDIDATES:
        return _shuffled(items, rng)
    return rng.sample(list(items), MAX_CANDIDATES)


def _first(items: Sequence[T], count: int, keep: Callable[[T], bool]) -> list[T]:
    """The first `count` items kept, testing no more than needed (tests can scan whole stories)."""
    out: list[T] = []
    for item in items:
        if len(out) == count:
            break
        if keep(item):
            out.append(item)
    return out


def _with_answer(
    right: str, wrong: Sequence[str], rng: random.Random
) -> tuple[tuple[str, ...], int] | None:
    options = [_fits_option(right), *(_fits_option(w) for w in wrong)]
    if len({o.casefold() for o in options}) != len(options):
        return None
    order = list(range(len(options)))
    rng.shuffle(order)
    shuffled = tuple(options[i] for i in order)
    return shuffled, order.index(0)


def _pick_similar(
    target: float,
    candidates: Sequence[TriviaCharacter],
    weight: Callable[[TriviaCharacter], float],
    count: int,
    rng: random.Random,
    accept: Callable[[TriviaCharacter, list[TriviaCharacter]], bool],
) -> list[TriviaCharacter]:
    """`count` candidates nearest in prominence, picked at random among the nearest few."""
    ranked = sorted(candidates, key=lambda c: (abs(weight(c) - target), c.name))
    pool, rest = ranked[: count + 1], ranked[count + 1 :]
    chosen: list[TriviaCharacter] = []
    for c in [*_shuffled(pool, rng), *rest]:
        if len(chosen) == count:
            break
        if accept(c, chosen):
            chosen.append(c)
    return chosen


def _who_said(index: _StoryIndex, rng: random.Random) -> Iterator[TriviaQuestion]:
    story = index.story
    speaking = [index.character(n) for n in index.line_count]
    for line in _eligible_lines(
        index, rng,
        lambda line: bool(line.speaker) and line.confidence >= SPEAKER_CONFIDENCE
        and index.speakers_of(line.text) == {line.speaker},
    ):
        assert line.speaker is not None
        speaker = index.character(line.speaker)
        others = [c for c in speaking if c.name != speaker.name and not same_person(c, speaker)]

        def distinct(c: TriviaCharacter, chosen: list[TriviaCharacter]) -> bool:
            return not any(same_person(c, o) for o in chosen)

        wrong = _pick_similar(
            index.prominence(speaker.name), others, lambda c: index.prominence(c.name), 3, rng,
            distinct,
        )
        if len(wrong) < 3:
            continue
        picked = _with_answer(speaker.name, [c.name for c in wrong], rng)
        if picked is None:
            continue
        options, answer = picked
        verb = "thought" if line.kind == "thought" else "said"
        yield TriviaQuestion(
            QuestionKind.WHO_SAID, f"Who {verb} this?", line.text, options,
            answer, story.story_id, story.title, line.chapter, line.text,
        )


def _which_story(
    index: _StoryIndex, others: Sequence[_StoryIndex], rng: random.Random
) -> Iterator[TriviaQuestion]:
    story = index.story
    for line in _eligible_lines(index, rng):
        rivals = _first(
            _shuffled(others, rng), 3,
            lambda o, line=line: o.story.title.casefold() != story.title.casefold()
            and not o.text.chapters_with(line.text),
        )
        if not rivals:
            continue
        picked = _with_answer(story.title, [o.story.title for o in rivals], rng)
        if picked is None:
            continue
        options, answer = picked
        yield TriviaQuestion(
            QuestionKind.WHICH_STORY, "Which story is this line from?", line.text, options,
            answer, story.story_id, story.title, line.chapter, line.text,
        )


def _which_chapter(index: _StoryIndex, rng: random.Random) -> Iterator[TriviaQuestion]:
    story = index.story
    if len(story.chapters) < 3:
        return
    # A line also said in all chapters but one cannot have two wrong chapters to offer.
    chapters = len(story.chapters)
    for line in _eligible_lines(index, rng, lambda line: chapters - len(index.line_chapters(line.text)) >= 2):
        holding = index.text.chapters_with(line.text)
        other_chapters = _first(
            _shuffled(range(len(story.chapters)), rng), 3,
            lambda c, holding=holding: c not in holding,
        )
        if len(other_chapters) < 2:
            continue
        chosen = sorted([line.chapter, *other_chapters])
        labels = [_fits_option(story.chapters[c]) for c in chosen]
        if len({label.casefold() for label in labels}) != len(labels):
            continue
        # Chapters read best in story order, so the options are not shuffled.
        yield TriviaQuestion(
            QuestionKind.WHICH_CHAPTER, "Which chapter is this line from?",
            line.text, tuple(labels), chosen.index(line.chapter), story.story_id, story.title,
            line.chapter, line.text,
        )


def _sentences(index: _StoryIndex, rng: random.Random) -> list[tuple[int, str]]:
    """Up to MAX_CANDIDATES sentences of a fitting length from paragraphs taken at random, shuffled."""
    out = []
    for p in index.text.paragraphs(rng):
        if len(out) >= MAX_CANDIDATES:
            break
        for sentence in _SENTENCE_SPLIT_RE.split(p.text):
            sentence = sentence.strip()
            n = len(_WORD_RE.findall(sentence))
            if MIN_SENTENCE_WORDS <= n <= MAX_SENTENCE_WORDS and len(sentence) <= MAX_EXCERPT_CHARS:
                out.append((p.chapter, sentence))
    return _shuffled(out[:MAX_CANDIDATES], rng)


def _suffix_class(word: str) -> str:
    for suffix in ("tion", "ness", "ment", "ing", "ly", "ed", "ous", "ful", "able"):
        if word.endswith(suffix):
            return suffix
    if word.endswith("s") and not word.endswith("ss"):
        return "s"
    return ""


def _single_word_forms(index: _StoryIndex) -> dict[str, TriviaCharacter]:
    """Capitalised one-word names (canonical or alias) mapped to their character."""
    forms: dict[str, TriviaCharacter] = {}
    for c in index.characters.values():
        for f in c.forms:
            if _WORD_RE.fullmatch(f) and f[0].isupper() and len(f) >= 3:
                forms.setdefault(f, c)
    return forms


def _display_name(c: TriviaCharacter) -> str | None:
    for f in c.forms:
        if _WORD_RE.fullmatch(f) and f[0].isupper() and len(f) >= 3:
            return f
    return None


def _missing_word(index: _StoryIndex, rng: random.Random) -> Iterator[TriviaQuestion]:
    story = index.story
    names = _single_word_forms(index)
    name_words = {norm(w) for c in index.characters.values() for f in c.forms for w in f.split()}
    rare_pool = [w for w in index.text.rare_words() if w not in name_words]
    rare_set = set(rare_pool)
    rare_by_suffix: dict[str, list[str]] = defaultdict(list)  # "options of the same kind"
    for w in rare_pool:
        rare_by_suffix[_suffix_class(w)].append(w)
    for chapter, sentence in _sentences(index, rng):
        tokens = list(_PLAIN_WORD_RE.finditer(sentence))
        sentence_words = {norm(t.group()) for t in tokens}
        for match in _shuffled(tokens, rng):
            word = match.group()
            # A word repeated in the sentence would leave a second copy giving the answer away.
            if sum(1 for t in tokens if t.group().casefold() == word.casefold()) != 1:
                continue
            if word in names:
                right = names[word]
                candidates = [
                    c for c in index.characters.values()
                    if not same_person(c, right) and _display_name(c)
                ]

                def fits(
                    c: TriviaCharacter,
                    chosen: list[TriviaCharacter],
                    in_sentence: set[str] = sentence_words,
                    answer: str = word,
                ) -> bool:
                    shown = _display_name(c) or ""
                    return (
                        norm(shown) not in in_sentence
                        and not typed_answer_matches(shown, answer)
                        and not any(same_person(c, o) for o in chosen)
                    )

                wrong_chars = _pick_similar(
                    index.prominence(right.name), candidates,
                    lambda c: index.prominence(c.name), 3, rng, fits,
                )
                wrong = [_display_name(c) or "" for c in wrong_chars]
            elif word in rare_set:
                pool = [
                    w for w in rare_by_suffix[_suffix_class(word)]
                    if w != word and abs(len(w) - len(word)) <= 3
                    and w[:5] != word[:5] and w not in sentence_words
                    and not typed_answer_matches(w, word)
                ]
                wrong = []
                for w in _shuffled(pool, rng):
                    if len(wrong) == 3:
                        break
                    if all(w[:5] != o[:5] for o in wrong):
                        wrong.append(w)
            else:
                continue
            if len(wrong) < 3:
                continue
            blanked = sentence[: match.start()] + BLANK + sentence[match.end():]
            # The text must prove only the right word: no other option completes a real sentence.
            index.text.prefetch([blanked.replace(BLANK, w) for w in wrong])
            if any(index.text.chapters_with(blanked.replace(BLANK, w)) for w in wrong):
                continue
            picked = _with_answer(word, wrong, rng)
            if picked is None:
                continue
            options, answer = picked
            yield TriviaQuestion(
                QuestionKind.MISSING_WORD, "Fill in the missing word.",
                blanked, options, answer, story.story_id, story.title, chapter, sentence,
            )
            break


def generate_questions(
    stories: Sequence[TriviaStory], count: int, *, rng: random.Random | None = None
) -> list[TriviaQuestion]:
    """Up to `count` questions mixing every kind the material allows; never the same text twice."""
    rng = rng or random.Random()
    indexes = [_StoryIndex(s) for s in stories]
    sources: list[Iterator[TriviaQuestion]] = []
    for ix in indexes:
        sources.append(_who_said(ix, rng))
        sources.append(_missing_word(ix, rng))
        sources.append(_which_chapter(ix, rng))
        if len(indexes) >= 2:
            sources.append(_which_story(ix, [o for o in indexes if o is not ix], rng))
    used: set[str] = set()
    questions: list[TriviaQuestion] = []
    while sources and len(questions) < count:
        for source in _shuffled(sources, rng):
            if len(questions) == count:
                break
            for q in source:
                key = norm(q.evidence)
                if key not in used:
                    used.add(key)
                    questions.append(q)
                    break
            else:
                sources.remove(source)
    log.debug("generated %d of %d trivia questions from %d stories", len(questions), count, len(stories))
    return questions
