"""Whom a "he said" or "she said" picks up: the narration before the speech, the one called on,
the exchange's earlier speakers, each way with a confidence that says how it was found."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from bot.parsing.attribution.narration import (
    _QUOTED,
    _names,
    _Narration,
    _ParagraphNarration,
    _Plan,
    _subjects,
)
from bot.parsing.attribution.result import (
    PRONOUN_CALLED,
    PRONOUN_FAR,
    PRONOUN_MENTIONED,
    PRONOUN_NAMED,
    PRONOUN_NARRATED,
    PRONOUN_NEAR,
    PRONOUN_UNSURE,
)
from bot.parsing.attribution.words import after_last_speech
from bot.parsing.characters import Lexicon
from bot.parsing.names import GENDERED_NOUNS, PRONOUN_GENDER
from bot.parsing.native import trait
from bot.parsing.quotations import RawQuote

TYPE_CHECKING = False  # typing's, without loading typing: `parse` starts without it (bot/startup.py)
if TYPE_CHECKING:
    from typing import Final

# How far back a he or she is looked for: paragraphs, and characters of narration.
_LOOKBACK_PARAGRAPHS: Final = 4
_LOOKBACK_CHARS: Final = 600
# Narration after a paragraph's last speech, in words, that makes it more than the speech's tag.
_TAIL_WORDS: Final = 4
# How far back, in paragraphs, narration naming a pronoun's character may lie and still stand
# against turn-taking; further back, the exchange around the speech decides.
_SURE_NARRATION: Final = 2


@trait  # a mixin of ChapterAttributor (rules.py), which holds the state
class PronounResolver:
    """Pronoun resolution for ChapterAttributor (rules.py), over its lexicon and the chapter's and
    scene's caches it keeps."""

    _lexicon: Lexicon
    _last_of_gender: dict[str, str]
    _declined: str | None
    _epithets: dict[str, str]
    _unnamed_seen: list[str]
    _excluded: set[str]

    def _resolve_pronoun(
        self,
        pronoun: str,
        excluded: set[str],
        paragraphs: Sequence[str],
        index: int,
        quote: RawQuote,
        earlier_speakers: dict[int, str],
        described: bool = False,
        owner: bool = False,
    ) -> tuple[str | None, float]:
        """The nearest earlier named character of the pronoun's gender who is not addressed, and a
        confidence that says how the answer was found (each way's measured precision differs).
        `described`: the tag is a description ("the man yelled"), not a he or she. `owner`: the
        he or she is whose relative speaks ("her mother continued"): a sentence opening on a
        relative of that sex does not stop the walk (see _walk_steps)."""
        stops = not owner
        self._excluded = excluded
        gender = PRONOUN_GENDER[pronoun]
        genders = self._lexicon.gender
        canonical = self._lexicon.canonical
        self._declined = None
        self._unnamed_seen: list[str] = []
        unsure: str | None = None  # nearest character whose gender the text never showed

        lexicon = self._lexicon  # a he or she: see Lexicon.tagged (called on it: compiled, a direct call)

        narrator = self._lexicon.narrator

        # The first character of that sex the walks met who speaks only in beats, and how many
        # descriptions they had met before: nearer than any description, they beat it below.
        beat_only: tuple[str, int] | None = None

        def fits(who: str | None) -> bool:
            nonlocal unsure, beat_only
            # The narrator of a first-person story is "I", never "he" or "she".
            if not who or who in excluded or who == narrator:
                return False
            if not lexicon.tagged(who):
                if beat_only is None and genders.get(who) == gender and lexicon.can_speak(who):
                    beat_only = who, len(self._unnamed_seen)
                return False
            if beat_only is not None and not described and who in lexicon.described:
                return False  # a description further back than someone named who acts
            known = genders.get(who)
            if known is None and unsure is None:
                unsure = who
            return known == gender

        before = quote.before[-_LOOKBACK_CHARS:]
        if len(before) > 2:
            who, kind = self._walk(self._plan_of(before, gender), fits, stops)
            if who:
                return who, PRONOUN_NEAR if kind == "subject" else PRONOUN_NAMED
            if kind == "kin":
                return self._decline(None)
        head = quote.start - len(quote.before)
        if head > 2 and len(before) < _LOOKBACK_CHARS:
            # An earlier speech of the paragraph came between: the narration before it still
            # belongs to the same paragraph ('Mrs. Honeychurch was silent. She was thinking, "..."
            # And ... she burst out with:').
            who, kind = self._walk(self._plan_before(paragraphs, index, head, gender), fits, stops)
            if who:
                return who, PRONOUN_NAMED
            if kind == "kin":
                return self._decline(None)
        for name in reversed(_subjects(before) if len(before) > 2 else ()):
            who = canonical.get(name)
            if who and who not in excluded and genders.get(who) is None and lexicon.tagged(who):
                # Someone acting in this very paragraph whose gender the text never showed beats
                # a better-known character from an earlier one: "Mizuki smiled. '...' he asked."
                return who, PRONOUN_NEAR
        unsure = _nobody()  # not narrowed to None: fits() sets it (compiled, it would be checked)
        previous = earlier_speakers.get(index - 1)
        if index:
            # "Are you coming, Tobin?" / '"No," he said.': the one called on answers.
            called = self._called_in.get(index - 1)
            if called is None:
                called = self._called_in[index - 1] = set()
                for speech in _QUOTED.findall(paragraphs[index - 1][-_LOOKBACK_CHARS:]):
                    called |= self._names_in_speech(speech.strip("\"“”"))[1]
            if len(called) == 1 and (who := next(iter(called))) != previous and fits(who):
                return who, PRONOUN_CALLED
        if previous is not None:
            # The last turn ended in narration ('"...," said Mary, and she put her hand on his
            # arm.'): whom that narration is about comes before the other side of the exchange.
            narration = self._tail(paragraphs, index - 1)
            if narration is not None:
                who, kind = self._walk(narration.plan(gender), fits, stops)
                if who:
                    return who, PRONOUN_NARRATED
                if kind == "kin":
                    return self._decline(None)
                if fits(previous) and any(sentence.pronoun == gender for sentence in narration):
                    # '"...," he returned. He sat staring out.' and nobody else of his sex named:
                    # he is still the one who spoke.
                    return previous, PRONOUN_NARRATED
        if previous is not None:
            # In a running exchange the pronoun is the other side of the last turn, not whoever
            # the speeches happened to name. Turn-taking knows the exchange best (measured): the
            # last earlier speaker of that gender but the last is only the guess kept aside.
            for earlier in range(index - 2, max(index - 2 - _LOOKBACK_PARAGRAPHS, -1), -1):
                who = earlier_speakers.get(earlier)
                if who and who != previous and fits(who):
                    return self._decline(who)
        for earlier in range(index - 1, max(index - 1 - _LOOKBACK_PARAGRAPHS, -1), -1):
            who, kind = self._walk(self._read_narration(paragraphs, earlier).plan(gender), fits, stops)
            if kind == "kin":
                return self._decline(None)
            if who and earlier < index - _SURE_NARRATION:
                return self._decline(who)
            if kind == "subject":
                return who, PRONOUN_NARRATED
            speaker = earlier_speakers.get(earlier)
            if who:
                return who, PRONOUN_MENTIONED
            if fits(speaker):
                return speaker, PRONOUN_FAR
        # Nobody near: the last of that sex in the chapter, or someone whose sex is unknown, is
        # right less often than the exchange around the speech.
        if beat_only is not None and not beat_only[1] and self._unnamed_seen and not described:
            # 'The man in front yelled. / Sarutobi looked at the portrait. / Not for the first time
            # he thought...': someone the narration names nearer than the description, who speaks
            # only in beats, is the he before the man.
            return beat_only[0], PRONOUN_MENTIONED
        for form in self._unnamed_seen:
            # "A girl sat on the fence." and nobody named of her sex about: the girl speaks.
            if PRONOUN_GENDER[GENDERED_NOUNS[form.rsplit(" ", 1)[-1]]] == gender:
                article, _, phrase = form.partition(" ")
                if (who := self._unnamed(phrase, article, gender)) not in excluded:
                    return who, PRONOUN_MENTIONED
        return self._decline(who if unsure is None and fits(who := self._last_of_gender.get(gender)) else unsure)

    def _chained(self, paragraphs: Sequence[str], index: int, gender: str, spoken: dict[int, str | None]) -> str | None:
        """'"I will." He said simply... / ...He wondered how Mizuki had done it. / He walked up to
        the guard. "Good evening." He said.': narration paragraphs whose subject stays a he (she),
        naming nobody else of that sex a tag names, lead back to a speech whose own narration
        after it is about a he (she): that speech's speaker is still the one. `spoken` holds the
        speaker of each paragraph with a speech, once the turns are settled."""
        genders = self._lexicon.gender
        tagged = self._lexicon.tagged
        self._unnamed_seen = []  # the walks below keep no one aside

        def fits(who: str | None) -> bool:
            return who is not None and tagged(who) and genders.get(who) == gender

        for earlier in range(index - 1, max(index - 1 - _LOOKBACK_PARAGRAPHS, -1), -1):
            narration = self._tail(paragraphs, earlier) if earlier in spoken else self._read_narration(paragraphs, earlier)
            if (
                narration is None or self._walk(narration.plan(gender), fits)[0]
                or not any(sentence.pronoun == gender for sentence in narration)
            ):
                return None
            if earlier in spoken:
                who = spoken[earlier]
                return who if earlier < index - 1 and fits(who) else None
        return None

    def _unnamed(self, phrase: str, article: str, sex: str) -> str:
        """The speaker a description names ("the girl", "my father") when the chapter ties it to
        nobody named: called as the text first describes them, and a character from then on."""
        who = self._epithets.get(phrase)
        if who is None:
            who = self._epithets[phrase] = f"{'the' if article == 'this' or article == 'that' else article} {phrase}"
            self._lexicon.describe(who, sex)
        return who

    def _decline(self, guess: str | None) -> tuple[None, float]:
        """No answer for a pronoun, the guess kept aside (see Attribution.fallback)."""
        self._declined = guess
        return None, PRONOUN_UNSURE

    def _plan_of(self, narration: str, gender: str) -> _Plan:
        """The walk plan of a short narration; the same tag text ('he said.') is read once."""
        plan = self._plans_by_text.get((narration, gender))
        if plan is None:
            plan = self._plans_by_text[narration, gender] = _Narration(narration).plan(gender)
        return plan

    def _plan_before(self, paragraphs: Sequence[str], index: int, head: int, gender: str) -> list[tuple[str, str]]:
        """The walk plan of a paragraph's narration in the _LOOKBACK_CHARS before `head`."""
        found = self._paragraph_narrations.get(index)
        if found is None:
            found = self._paragraph_narrations[index] = _ParagraphNarration(paragraphs[index])
        return found.plan_between(max(0, head - _LOOKBACK_CHARS), head, gender, self._plan_of)

    def _tail(self, paragraphs: Sequence[str], index: int) -> _Narration | None:
        """The narration after a paragraph's last speech, when it is more than the speech's tag."""
        if index not in self._tails:
            tail = after_last_speech(paragraphs[index])
            self._tails[index] = _Narration(tail[-_LOOKBACK_CHARS:]) if len(tail.split()) > _TAIL_WORDS else None
        return self._tails[index]

    def _narration(self, paragraphs: Sequence[str], index: int) -> str:
        """A paragraph's narration, its speeches blanked: only its end, since reading all of a
        long paragraph for every tag would make one huge paragraph cost once per quotation."""
        text = self._narration_text.get(index)
        if text is None:
            # Blanked whole, then cut: cut first, a window opening inside a speech would take
            # the speeches for narration and the narration for speeches.
            paragraph = paragraphs[index]
            if "“" in paragraph:
                paragraph = _QUOTED.sub(" ", paragraph)
            elif '"' in paragraph:
                # Straight marks only: _QUOTED's matches run from each odd mark to the next (or
                # to the end), so its blanking keeps the pieces between them (a plain split is
                # cheaper than the pattern's scan).
                pieces = paragraph.split('"')
                paragraph = " ".join(pieces[::2]) + (" " if len(pieces) % 2 == 0 else "")
            text = self._narration_text[index] = paragraph[-_LOOKBACK_CHARS:]
        return text

    def _read_narration(self, paragraphs: Sequence[str], index: int) -> _Narration:
        """A paragraph's narration sentences, each read once, latest first."""
        found = self._sentences_cache.get(index)
        if found is None:
            found = self._sentences_cache[index] = _Narration(self._narration(paragraphs, index))
        return found

    def _walk(
        self, plan: Iterable[tuple[str, str]], fits: Callable[[str | None], bool], kin_stops: bool = True
    ) -> tuple[str | None, str | None]:
        """Back through narration (its walk plan, see _walk_plan) for whom a he/she picks up: the
        subject of a sentence, else a name in one whose subject is nobody of that sex. Returns the
        character and "subject" or "mention"."""
        canonical = self._lexicon.canonical
        epithets = self._epithets
        genders = self._lexicon.gender
        for kind, form in plan:
            if kind == "kin":
                if kin_stops:
                    return None, "kin"  # "His brother looked after him.": see _walk_steps
                continue
            if kind == "role":
                # "The mariner was suddenly very red": the mariner, when the tags made one a speaker.
                if who := epithets.get(form):  # a role a tag of this chapter made a speaker
                    if fits(who) or (kin_stops and who not in genders and who not in self._excluded):
                        return who, "subject"
                continue
            if kind == "unnamed":
                # Someone the text has not named: kept aside in case no named character fits.
                self._unnamed_seen.append(form)
                continue
            # "The old man sighed." of the old man the tags named
            who = epithets.get(form) if kind == "described" else canonical.get(form)
            if fits(who):
                return who, "mention" if kind == "mention" else "subject"
        return None, None

    def _narration_names(self, paragraphs: Sequence[str], index: int) -> list[str]:
        """The characters a paragraph's narration names, latest first (read once per paragraph)."""
        found = self._names_cache.get(index)
        if found is None:
            canonical = self._lexicon.canonical
            # A form the lexicon knows ends in one of its name words (a title's form too).
            names = _names(self._narration(paragraphs, index), self._lexicon.name_words())
            found = [who for name in reversed(names) if (who := canonical.get(name))]
            self._names_cache[index] = found
        return found


def _nobody() -> str | None:
    """None, typed `str | None` (typing.cast without typing, which `parse` does not load)."""
    return None
