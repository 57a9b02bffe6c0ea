"""The exchange decoder: who speaks each turn of an exchange, decided for the whole exchange at
once against how exchanges go (Viterbi over the last two speakers)."""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from bot.parsing.attribution.result import (
    EXPLICIT_FAR,
    PRONOUN_TURN,
    TURN,
    VOCATIVE,
    Attribution,
    rule_trust,
)
from bot.parsing.attribution.turns import (
    _CALLED_WEIGHT,
    _FIXED,
    _PARTNER_WEIGHT,
    _RECENCY_WEIGHTS,
    _turn_hint,
)
from bot.parsing.characters import Lexicon
from bot.parsing.native import trait
from bot.parsing.quotations import RawQuote

TYPE_CHECKING = False  # typing's, without loading typing: `parse` starts without it (bot/startup.py)
if TYPE_CHECKING:
    from typing import Any, Final

# A pronoun's guess left to the exchange still makes its character a likely part of it.
_GUESS_WEIGHT: Final = 0.5
# The story's leading man or woman, brought into an exchange that has a he or she and nobody of
# that sex: a small weight, as the leading character is only a guess there.
_LEAD_WEIGHT: Final = 0.1
# Speakers of results trusted at least this much always take part in the decoding.
_KEEP: Final = 0.6
_MAX_PARTICIPANTS: Final = 4
# Paragraphs after an exchange whose narration may still show someone it calls on to be there.
_PRESENT_AFTER: Final = 2
_WRONG_GENDER: Final = math.log(0.03)
_SELF_CALLED: Final = math.log(0.01)  # "Tobin, come here" is not Tobin
_SELF_MENTIONED: Final = math.log(0.3)
_CALLED_NEXT: Final = math.log(8.0)  # the one called on answers
_CALLED_NEXT_GAP: Final = math.log(2.0)
# Search limits, in log-likelihood: a turn's speakers within _PRUNE of its best evidence, states
# within _BEAM of the best (wider limits measured no better, only slower).
_PRUNE: Final = 3.0
_BEAM: Final = 2.0
_NEVER: Final = -math.inf  # the score of a state not reached
_WIDE: Final = 10.0  # a turn's margin when the search kept nobody else for it
# How exchanges go (second-order, measured on the annotated corpus): next to each other, after an
# alternating pair the last speaker but one answers, after one speaker twice someone else does.
_ADJACENT: Final = {k: math.log(v) for k, v in {
    "start-same": 0.04, "start-other": 0.96, "alt-same": 0.03, "alt-back": 0.84, "alt-new": 0.13,
    "run-same": 0.2, "run-new": 0.8}.items()}
_AFTER_GAP: Final = {k: math.log(v) for k, v in {
    "start-same": 0.4, "start-other": 0.6, "alt-same": 0.39, "alt-back": 0.43, "alt-new": 0.18,
    "run-same": 0.5, "run-new": 0.5}.items()}


def _allowed(row: list[float], k: int) -> list[int]:
    """The candidate indexes a turn's emissions leave in: within _PRUNE of its best."""
    top = row[0]
    for j in range(1, k):
        if row[j] > top:
            top = row[j]
    floor = top - _PRUNE
    return [j for j in range(k) if row[j] >= floor]


def _transitions(gap: bool, i0: int, i1: int, share: list[float]) -> list[float]:
    """The scores of each next speaker after speakers i0 then i1 (i0 = len(share): nobody
    before), next to each other or across narration (`gap`); `share` is each candidate's prior."""
    table = _AFTER_GAP if gap else _ADJACENT
    k = len(share)
    row: list[float] = []
    for i2 in range(k):
        if i0 == k:
            rest = 1 - share[i1]
            value = table["start-same"] if i2 == i1 else (
                table["start-other"] + math.log(share[i2] / (rest if rest >= 1e-9 else 1e-9)))
        elif i0 != i1:
            if i2 == i1:
                value = table["alt-same"]
            elif i2 == i0:
                value = table["alt-back"]
            else:
                rest = 1 - share[i0] - share[i1]
                value = table["alt-new"] + math.log(share[i2] / (rest if rest >= 1e-9 else 1e-9))
        else:
            rest = 1 - share[i1]
            value = table["run-same"] if i2 == i1 else (
                table["run-new"] + math.log(share[i2] / (rest if rest >= 1e-9 else 1e-9)))
        row.append(value)
    return row


@trait  # a mixin of ChapterAttributor (rules.py), which holds the state
class ExchangeDecoder:
    """The decoder for ChapterAttributor (rules.py); an exchange with fewer than two candidates
    falls back to plain alternation (turns.py)."""

    _lexicon: Lexicon

    def _decode(
        self,
        run: list[list[int]],
        quotes: Sequence[RawQuote],
        results: list[Attribution],
        paragraphs: Sequence[str],
        recent: list[str],
    ) -> None:
        """Who speaks each turn of an exchange, decided for the whole exchange at once.

        Each turn's evidence (its tag and the rule's measured precision, a pronoun's gender, the
        names it calls on or mentions, a name the turn before called on) is weighed against how
        exchanges go: next to each other the last speaker but one answers (84%), the same one
        seldom goes on (3%), someone new comes in now and then (13%); across a narration paragraph
        any of them may. The most likely sequence of speakers wins (Viterbi over the last two
        speakers, so the A-B-A pattern of a conversation is a transition of its own)."""
        lexicon = self._lexicon
        genders = lexicon.gender
        size = len(run)
        gaps = [False] * size
        for i in range(1, size):
            turn = run[i - 1]
            previous_end = quotes[turn[0]].last_paragraph if len(turn) == 1 else max(quotes[n].last_paragraph for n in turn)
            gaps[i] = quotes[run[i][0]].paragraph > previous_end + 1
        heads = [results[t[0]] for t in run]
        trusts = [rule_trust(h) for h in heads]
        # The names a turn's speeches mention and call on; read only where they can change the
        # answer: the turns to decide and the ones just before them (the one called on answers).
        open_turns = [trust < _FIXED for trust in trusts]
        none: tuple[set[str], set[str]] = (set(), set())
        names: list[tuple[set[str], set[str]]] = []
        for i, turn in enumerate(run):
            if not (open_turns[i] or (i + 1 < size and open_turns[i + 1])):
                names.append(none)
            else:
                names.append(self._turn_names(turn, quotes))
        hints = [_turn_hint(turn, results) for turn in run]

        # Who may take part: the speakers the turns already name, whoever they call on, then
        # the speakers just before and the characters the narration before names.
        # Float counts, in a plain dict (Any: compiled, a float value would be checked) whose get()
        # stands for a Counter's += (a Counter's missing key calls its Python __missing__).
        weight: Any = {}
        for head in heads:
            if head.speaker:
                weight[head.speaker] = weight.get(head.speaker, 0) + (2.0 if head.confidence >= EXPLICIT_FAR else 1.0)
            elif head.fallback:
                weight[head.fallback] = weight.get(head.fallback, 0) + _GUESS_WEIGHT  # whom a pronoun would have picked far back
        present: set[str] | None = None  # the characters the scene's narration names, read once if needed
        tagged = {h.speaker for h, trust in zip(heads, trusts, strict=True) if trust >= _FIXED}
        for i, (_, called) in enumerate(names):
            for who in sorted(called):
                if not lexicon.can_speak(who):
                    # '"Jiraiya, do you really think so?" Tsunade asked.' with Jiraiya named in the
                    # narration of the scene: a tagged speech calls on someone there, who may answer
                    # though no tag of the story names them.
                    if (
                        trusts[i] < _FIXED or len(tagged) != 1
                        or any(h.speaker and h.speaker.startswith("the ") for h in heads)
                    ):
                        # Only for the side no tag names, beside the one tagged speaker; and a role
                        # the tags use ("answered the frame-maker") may be them.
                        continue
                    if present is None:
                        last = max(quotes[n].last_paragraph for n in run[-1])
                        present = {
                            name for p in range(min(last + _PRESENT_AFTER, len(paragraphs) - 1) + 1)
                            for name in self._narration_names(paragraphs, p)
                        }
                    if who not in present:
                        continue
                weight[who] = weight.get(who, 0) + _CALLED_WEIGHT
        for w, who in zip(_RECENCY_WEIGHTS, reversed(recent), strict=False):
            weight[who] = weight.get(who, 0) + w
        if len(weight) < _MAX_PARTICIPANTS and sum(trust >= _FIXED for trust in trusts) < 2:
            # Too few so far: the characters the narration before the exchange names.
            for w, who in zip(_RECENCY_WEIGHTS, self._narrated(paragraphs, quotes[run[0][0]]), strict=False):
                weight[who] = weight.get(who, 0) + w
        if lexicon.narrator:
            weight[lexicon.narrator] = weight.get(lexicon.narrator, 0) + 0.5
        for speaker in sorted({h.speaker for h, trust in zip(heads, trusts, strict=True) if trust >= _FIXED}):  # type: ignore[type-var]
            # Those a speaker of this exchange usually talks with, in the story so far.
            if partners := lexicon.partners.get(speaker):  # type: ignore[arg-type]
                total: float = sum(partners.values())  # one type for every `total` here (compiled)
                for who, n in partners.items():
                    weight[who] = weight.get(who, 0) + _PARTNER_WEIGHT * n / total
        fixed_speakers = {h.speaker for h, trust in zip(heads, trusts, strict=True) if trust >= _KEEP}
        ranked = sorted(weight.items(), key=lambda kv: (-kv[1], kv[0]))
        cands = [who for who, _ in ranked if who in fixed_speakers]
        for who, _ in ranked:
            if len(cands) >= _MAX_PARTICIPANTS:
                break
            if who not in cands:
                cands.append(who)
        hint: str | None = None  # one type for every `hint` here
        for hint in sorted({hint for hint in hints if hint}):
            if not any(genders.get(c) == hint for c in cands) and (lead := self._lead(hint)):
                # A he or she with nobody of that sex about: most often the story's leading one.
                cands.append(lead)
                weight[lead] = weight.get(lead, 0) + _LEAD_WEIGHT
        if len(cands) < 2:
            self._alternate(run, quotes, results, paragraphs, recent)
            return
        total = sum(weight[c] for c in cands)
        prior = {c: max(weight[c], 0.1) / total for c in cands}
        k = len(cands)
        index_of = {c: j for j, c in enumerate(cands)}
        share: list[float] = [prior[c] for c in cands]  # floats: math.log of one is a C call
        # A he or she is never the narrator of a first-person story, whatever their sex.
        narrator = lexicon.narrator
        wrong_gender = {
            hint: [_WRONG_GENDER if c == narrator or genders.get(c) not in (None, hint) else 0.0 for c in cands]
            for hint in ("M", "F")
        }

        # Emissions, in logs, by candidate index (math.log of a float, no zip, no closures:
        # compiled, the log is a C call and each of the others a call through Python's machinery).
        emissions: list[list[float]] = []
        for i in range(size):
            head = heads[i]
            trust = trusts[i]
            j = index_of.get(head.speaker, -1) if trust else -1
            if j >= 0:
                spread = (1 - trust) / (k - 1)
                e = [math.log(spread if spread > 1e-6 else 1e-6)] * k  # max(1e-6, spread)
                e[j] = math.log(trust)
            else:
                e = [0.0] * k
            if hint := hints[i]:
                clash = wrong_gender[hint]
                e = [e[c] + clash[c] for c in range(k)]
            mentioned, called = names[i]
            if (to := head.addressee) and (j := index_of.get(to, -1)) >= 0:
                e[j] += _SELF_CALLED  # "she said to Elizabeth" is not Elizabeth
            for c in mentioned:
                if (j := index_of.get(c, -1)) >= 0:
                    e[j] += _SELF_CALLED if c in called else _SELF_MENTIONED
            if i:
                for c in names[i - 1][1]:
                    if (j := index_of.get(c, -1)) >= 0:
                        e[j] += _CALLED_NEXT_GAP if gaps[i] else _CALLED_NEXT
            emissions.append(e)

        # Transition scores [speaker before][speaker][next], by index, worked out as needed; the
        # index k (one past the candidates) stands for "nobody before". Kept in a list by
        # (gap, speaker before, speaker) packed as an index: the decoding looks them up for every
        # state of every turn.
        pairs = k * k
        gap_slots = pairs + k  # (speaker before, speaker) pairs, the first one nobody included
        rows: list[list[float] | None] = [None] * (2 * gap_slots)

        # Viterbi over (speaker before, speaker) pairs; a turn's evidence prunes the speakers it
        # rules out (those more than _PRUNE below its best), and each state keeps its best score
        # and the state it came from.
        # States are (speaker before, speaker) packed as before * k + speaker, before k for nobody.
        # A turn's scores are a list by state; `states` holds the states kept, in the order they
        # were first reached (which settles ties as the first one reached).
        first_row = emissions[0]
        score_of = [_NEVER] * gap_slots
        states = _allowed(first_row, k)
        for j in states:
            score_of[pairs + j] = math.log(share[j]) + first_row[j]
        states = [pairs + j for j in states]
        back: list[list[int]] = []
        history = [(states, score_of)]  # each turn's kept states and their best scores so far
        for i in range(1, size):
            row = emissions[i]
            options = _allowed(row, k)
            gap = gaps[i]
            gap_base = gap_slots if gap else 0
            best = [_NEVER] * pairs
            came = [-1] * pairs
            reached: list[int] = []
            for state in states:
                score = score_of[state]
                i0 = state // k
                i1 = state % k
                trans = rows[gap_base + state]
                if trans is None:
                    trans = rows[gap_base + state] = _transitions(gap, i0, i1, share)
                base = i1 * k
                for i2 in options:
                    value = score + trans[i2]
                    key = base + i2
                    if value > best[key]:
                        if came[key] < 0:
                            reached.append(key)
                        best[key] = value
                        came[key] = state
            top = _NEVER
            for key in reached:
                value = best[key] = best[key] + row[key % k]
                if value > top:
                    top = value
            floor = top - _BEAM
            states = [key for key in reached if best[key] >= floor]
            score_of = best
            back.append(came)
            history.append((states, score_of))
        state = max(states, key=lambda key: (score_of[key], -(key % k), -(key // k)))
        best_path = [cands[state % k]]
        for came in reversed(back):
            state = came[state]
            best_path.append(cands[state % k])
        best_path.reverse()

        def cached(gap: bool, i0: int, i1: int) -> list[float]:
            # Every state the backward pass reads was expanded by the search: its row is cached.
            return rows[(gap_slots if gap else 0) + i0 * k + i1] or _transitions(gap, i0, i1, share)

        for i, margin in enumerate(_margins(history, gaps, emissions, cached, k)):
            for n in run[i]:
                results[n].margin = margin
        for i, who in enumerate(best_path):
            head = heads[i]
            if head.speaker == who or hints[i] == "":
                continue
            if trusts[i] >= _FIXED:
                continue
            called_before = i and who in names[i - 1][1]
            if hints[i]:
                rule, confidence = "pronoun-turn", PRONOUN_TURN  # a he/she the exchange settles
            elif called_before:
                rule, confidence = "vocative", VOCATIVE
            else:
                rule, confidence = "turn-taking", TURN
            for n in run[i]:
                results[n].speaker, results[n].confidence, results[n].rule = who, confidence, rule


def _margins(
    history: list[tuple[list[int], list[float]]],
    gaps: list[bool],
    emissions: list[list[float]],
    transitions: Callable[[bool, int, int], list[float]],
    k: int,
) -> list[float]:
    """Per turn, how much likelier (in log-likelihood) the best reading of the exchange is than the
    best reading that gives the turn to someone else (_WIDE when the search kept nobody else):
    max-marginals over the states the Viterbi search kept. Confidence reads it (scorer.py)."""
    size = len(history)
    found = [_WIDE] * size
    after: dict[int, float] = dict.fromkeys(history[-1][0], 0.0)  # the best rest of the exchange, per state
    for i in range(size - 1, -1, -1):
        states, score_of = history[i]
        if i < size - 1:
            gap = gaps[i + 1]
            row = emissions[i + 1]
            ahead = after
            after = {}
            for state in states:
                i1 = state % k
                trans = transitions(gap, state // k, i1)
                base = i1 * k
                top = _NEVER
                for i2 in range(k):
                    rest = ahead.get(base + i2)
                    if rest is not None:
                        value = trans[i2] + row[i2] + rest
                        if value > top:
                            top = value
                if top > _NEVER:
                    after[state] = top
        by_speaker: dict[int, float] = {}
        for state in states:
            rest = after.get(state)
            if rest is not None:
                who = state % k
                value = score_of[state] + rest
                if value > by_speaker.get(who, _NEVER):
                    by_speaker[who] = value
        if len(by_speaker) > 1:
            ranked = sorted(by_speaker.values(), reverse=True)
            found[i] = min(ranked[0] - ranked[1], _WIDE)
    return found
