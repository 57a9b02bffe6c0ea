"""Who says each quotation by the rules: the chapter's attributor, which reads each paragraph's
tags and beats, resolves pronouns, then settles the exchanges' untagged turns."""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from bot.lazylog import Logger
from bot.parsing.attribution.beats import _PRONOUN_SUBJECT, BeatReader, _listening
from bot.parsing.attribution.decoding import ExchangeDecoder
from bot.parsing.attribution.narration import _Narration, _ParagraphNarration, _Plan
from bot.parsing.attribution.paragraphs import ParagraphReader
from bot.parsing.attribution.pronouns import PronounResolver
from bot.parsing.attribution.result import (
    INHERITED,
    PRONOUN_BEAT,
    PRONOUN_NARRATED,
    PRONOUN_UNSURE,
    Attribution,
)
from bot.parsing.attribution.turns import TurnTaker
from bot.parsing.attribution.vocatives import VocativeReader
from bot.parsing.attribution.words import after_last_speech
from bot.parsing.characters import Lexicon
from bot.parsing.names import GENDERED_NOUNS, PRONOUN_GENDER, TITLES
from bot.parsing.quotations import RawQuote

TYPE_CHECKING = False  # typing's, without loading typing: `parse` starts without it (bot/startup.py)
if TYPE_CHECKING:
    from typing import Final

log = Logger(__name__)

# A paragraph whose last words say its speaker goes on ('"..." She said before continuing more
# softly.'): the next paragraph's untagged speech is theirs. Only manner words may follow the
# verb: "and went on his way" walks off.
_GOES_ON: Final = re.compile(
    r"\b(?:before|then|and|and then) (?:continuing|going on|continued|went on)"
    r"(?:,?\s+(?:more|less|very|much|rather|quite|[a-z]+ly))*\s*[.:,]?\s*$"
)
# Words of narration after the paragraph's last speech that still make one short tag.
_GOES_ON_WORDS: Final = 16
# A paragraph whose last words say someone else speaks next ('"But-" He wanted to protest, but
# Shizune took over.'): the next paragraph's untagged speech is theirs.
_TAKES_OVER: Final = re.compile(
    r"\b((?:(?:" + "|".join(sorted(TITLES)) + r")\.? )?[A-Z][a-z]+(?:-[a-z]+)?) (?:took over|cut in|broke in|spoke up|cut (?:him|her|them) off|interrupted(?: (?:him|her|them))?)"
    r"(?:,?\s+(?:[a-z]+ly))?\s*[.!]?\s*$"
)
# How far after a role's turn, in paragraphs, the scene may first name who the role is, for a
# role that says the text does not know them yet ("the newcomer"; "the cabman" stays unnamed).
_NAMED_AFTER: Final = 8
_UNKNOWN_ROLES: Final = frozenset(
    "newcomer stranger intruder visitor arrival attacker assailant opponent enemy".split()
)


def _goes_on(paragraph: str) -> bool:
    """Whether the narration after a paragraph's last speech is one short tag saying the speaker
    goes on ("She said authoritatively before continuing more softly.")."""
    tail = after_last_speech(paragraph)
    return len(tail.split()) <= _GOES_ON_WORDS and _GOES_ON.search(tail) is not None


def _takes_over(paragraph: str) -> str | None:
    """Who the narration after a paragraph's last speech, one short tag, says speaks next: "but
    Shizune took over.", "Ruth cut in." (as written)."""
    tail = after_last_speech(paragraph)
    if len(tail) == len(paragraph) or len(tail.split()) > _GOES_ON_WORDS:
        return None  # no speech ("And here Margaret interrupted."), or more than a tag
    match = _TAKES_OVER.search(tail)
    return match[1] if match else None


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
        self._excluded: set[str] = set()  # whom the pronoun being resolved cannot be
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
            if results[numbers[0]].unseen:
                continue  # a voice nobody is seen with (unseen.py): no beat, no one going on
            if results[numbers[0]].speaker is None and index and index - 1 not in spoken:
                self._opening_subject(paragraphs[index - 1], [quotes[n] for n in numbers], [results[n] for n in numbers])
                if results[numbers[0]].speaker is None:
                    self._opening_pronoun(paragraphs, index, [quotes[n] for n in numbers], [results[n] for n in numbers], speakers_by_paragraph)
            if results[numbers[0]].speaker is None and (who := speakers_by_paragraph.get(index - 1)) and _goes_on(paragraphs[index - 1]):
                for n in numbers:
                    if results[n].speaker is None:
                        results[n].speaker, results[n].confidence, results[n].rule = who, INHERITED, "same-paragraph"
            elif (
                results[numbers[0]].speaker is None and index
                and (written := _takes_over(paragraphs[index - 1]))
                and (who := self._taker(written)) and self._lexicon.can_speak(who)
                and who != speakers_by_paragraph.get(index - 1)
                and not any(who in self._mentioned(quotes[n].text) for n in numbers)
            ):
                for n in numbers:
                    if results[n].speaker is None:
                        results[n].speaker, results[n].confidence, results[n].rule = who, INHERITED, "same-paragraph"
            if who := results[numbers[0]].speaker:
                speakers_by_paragraph[index] = who
                if gender := self._lexicon.gender.get(who):
                    self._last_of_gender[gender] = who
        self._turn_taking(quotes, results, paragraphs)
        self._carry_chains(paragraphs, quotes, results)
        guessed: dict[int, str] = {}
        for quote, result in zip(quotes, results, strict=True):
            # A he or she nothing else named: the pronoun's own far guess, else the story's leading
            # man or woman.
            if (
                result.speaker is None
                and (who := result.fallback or (result.gender and self._lead(result.gender)))
                and who != result.addressee
            ):
                result.speaker, result.confidence, result.rule = who, PRONOUN_UNSURE, "pronoun"
                guessed.setdefault(quote.paragraph, who)
        for quote, result in zip(quotes, results, strict=True):
            if result.speaker is None and not result.unseen and (who := guessed.get(quote.paragraph)):
                # The rest of that speech's paragraph ('"...," said he. "The Fussells..."').
                result.speaker, result.confidence, result.rule = who, PRONOUN_UNSURE, "same-paragraph"
        return results

    def _carry_chains(self, paragraphs: Sequence[str], quotes: Sequence[RawQuote], results: list[Attribution]) -> None:
        """A he or she the exchange settled (pronoun-turn), or resolved only far back, whose
        narration carries a he (she) back to an earlier speech's is that speech's speaker
        (PronounResolver._chained)."""
        spoken: dict[int, str | None] = {}
        for quote, result in zip(quotes, results, strict=True):
            spoken.setdefault(quote.paragraph, result.speaker)
        for quote, result in zip(quotes, results, strict=True):
            weak = result.rule == "pronoun-turn" or (result.rule == "pronoun" and result.confidence < PRONOUN_NARRATED)
            if not weak or not result.gender:
                continue
            who = self._chained(paragraphs, quote.paragraph, result.gender, spoken)
            if who and who != result.speaker:
                result.speaker, result.confidence, result.rule = who, PRONOUN_NARRATED, "pronoun"

    def _opening_pronoun(
        self, paragraphs: Sequence[str], index: int, quotes: list[RawQuote], results: list[Attribution],
        spoken: dict[int, str],
    ) -> None:
        """'"I will, sensei." He glanced at Sasuke and turned to leave. / He turned his head towards
        Sasuke. / "I hope..."': a narration paragraph opening on a he (she) acting, carried back
        through narration about a he (she) to the speech before (PronounResolver._chained), is a beat
        of that speech's speaker, who goes on."""
        opening = _PRONOUN_SUBJECT.match(paragraphs[index - 1])  # a paragraph opening on a he or she acting
        if not opening or quotes[0].before.strip() or _listening(paragraphs[index - 1]):
            return
        gender = PRONOUN_GENDER[opening[1].lower()]
        earlier: dict[int, str | None] = dict(spoken)
        who = self._chained(paragraphs, index, gender, earlier)
        if not who or any(who in self._mentioned(q.text) for q in quotes) or any(r.addressee == who for r in results):
            return
        for result in results:
            result.speaker, result.confidence, result.rule = who, PRONOUN_BEAT, "pronoun-beat"

    def note_calls(self, paragraphs: Sequence[str], quotes: Sequence[RawQuote], results: Sequence[Attribution]) -> None:
        """What the scene's decided speakers say of roles and titles (read by Lexicon.roles)."""
        self._note_role_calls(quotes, results)
        self._note_role_scenes(paragraphs, quotes, results)
        self._note_title_calls(paragraphs, quotes, results)

    def _note_role_scenes(
        self, paragraphs: Sequence[str], quotes: Sequence[RawQuote], results: Sequence[Attribution]
    ) -> None:
        """'He looked over to see Kakashi watching him. / "Ready to report?" The copy-nin asked. /
        ... "..." Naruto concluded.': a role's turn is likely the one character the narration of
        its paragraph and the one before names, once the turns around it (two paragraphs either
        side) take out their speakers and the speech takes out whom it names. Only characters a
        tag names as speakers count, of the role's sex when it has one (see Lexicon.roles)."""
        lexicon = self._lexicon
        turns: dict[int, tuple[str | None, set[str]]] = {}
        for quote, result in zip(quotes, results, strict=True):
            turn = turns.setdefault(quote.paragraph, (result.speaker, set()))
            turn[1].update(self._names_in_speech(quote.text)[0])
        # Who the scene names up to a paragraph (for _named_after), gathered once as the turns go.
        seen_before: set[str | None] = set()
        seen_upto = 0
        for index, (speaker, named) in turns.items():
            if not speaker or not speaker.startswith("the ") or lexicon.canonical.get(speaker[4:].capitalize()):
                continue
            others = {turns[p][0] for p in range(index - 2, index + 3) if p != index and p in turns} | named
            sex = lexicon.gender.get(speaker) or PRONOUN_GENDER.get(GENDERED_NOUNS.get(speaker[4:], ""))
            left = {
                who
                for p in (index, index - 1) if p >= 0
                for who in self._narration_names(paragraphs, p)
                if who not in others and who in lexicon.speakers and (not sex or lexicon.gender.get(who, sex) == sex)
            }
            if not left and speaker[4:] in _UNKNOWN_ROLES:
                for p in range(seen_upto, index + 1):
                    seen_before.update(self._narration_names(paragraphs, p))
                    if p in turns:
                        seen_before.add(turns[p][0])
                        seen_before |= turns[p][1]
                seen_upto = max(seen_upto, index + 1)
                if later := self._named_after(paragraphs, turns, index, sex, set(seen_before)):
                    left = {later}
            lexicon.role_scenes.setdefault(speaker, Counter())[left.pop() if len(left) == 1 else ""] += 1

    def _taker(self, written: str) -> str | None:
        """The character a take-over names as written ("Mrs. Syme", "Sasuke-kun"), when it is a
        name form of the story's."""
        lexicon = self._lexicon
        if (who := lexicon.canonical.get(written)) is not None:
            return who
        who = lexicon.resolve(written)
        return who if who is not None and who in lexicon.canonical.values() else None

    def _named_after(
        self, paragraphs: Sequence[str], turns: dict[int, tuple[str | None, set[str]]], index: int, sex: str | None,
        seen: set[str | None],
    ) -> str | None:
        """'"How long will you run?" The newcomer mocked. / ... / Arata was not sure he could
        handle Kimimaro.': a role's turn that the narration beside it ties to nobody is likely the
        first person the scene names only after it (within _NAMED_AFTER paragraphs), of the
        role's sex: no narration, speech or turn of the scene named them before, and no turn
        between was theirs. `seen`: whom the scene named up to the turn (the caller's copy, added to)."""
        lexicon = self._lexicon
        for p in range(index + 1, min(len(paragraphs), index + 1 + _NAMED_AFTER)):
            if p in turns:
                seen.add(turns[p][0])
                seen |= turns[p][1]
            for who in reversed(self._narration_names(paragraphs, p)):  # in the order written
                if who not in seen and lexicon.can_speak(who) and (not sex or lexicon.gender.get(who, sex) == sex):
                    return who
                seen.add(who)
        return None

    def _note_role_calls(self, quotes: Sequence[RawQuote], results: Sequence[Attribution]) -> None:
        """'"Sit down, Basil." / "...," said the painter.': whom the speech just before a role's
        turn calls on, when not its own speaker, is likely the role; so is whom the answer right
        after it calls on ('"...!" the genin shouted. / "Arata, that's enough."'). A speech between
        two of the role's turns is both (see Lexicon.roles)."""
        turns: dict[int, tuple[str | None, list[str]]] = {}
        for quote, result in zip(quotes, results, strict=True):
            turn = turns.setdefault(quote.paragraph, (result.speaker, []))
            turn[1].append(quote.text)
        for index, (speaker, _) in turns.items():
            if not speaker or not speaker.startswith("the "):
                continue
            noun = speaker[4:]
            for other in (index - 1, index + 1):
                if other not in turns:
                    continue
                caller, texts = turns[other]
                if caller == speaker:
                    continue
                for text in texts:
                    for called in self._names_in_speech(text)[1]:
                        # "Duchess" calls on a title; an answer may call on anything ("Avenue",
                        # "Mother"), so it counts for a name the text shows to be a person.
                        if called != caller and called.lower() != noun and (
                            other < index or (self._lexicon.evidence[called] and called.lower() not in GENDERED_NOUNS)
                        ):
                            self._lexicon.role_calls.setdefault(speaker, Counter())[called] += 1

    def _note_title_calls(
        self, paragraphs: Sequence[str], quotes: Sequence[RawQuote], results: Sequence[Attribution]
    ) -> None:
        """'"Hokage-sama?" / Sarutobi hmmed. "Follow him."': a title the narration writes with
        "the" ("the Hokage"), that no tag names as a speaker, called on by a speech that the next
        paragraph's named speaker answers, is likely that speaker's title (see Lexicon.roles).

        Only a one-word name the text shows to be a person (it has a sex) and that is no English
        title ("Duchess", "Mr. Martin": the title readers of characters.py know those)."""
        lexicon = self._lexicon
        turns: dict[int, str | None] = {}
        for quote, result in zip(quotes, results, strict=True):
            turns.setdefault(quote.paragraph, result.speaker)
        for quote in quotes:
            answer = turns.get(quote.paragraph + 1)
            if not answer or answer.startswith("the ") or answer == turns[quote.paragraph]:
                continue
            for called in self._names_in_speech(quote.text)[1]:
                if (
                    called == answer or called in lexicon.speakers or called in lexicon.described
                    or " " in called or called not in lexicon.gender or called in TITLES
                    or called.lower() in GENDERED_NOUNS
                ):
                    continue
                written = f"the {called}"  # "the Hokage", not "the Basts"
                if any(_alone_in(paragraph, written) for paragraph in paragraphs):
                    lexicon.title_calls.setdefault(called, Counter())[answer] += 1

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


def _alone_in(text: str, phrase: str) -> bool:
    """Whether `phrase` is in `text` as re's `\\b<phrase>\\b` finds it, a word boundary at both ends,
    without a pattern compiled for each phrase at run time (`parse` loads none of re's compiler,
    bot/precompiled.py)."""
    start = text.find(phrase)
    while start >= 0:
        if _boundary(text, start) and _boundary(text, start + len(phrase)):
            return True
        start = text.find(phrase, start + 1)
    return False


def _boundary(text: str, index: int) -> bool:
    """re's \\b at `index`: a word character (alphanumeric or _, as re reads a str) on one side only."""
    before = index > 0 and (text[index - 1].isalnum() or text[index - 1] == "_")
    after = index < len(text) and (text[index].isalnum() or text[index] == "_")
    return before != after
