"""Who says each quotation by the rules: the chapter's attributor, which reads each paragraph's
tags and beats, resolves pronouns, then settles the exchanges' untagged turns."""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence

from bot.parsing.attribution.beats import BeatReader
from bot.parsing.attribution.decoding import ExchangeDecoder
from bot.parsing.attribution.narration import _Narration, _ParagraphNarration, _Plan
from bot.parsing.attribution.paragraphs import ParagraphReader
from bot.parsing.attribution.pronouns import PronounResolver
from bot.parsing.attribution.result import PRONOUN_UNSURE, Attribution
from bot.parsing.attribution.turns import TurnTaker
from bot.parsing.attribution.vocatives import VocativeReader
from bot.parsing.characters import Lexicon
from bot.parsing.quotations import RawQuote

log = logging.getLogger(__name__)


class ChapterAttributor(
    ParagraphReader, BeatReader, PronounResolver, VocativeReader, TurnTaker, ExchangeDecoder
):
    """Attributes the quotations of one scene at a time; each stage's methods live in its module
    (paragraphs, beats, pronouns, vocatives, turns, decoding), the state they share here."""

    def __init__(self, lexicon: Lexicon) -> None:
        self._lexicon = lexicon
        self._speech_names: dict[str, tuple[set[str], set[str]]] = {}
        # The last speaker of each gender in the chapter so far: a "she said" whose speaker the
        # last few paragraphs never name is most often the last woman who spoke.
        self._last_of_gender: dict[str, str] = {}
        self._titled: dict[str, str] = {}  # "count" -> "Count Orlov", from this chapter's tags
        self._declined: str | None = None  # the last pronoun's guess that was not good enough
        self._epithets: dict[str, str] = {}  # "old man" -> whom "said the old man" named in this chapter
        self._leads: dict[str, str | None] = {}  # sex -> the character the tags name most

    def scene(self, paragraphs: Sequence[str], quotes: Sequence[RawQuote]) -> list[Attribution]:
        results = [Attribution() for _ in quotes]
        self._narration_text: dict[int, str] = {}
        self._names_cache: dict[int, list[str]] = {}
        self._sentences_cache: dict[int, _Narration] = {}
        self._tails: dict[int, _Narration | None] = {}
        self._paragraph_narrations: dict[int, _ParagraphNarration] = {}
        self._plans_by_text: dict[tuple[str, str], _Plan] = {}
        self._called_in: dict[int, set[str]] = {}  # paragraph -> whom its speeches call on
        by_paragraph: dict[int, list[int]] = {}
        for number, quote in enumerate(quotes):
            by_paragraph.setdefault(quote.paragraph, []).append(number)
        speakers_by_paragraph: dict[int, str] = {}
        spoken = {p for quote in quotes for p in range(quote.paragraph, quote.last_paragraph + 1)}
        for index, numbers in by_paragraph.items():
            self._paragraph(
                paragraphs, index, [quotes[n] for n in numbers], [results[n] for n in numbers],
                speakers_by_paragraph,
            )
            if results[numbers[0]].speaker is None and index and index - 1 not in spoken:
                self._opening_subject(paragraphs[index - 1], [quotes[n] for n in numbers], [results[n] for n in numbers])
            if who := results[numbers[0]].speaker:
                speakers_by_paragraph[index] = who
                if gender := self._lexicon.gender.get(who):
                    self._last_of_gender[gender] = who
        self._turn_taking(quotes, results, paragraphs)
        guessed: dict[int, str] = {}
        for quote, result in zip(quotes, results, strict=True):
            # A he or she nothing else named: the pronoun's own far guess, else the story's leading
            # man or woman.
            if result.speaker is None and (who := result.fallback or (result.gender and self._lead(result.gender))):
                result.speaker, result.confidence, result.rule = who, PRONOUN_UNSURE, "pronoun"
                guessed.setdefault(quote.paragraph, who)
        for quote, result in zip(quotes, results, strict=True):
            if result.speaker is None and (who := guessed.get(quote.paragraph)):
                # The rest of that speech's paragraph ('"...," said he. "The Fussells..."').
                result.speaker, result.confidence, result.rule = who, PRONOUN_UNSURE, "same-paragraph"
        self._note_role_calls(quotes, results)
        return results

    def _note_role_calls(self, quotes: Sequence[RawQuote], results: list[Attribution]) -> None:
        """'"Sit down, Basil." / "...," said the painter.': whom the speech just before a role's
        turn calls on, when not its own speaker, is likely the role (see Lexicon.roles)."""
        turns: dict[int, tuple[str | None, list[str]]] = {}
        for quote, result in zip(quotes, results, strict=True):
            turn = turns.setdefault(quote.paragraph, (result.speaker, []))
            turn[1].append(quote.text)
        for index, (speaker, _) in turns.items():
            if not speaker or not speaker.startswith("the ") or index - 1 not in turns:
                continue
            previous, texts = turns[index - 1]
            noun = speaker[4:]
            for text in texts:
                for called in self._names_in_speech(text)[1]:
                    if called != previous and called.lower() != noun:  # "Duchess" calls on a title
                        self._lexicon.role_calls.setdefault(speaker, Counter())[called] += 1

    @property
    def lexicon(self) -> Lexicon:
        return self._lexicon

    def narration_names(self, paragraphs: Sequence[str], index: int) -> list[str]:
        """The characters a paragraph's narration names, latest first (this scene's paragraphs)."""
        return self._narration_names(paragraphs, index)

    def speech_names(self, text: str) -> tuple[set[str], set[str]]:
        """Names a quotation mentions, and those it addresses."""
        return self._names_in_speech(text)

    def lead(self, sex: str) -> str | None:
        """The character of that sex the story's tags name most."""
        return self._lead(sex)

    def _lead(self, sex: str) -> str | None:
        """The character of that sex the story's tags name most."""
        if sex not in self._leads:
            genders = self._lexicon.gender
            ranked = sorted(self._lexicon.speakers.items(), key=lambda kv: (-kv[1], kv[0]))
            self._leads[sex] = next((who for who, _ in ranked if genders.get(who) == sex), None)
        return self._leads[sex]
