"""How question generation reads a story's text: whole-word containment per chapter, paragraphs in
random order, and the story's rare words. Generation never scans a whole story: a stored story
answers from its indexes (bot/store/trivia.py), a parsed one (tests, benches) from memory here.
"""
from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence

from bot.trivia.material import TriviaParagraph

_NORM_RE = re.compile(r"[^0-9a-z]+")
WORD_RE = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*")
RARE_WORD_MAX_COUNT = 2
RARE_WORD_MIN_LEN = 6
# Words too common to be a "distinctive" missing word even when a short story uses them rarely.
COMMON_LONG_WORDS = frozenset(
    """
    about above across actually after again against almost already although always another anyone
    anything around because become before behind being below beside better between beyond cannot
    could during either enough especially everyone everything except finally gotten having himself
    herself however instead itself little maybe might myself nothing nobody other others perhaps
    people please pretty probably quite rather really should simply since something somehow someone
    sometimes still suddenly though thought through together toward towards under unless until upon
    usually whatever whenever where whether which while within without would yourself yourselves
    themselves ourselves looked started turned wanted seemed around asked replied answered
    """.split()
)


def norm(text: str) -> str:
    """Text reduced to lower-case words separated by single spaces, for containment checks."""
    return _NORM_RE.sub(" ", text.casefold()).strip()


def padded_norm(text: str) -> str:
    return f" {norm(text)} "


def contains(padded: str, needle: str) -> bool:
    """Whether `needle`'s words occur, whole, in text already normalized and padded with spaces."""
    n = norm(needle)
    return bool(n) and f" {n} " in padded


def rare_words(texts: Iterable[str]) -> list[str]:
    """Words of the story text that could be a missing word: used at most RARE_WORD_MAX_COUNT times
    (any case), at least RARE_WORD_MIN_LEN letters, never written capitalised (names, places), not
    a common word. Sorted. Reads every paragraph once: a stored story keeps the result."""
    counts: Counter[str] = Counter()
    capitalized: set[str] = set()
    # Distinct spellings first (one regex pass, counted in C), then folded: half the time of
    # folding every word.
    for word, n in Counter(WORD_RE.findall("\n".join(texts))).items():
        folded = word.casefold()
        counts[folded] += n
        if word[0].isupper():
            capitalized.add(folded)
    return sorted(
        w for w, n in counts.items()
        if n <= RARE_WORD_MAX_COUNT and len(w) >= RARE_WORD_MIN_LEN and w.isalpha()
        and w not in capitalized and w not in COMMON_LONG_WORDS
    )


class StoryText:
    """The questions a generator asks of one story's text (never its notes)."""

    def chapters_with(self, needle: str) -> frozenset[int]:
        """The chapters with a paragraph containing `needle`'s words, whole and in order (as
        `contains`). A line quoted over two paragraphs is in none: it proves nothing."""
        raise NotImplementedError

    def prefetch(self, needles: Sequence[str]) -> None:
        """A hint that chapters_with() will be asked about these soon (a store answers them at once)."""

    def paragraphs(self, rng: random.Random) -> Iterator[TriviaParagraph]:
        """The story's paragraphs in a random order, read as far as the caller goes."""
        raise NotImplementedError

    def rare_words(self) -> list[str]:
        """rare_words() of the story's paragraphs."""
        raise NotImplementedError


class ParagraphText(StoryText):
    """A story's text held in memory (a parsed story): each chapter normalized once, on first use."""

    def __init__(self, paragraphs: Sequence[TriviaParagraph]) -> None:
        self._paragraphs = paragraphs
        self._chapter_norm: dict[int, str] | None = None
        self._found: dict[str, frozenset[int]] = {}
        self._rare: list[str] | None = None

    def chapters_with(self, needle: str) -> frozenset[int]:
        key = norm(needle)
        found = self._found.get(key)
        if found is None:
            if self._chapter_norm is None:
                by_chapter: dict[int, list[str]] = {}
                for p in self._paragraphs:
                    by_chapter.setdefault(p.chapter, []).append(p.text)
                # "|" between paragraphs: a needle never matches across two of them.
                self._chapter_norm = {c: "|".join(map(padded_norm, t)) for c, t in by_chapter.items()}
            found = frozenset(
                c for c, text in self._chapter_norm.items() if key and f" {key} " in text
            )
            self._found[key] = found
        return found

    def paragraphs(self, rng: random.Random) -> Iterator[TriviaParagraph]:
        order = list(self._paragraphs)
        rng.shuffle(order)
        return iter(order)

    def rare_words(self) -> list[str]:
        if self._rare is None:
            self._rare = rare_words(p.text for p in self._paragraphs)
        return self._rare
