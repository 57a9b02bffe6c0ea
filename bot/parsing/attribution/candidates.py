"""Who could have said each quotation of a scene: the rules' answer and their guess kept aside,
the exchange's recent speakers, the characters the narration around it names, whom the speech
before it calls on, and the narrator."""
from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.parsing.attribution.result import Attribution
from bot.parsing.attribution.turns import EXCHANGE_BREAK
from bot.parsing.characters import Lexicon
from bot.parsing.quotations import RawQuote

TYPE_CHECKING = False  # typing's, without loading typing: `parse` starts without it (bot/startup.py)
if TYPE_CHECKING:
    from typing import Final

# More rarely holds the right speaker when the first eight do not (measured on both corpora), and
# every candidate costs a feature row.
MAX_CANDIDATES: Final = 8
# Narration names per paragraph looked at, latest first.
NAMES_PER_PARAGRAPH: Final = 3
# Turns of the exchange looked back over.
TURNS_BACK: Final = 3
# Rules that read the speaker's name (or "I") in a tag.
NAMED_BY_TAG: Final = frozenset(("explicit", "narrator", "explicit-far", "role", "kin", "unnamed"))


def untagged(result: Attribution) -> bool:
    """Whether no tag of its own names the quotation's speaker or says their sex."""
    return result.rule not in NAMED_BY_TAG and result.gender is None
_FAR: Final = 99  # an exchange no tag names anyone in


class TurnContext:
    """What every speech of a turn shares (a plain class: compiled, it is made without calling
    the Python __init__ a dataclass writes)."""

    __slots__ = ("here", "here_set", "offered", "previous", "previous2")

    def __init__(
        self, offered: list[str], here: list[str], here_set: frozenset[str], previous: frozenset[str],
        previous2: frozenset[str],
    ) -> None:
        self.offered = offered  # candidates from the exchange and the narration, in order, each once
        self.here = here  # names the turn's own narration gives, latest first
        self.here_set = here_set
        self.previous = previous  # names the paragraph before gives
        self.previous2 = previous2


class SceneView:
    """What the evidence readers need of a scene, worked out once: its turns (paragraphs that
    hold speech, in order), each turn's speaker by the rules, and cached readers of narration and
    speech. (A plain class: compiled, it is made without the Python __init__ a dataclass
    writes, and importing it costs no dataclass processing.)"""

    paragraphs: Sequence[str]
    quotes: Sequence[RawQuote]
    results: Sequence[Attribution]
    lexicon: Lexicon
    narration_names: Callable[[int], list[str]]  # paragraph -> names its narration gives, latest first
    speech_names: Callable[[str], tuple[set[str], set[str]]]  # speech -> (mentioned, addressed)
    narrator: str | None
    lead: Callable[[str], str | None]  # sex -> the character of that sex the tags name most
    turn_of: list[int]  # quote number -> turn index
    turn_paragraph: list[int]  # turn index -> paragraph index
    turn_quotes: list[list[int]]  # turn index -> quote numbers
    turn_speaker: list[str | None]
    # turn index -> 0 when it follows the turn before paragraph by paragraph, 1 when one short
    # narration paragraph comes between (the exchange goes on), None when the exchange broke
    gap_before: list[int | None]
    # turn index -> turns to the nearest turn of the same exchange whose speaker a tag names
    anchor_gap: list[int]
    run_length: list[int]  # turn index -> turns in its exchange
    back: list[tuple[str | None, ...]]
    ahead: list[tuple[str | None, ...]]
    called_before: list[frozenset[str]]
    # turn index -> the speakers tags name anywhere in its exchange (a two-party exchange is
    # where turn-taking is surest)
    party: list[frozenset[str]]
    # turn index -> in a two-party exchange, who speaks by strict alternation counted from the
    # nearest tagged turn before it and after it (None where there is none)
    parity_before: list[str | None]
    parity_after: list[str | None]
    # turn index -> for a turn no tag of its own names, the speaker of the nearest tagged turn of
    # its exchange after it, with its distance in turns (None: no such turn)
    tag_after: list[tuple[int, str] | None]
    _names: dict[int, tuple[list[str], frozenset[str]]]
    _turn_speakers: dict[int, dict[str | None, int]]
    _contexts: dict[int, TurnContext]

    def __init__(
        self, paragraphs: Sequence[str], quotes: Sequence[RawQuote], results: Sequence[Attribution],
        lexicon: Lexicon, narration_names: Callable[[int], list[str]],
        speech_names: Callable[[str], tuple[set[str], set[str]]], narrator: str | None,
        lead: Callable[[str], str | None],
    ) -> None:
        self.paragraphs = paragraphs
        self.quotes = quotes
        self.results = results
        self.lexicon = lexicon
        self.narration_names = narration_names
        self.speech_names = speech_names
        self.narrator = narrator
        self.lead = lead
        self.turn_of = []
        self.turn_paragraph = []
        self.turn_quotes = []
        self.turn_speaker = []
        self.back = []
        self._names = {}
        self._turn_speakers = {}
        self._contexts = {}
        self._read_turns()

    def _read_turns(self) -> None:
        for number, quote in enumerate(self.quotes):
            if not self.turn_paragraph or self.turn_paragraph[-1] != quote.paragraph:
                self.turn_paragraph.append(quote.paragraph)
                self.turn_quotes.append([])
                self.turn_speaker.append(self.results[number].speaker)
            self.turn_of.append(len(self.turn_paragraph) - 1)
            self.turn_quotes[-1].append(number)
        turns = len(self.turn_paragraph)
        self.gap_before = [None] * turns
        for turn in range(1, turns):
            distance = self.turn_paragraph[turn] - self.turn_paragraph[turn - 1]
            if distance == 1:
                self.gap_before[turn] = 0
            elif distance == 2 and len(self.paragraphs[self.turn_paragraph[turn] - 1]) <= EXCHANGE_BREAK:
                self.gap_before[turn] = 1
        tagged = [any(self.results[n].rule in NAMED_BY_TAG for n in numbers) for numbers in self.turn_quotes]
        named: list[str | None] = [self._tag_speaker(numbers) for numbers in self.turn_quotes]
        self.tag_after = [None] * turns
        self.anchor_gap = [_FAR] * turns
        self.run_length = [1] * turns
        self.party = [frozenset()] * turns
        self.parity_before = [None] * turns
        self.parity_after = [None] * turns
        start = 0
        for turn in range(1, turns + 1):
            if turn == turns or self.gap_before[turn] is None:
                party: frozenset[str] = frozenset(
                    self.results[n].speaker for t in range(start, turn) if tagged[t] for n in self.turn_quotes[t]  # type: ignore[misc]
                    if self.results[n].rule in NAMED_BY_TAG and self.results[n].speaker
                )
                for t in range(start, turn):
                    self.party[t] = party
                if len(party) == 2:
                    self._alternation(start, turn, party)
                # Two passes, forwards then back: the distance to the nearest tagged turn.
                last = None
                for t in range(start, turn):
                    self.run_length[t] = turn - start
                    last = t if tagged[t] else last
                    if last is not None:
                        self.anchor_gap[t] = t - last
                last = None
                for t in range(turn - 1, start - 1, -1):
                    last = t if tagged[t] else last
                    if last is not None:
                        self.anchor_gap[t] = min(self.anchor_gap[t], last - t)
                self._tag_after(start, turn, named)
                start = turn

        # Per turn, worked out once for all its speeches: the speakers 1..TURNS_BACK turns back
        # and 1..2 ahead while the exchange goes on (None past a break), and whom the turn
        # before calls on by name.
        speakers = self.turn_speaker
        gap_before = self.gap_before
        first = 0  # the first turn of the exchange `turn` is in
        for turn in range(turns):
            if gap_before[turn] is None:
                first = turn
            found = speakers[max(first, turn - TURNS_BACK) : turn][::-1]
            self.back.append((*found, *([None] * (TURNS_BACK - len(found)))))
        self.ahead = [()] * turns
        last = turns - 1  # the last turn of the exchange `turn` is in
        for turn in range(turns - 1, -1, -1):
            found = speakers[turn + 1 : min(last, turn + 2) + 1]
            self.ahead[turn] = (*found, *([None] * (2 - len(found))))
            if gap_before[turn] is None:
                last = turn - 1
        self.called_before = [self._called_before(turn) for turn in range(turns)]

    def _alternation(self, start: int, end: int, party: frozenset[str]) -> None:
        """Who strict alternation between the two named speakers gives each turn of an exchange,
        counted forwards from the last tagged turn and backwards from the next."""
        first, second = sorted(party)
        other = {first: second, second: first}
        for turns, found in ((range(start, end), self.parity_before), (range(end - 1, start - 1, -1), self.parity_after)):
            anchor: str | None = None
            for t in turns:
                speaker = self.turn_speaker[t]
                if speaker in party and any(self.results[n].rule in NAMED_BY_TAG for n in self.turn_quotes[t]):
                    anchor = speaker
                    continue
                if anchor is not None:
                    anchor = other[anchor]
                    found[t] = anchor

    def _tag_after(self, start: int, end: int, named: list[str | None]) -> None:
        """For each turn of an exchange that no tag of its own names, the nearest later turn whose
        speaker a tag names: (distance in turns, speaker)."""
        found: tuple[int, str] | None = None
        for t in range(end - 1, start - 1, -1):
            who = named[t]
            if who is not None:
                found = (t, who)
            elif found is not None:
                self.tag_after[t] = (found[0] - t, found[1])

    def _tag_speaker(self, numbers: list[int]) -> str | None:
        """The speaker a tag names in a turn (its first such speech's), or None."""
        for n in numbers:
            result = self.results[n]
            if result.rule in NAMED_BY_TAG and result.speaker:
                return result.speaker
        return None

    def _called_before(self, turn: int) -> frozenset[str]:
        if turn == 0 or self.gap_before[turn] is None:
            return frozenset()
        found: set[str] = set()
        for number in self.turn_quotes[turn - 1]:
            found |= self.speech_names(self.quotes[number].text)[1]
        return frozenset(found)

    def turn_speakers(self, turn: int) -> dict[str | None, int]:
        """How many of a turn's speeches the rules give each speaker (a plain dict: a Counter
        costs more to make than the handful of speeches it counts)."""
        found = self._turn_speakers.get(turn)
        if found is None:
            found = self._turn_speakers[turn] = {}
            results = self.results
            for n in self.turn_quotes[turn]:
                speaker = results[n].speaker
                found[speaker] = found.get(speaker, 0) + 1
        return found

    def context(self, turn: int) -> TurnContext:
        """What every speech of a turn shares, worked out once: the candidates the exchange and
        the narration around it offer, and the names that narration gives."""
        found = self._contexts.get(turn)
        if found is None:
            paragraph = self.turn_paragraph[turn]
            here, here_set = self.names(paragraph)
            lexicon = self.lexicon  # its methods called on it: compiled, a direct call
            offered = [*self.back[turn], self.ahead[turn][0]]
            for names in (here, self.names(paragraph - 1)[0], self.names(paragraph - 2)[0]):
                offered += [who for who in names[:NAMES_PER_PARAGRAPH] if lexicon.can_speak(who)]
            offered += [who for who in sorted(self.called_before[turn]) if lexicon.can_speak(who)]
            offered.append(self.narrator)
            # Each once, in order of first offer: gather takes a name at its first offer or never.
            # (A loop over a short list: compiled, dict.fromkeys(filter(...)) costs more.)
            once: list[str] = []
            for who in offered:
                if who and who not in once:
                    once.append(who)
            found = self._contexts[turn] = TurnContext(
                once, here, here_set, self.names(paragraph - 1)[1], self.names(paragraph - 2)[1]
            )
        return found

    def names(self, paragraph: int) -> tuple[list[str], frozenset[str]]:
        """The names a paragraph's narration gives, latest first, and as a set (nothing before
        the scene's first paragraph)."""
        found = self._names.get(paragraph)
        if found is None:
            listed = self.narration_names(paragraph) if paragraph >= 0 else []
            found = self._names[paragraph] = (listed, frozenset(listed))
        return found


def gather(view: SceneView, number: int, addressed: set[str]) -> list[str]:
    """The candidates for quotation `number`, most likely first by the rules' own reading;
    `addressed` is whom the speech itself calls on."""
    result = view.results[number]
    # In order of preference: the rules' pick and guess, the exchange's speakers, the names the
    # narration around it gives (latest first), whom the speech before calls on, the narrator.
    ordered = [result.speaker, result.fallback, *view.context(view.turn_of[number]).offered]
    if result.gender:
        ordered.append(view.lead(result.gender))  # a he/she with nobody of that sex about
    # Never the speaker: whom the speech itself calls on, whom the tag says it is said to, and
    # anyone of the other sex than the tag's he or she.
    genders = view.lexicon.gender
    sex = result.gender
    found: list[str] = []
    for who in ordered:
        if (
            who and who not in found and who not in addressed and who != result.addressee
            and not (sex and genders.get(who, sex) != sex)
        ):
            found.append(who)
            if len(found) == MAX_CANDIDATES:
                break
    return found
