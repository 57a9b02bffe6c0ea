"""Turn-taking: a scene's speeches cut into exchanges, whose untagged turns take their side of the
exchange from the nearest tagged one (or, most often, from the decoder in decoding.py)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from bot.parsing.attribution.narration import _names
from bot.parsing.attribution.pronouns import _LOOKBACK_CHARS, _LOOKBACK_PARAGRAPHS
from bot.parsing.attribution.result import (
    PRONOUN_NEAR,
    PRONOUN_TURN,
    PRONOUN_UNSURE,
    TURN,
    VOCATIVE,
    Attribution,
    rule_trust,
)
from bot.parsing.characters import Lexicon
from bot.parsing.native import trait
from bot.parsing.quotations import RawQuote

TYPE_CHECKING = False  # typing's, without loading typing: `parse` starts without it (bot/startup.py)
if TYPE_CHECKING:
    from typing import Any, Final

_RECENT_SPEAKERS: Final = 3
# Narration that ends an exchange: two paragraphs of it, or one long one (a short beat between
# two speeches keeps the turns going).
EXCHANGE_BREAK: Final = 500
# Scores for the other side of an exchange whose speeches only ever name one side.
_CALLED_WEIGHT: Final = 2.0
_PARTNER_WEIGHT: Final = 2.0
# What crossing narration between two turns costs when choosing the nearest tagged turn, in
# turns: parity survives one step next to each other 96% of the time and one across narration
# 60% of the time, so a crossing is worth about ten steps.
_GAP_COST: Final = 10
_RECENCY_WEIGHTS: Final[tuple[float, ...]] = (1.5, 1.0, 0.7, 0.5, 0.3, 0.2)
# Turns whose rule is trusted at least this much (rule_trust) are never overruled.
_FIXED: Final = 0.8


def _turn_hint(turn: list[int], results: list[Attribution]) -> str | None:
    """Who a turn's speaker can be: nobody named when it is an unnamed "I" or a voice nobody is
    seen with ("" stands for that), else the sex its tag gave ("M"/"F"), if any."""
    if len(turn) == 1:
        result = results[turn[0]]
        return "" if result.first_person or result.unseen else result.gender
    turn_results = [results[n] for n in turn]
    if any(r.first_person or r.unseen for r in turn_results):
        return ""
    return next((r.gender for r in turn_results if r.gender), None)


def _weak(results: list[Attribution], turn: list[int]) -> bool:
    """A turn named only by a pronoun resolved through earlier paragraphs."""
    return any(results[n].rule == "pronoun" for n in turn) and all(
        results[n].rule in ("pronoun", "same-paragraph") and results[n].confidence < PRONOUN_NEAR for n in turn
    )


@trait  # a mixin of ChapterAttributor (rules.py), which holds the state
class TurnTaker:
    """Turn-taking for ChapterAttributor (rules.py), which keeps who talks with whom in its lexicon."""

    _lexicon: Lexicon

    def _turn_taking(
        self, quotes: Sequence[RawQuote], results: list[Attribution], paragraphs: Sequence[str]
    ) -> None:
        """Fill untagged lines of an exchange: speakers alternate, and nobody addresses themself."""
        runs: list[list[list[int]]] = []
        current: list[list[int]] = []  # turns: the quotations of one paragraph of speech
        last_end = -1
        for number, quote in enumerate(quotes):
            if quote.kind != "speech":
                continue
            if current and quote.paragraph <= last_end:
                current[-1].append(number)
                last_end = max(last_end, quote.last_paragraph)
                continue
            gap = range(last_end + 1, quote.paragraph)
            if current and (len(gap) > 1 or any(len(paragraphs[p]) > EXCHANGE_BREAK for p in gap)):
                runs.append(current)  # long narration ends the exchange
                current = []
            current.append([number])
            last_end = quote.last_paragraph
        if current:
            runs.append(current)
        recent: list[str] = []  # speakers of the scene so far, latest last
        for run in runs:
            if len(run) > 1 and any(rule_trust(results[t[0]]) < _FIXED for t in run):
                self._decode(run, quotes, results, paragraphs, recent[-_RECENT_SPEAKERS:])
            previous: str | None = None
            for turn in run:
                result = results[turn[0]]
                who = result.speaker
                if who and (not recent or recent[-1] != who):
                    recent.append(who)
                if result.confidence < PRONOUN_UNSURE:
                    who = None  # only turns named by their own tag say who talks with whom
                if who and previous and who != previous:
                    partners = self._lexicon.partners
                    for one, other in ((who, previous), (previous, who)):
                        if one not in partners:
                            partners[one] = Counter()
                        partners[one][other] += 1
                previous = who

    def _turn_names(self, turn: list[int], quotes: Sequence[RawQuote]) -> tuple[set[str], set[str]]:
        """The names a turn's speeches mention, and those they call on."""
        if len(turn) == 1:
            return self._names_in_speech(quotes[turn[0]].text)  # only ever read
        found = [self._names_in_speech(quotes[n].text) for n in turn]
        return set().union(*(m for m, _ in found)), set().union(*(a for _, a in found))

    def _alternate(
        self,
        run: list[list[int]],
        quotes: Sequence[RawQuote],
        results: list[Attribution],
        paragraphs: Sequence[str],
        recent: list[str],
    ) -> None:
        """Speakers alternate: each untagged turn takes its side of the exchange from the nearest
        tagged turn, so one tag after a long untagged run settles the parity of the whole run."""
        # A pronoun resolved only through earlier paragraphs is a guess the exchange can overrule.
        weak = {i: results[t[0]].speaker for i, t in enumerate(run) if _weak(results, t)}
        speakers: list[str | None] = [None if i in weak else results[t[0]].speaker for i, t in enumerate(run)]
        names: dict[int, tuple[set[str], set[str]]] = {}
        genders = self._lexicon.gender

        def names_of(i: int) -> tuple[set[str], set[str]]:
            known = names.get(i)
            if known is None:
                known = names[i] = self._turn_names(run[i], quotes)
            return known

        # Asked for every guess, so worked out once per turn.
        hints: dict[int, str | None] = {}

        def hint_of(i: int) -> str | None:
            if i not in hints:
                hints[i] = _turn_hint(run[i], results)
            return hints[i]

        def fits(i: int, who: str | None) -> bool:
            if not who or who in names_of(i)[0]:
                return False
            hint = hint_of(i)
            return hint is None or (hint != "" and genders.get(who, hint) == hint)

        def assign(i: int, who: str, confidence: float, rule: str) -> None:
            speakers[i] = who
            for n in run[i]:
                results[n].speaker, results[n].confidence, results[n].rule = who, confidence, rule

        # Narration between two turns: the one after it is the same speaker again 40% of the time
        # (next to each other, 4%), so parity read across it is worth little.
        gaps_upto = [0] * len(run)
        for i in range(1, len(run)):
            previous_end = max(quotes[n].last_paragraph for n in run[i - 1])
            gaps_upto[i] = gaps_upto[i - 1] + (quotes[run[i][0]].paragraph > previous_end + 1)

        # "Are you coming, Tobin?" -- the one called on answers next.
        for i in range(1, len(run)):
            if speakers[i] is None:
                called = names_of(i - 1)[1]
                if len(called) == 1:
                    who: str | None = next(iter(called))  # one type for every `who` here
                    if who != speakers[i - 1] and self._lexicon.can_speak(who) and fits(i, who):
                        assign(i, who, VOCATIVE, "vocative")  # type: ignore[arg-type]
        anchors = [i for i, s in enumerate(speakers) if s]
        # For each anchor, the nearest tagged turn before and after it with a different speaker;
        # and for each turn, the nearest anchor before and after it (linear sweeps: runs can be long).
        differ_before: dict[int, tuple[str | None, int]] = {}
        differ_after: dict[int, tuple[str | None, int]] = {}
        for order, step in ((anchors, differ_before), (anchors[::-1], differ_after)):
            last: str | None = None
            last_at = 0
            other: str | None = None
            other_at = 0
            for j in order:
                if speakers[j] != last:
                    other, other_at, last = last, last_at, speakers[j]
                last_at = j
                step[j] = (other, abs(j - other_at))
        anchor_before: list[int | None] = []
        anchor_after: list[int | None] = [None] * len(run)
        last_anchor: int | None = None
        for i, who in enumerate(speakers):
            anchor_before.append(last_anchor)
            if who:
                last_anchor = i
        last_anchor = None
        for i in range(len(run) - 1, -1, -1):
            anchor_after[i] = last_anchor
            if speakers[i]:
                last_anchor = i
        narrated: list[str] | None = None

        sides_at: dict[tuple[int, bool], str | None] = {}
        can_speak = self._lexicon.can_speak

        def ranked(i: int, guesses: list[tuple[int, str | None]]) -> list[str]:
            """The guesses that could speak turn i, nearest anchor first."""
            return [g for _, g in sorted(guesses, key=lambda g: g[0]) if g and fits(i, g) and can_speak(g)]

        def other_side(anchor: int, ahead: bool) -> str | None:
            if (anchor, ahead) not in sides_at:
                sides_at[anchor, ahead] = find_other_side(anchor, ahead)
            return sides_at[anchor, ahead]

        def find_other_side(anchor: int, ahead: bool) -> str | None:
            """The other side of the exchange at an anchor: the nearest different speaker in the
            run (on the side of the untagged turns when both are as near), then the speakers
            before the run, then the narration."""
            nonlocal narrated
            sides = (differ_after, differ_before) if ahead else (differ_before, differ_after)
            near = [side[anchor] for side in sides if side[anchor][0]]
            if near:
                return min(near, key=lambda side: side[1])[0]
            speaker = speakers[anchor]
            scores = candidates()
            # The turns on the other side of the anchor: a pronoun tag among them tells its gender.
            wanted = {hint_of(i) for i in range(anchor % 2 ^ 1, len(run), 2)} - {None, ""}
            if partners := self._lexicon.partners.get(speaker):  # type: ignore[arg-type]
                # The known side's usual partners in the story so far.
                total = sum(partners.values())
                scores = scores + Counter({who: _PARTNER_WEIGHT * n / total for who, n in partners.items()})
            best: str | None = None
            for who, score in scores.items():
                if who == speaker or not can_speak(who) or score <= scores.get(best, 0.0):
                    continue
                if len(wanted) == 1 and genders.get(who, next(iter(wanted))) not in wanted:
                    continue
                best = who
            return best

        scored: Any = None  # float counts (typeshed's Counter counts ints; compiled, int would be checked)

        def candidates() -> Any:
            """Who the other side of this run could be, scored: whoever its speeches call on, the
            speakers just before it (the conversation goes on after narration) and the characters
            the narration before it names, the most recent weighing most."""
            nonlocal scored, narrated
            if scored is None:
                scored = Counter()
                # get() rather than +=: a Counter's missing key calls its Python __missing__.
                for i in range(len(run)):
                    for who in sorted(names_of(i)[1]):  # sorted: ties must not hang on the hash seed
                        scored[who] = scored.get(who, 0) + _CALLED_WEIGHT
                for weight, who in zip(_RECENCY_WEIGHTS, reversed(recent), strict=False):
                    scored[who] = scored.get(who, 0) + weight
                narrated = self._narrated(paragraphs, quotes[run[0][0]])
                for weight, who in zip(_RECENCY_WEIGHTS, narrated, strict=False):
                    scored[who] = scored.get(who, 0) + weight
            return scored

        for i in range(len(run)):
            if speakers[i] is not None:
                continue
            back, ahead = anchor_before[i], anchor_after[i]
            primary: list[tuple[int, str | None]] = []
            secondary: list[tuple[int, str | None]] = []
            for anchor, is_ahead in ((back, True), (ahead, False)):
                if anchor is None:
                    continue
                distance = abs(i - anchor)
                cost = distance + _GAP_COST * abs(gaps_upto[i] - gaps_upto[anchor])
                sides = (speakers[anchor], other_side(anchor, is_ahead))
                primary.append((cost, sides[distance % 2]))
                # "Sakura, I told you." is not Sakura, whatever the parity says.
                secondary.append((cost, sides[1 - distance % 2]))
            # Next to each other, nobody answers themself; across narration they often go on.
            neighbours = {
                speakers[j] for j in (i - 1, i + 1) if 0 <= j < len(run) and gaps_upto[max(i, j)] == gaps_upto[min(i, j)]
            }

            first = ranked(i, primary)
            # Nobody answers themself; failing that, the nearest guess is still better than none.
            guess = next((g for g in first if g not in neighbours), None)
            if guess is None:
                second = ranked(i, secondary)
                guess = next((g for g in second if g not in neighbours), next(iter(first + second), None))
            if i in weak:
                if weak[i] in first and weak[i] not in neighbours:
                    guess = weak[i]  # the exchange allows the pronoun's own answer: keep it
                if guess and genders.get(guess) is not None:
                    rule = "pronoun" if guess == weak[i] else "pronoun-turn"
                    assign(i, guess, PRONOUN_TURN, rule)
                else:
                    speakers[i] = weak[i]
            elif guess:
                assign(i, guess, TURN, "turn-taking")

    def _narrated(self, paragraphs: Sequence[str], first: RawQuote) -> list[str]:
        """Characters named in the narration before an exchange, most recent first."""
        canonical = self._lexicon.canonical
        can_speak = self._lexicon.can_speak
        found: list[str] = []
        named = [canonical.get(form) for form in reversed(_names(first.before[-_LOOKBACK_CHARS:]))]
        for p in range(first.paragraph - 1, max(first.paragraph - 1 - _LOOKBACK_PARAGRAPHS, -1), -1):
            named += self._narration_names(paragraphs, p)
        for name in named:
            if name and name not in found and can_speak(name):
                found.append(name)
        return found
