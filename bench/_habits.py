"""How a story's own tagged turns behave, counted as the story is attributed (no gold): how often
two tagged turns in a row of an exchange name the same speaker, how often three alternate
strictly, how often alternation counted from one tag across untagged turns gives the next tag's
speaker, how many of an exchange's turns a tag names, how the tags name their speakers, and how
many untagged turns have a beat. Authors differ; the idea (branch adapt14, docs/attribution.md):
a text whose tagged turns rarely alternate makes readings counted by turn-taking less reliable.

Measured by bench/story_habits.py, not kept in the parser (no held-out gain on both corpora).
The counts run on from scene to scene in text order, as `Lexicon.partners` does: each scene adds
its own once the rules have read it, before the scorer decides it, so a scene's figures hold the
story so far and the scene itself, never what comes after (what a streaming parse has).
`recording()` hooks the count into the pure-Python parser while it runs (around
bot.parsing.attribution.decide), and `mark()` gives a decision the counts of its scene."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

import bot.parsing.attribution as attribution
from bot.parsing.attribution.candidates import NAMED_BY_TAG, SceneView
from bot.parsing.attribution.scorer import NO_DECISION
from bot.parsing.native import COMPILED

__all__ = ["NO_DECISION", "habits_of", "mark", "recording", "tally"]

# The counts, in order.
PAIRS: Final = 0  # two consecutive turns of an exchange, both tagged
SAME: Final = 1  # ... naming the same speaker (one person going on)
TRIPLES: Final = 2  # three consecutive tagged turns, the first two naming two speakers
ALTERNATE: Final = 3  # ... the third naming the first again (strict alternation holds)
TURNS: Final = 4  # turns of exchanges of two turns or more
TAGGED: Final = 5  # ... a tag of its own names the speaker of
DESCRIBED: Final = 6  # tagged turns whose tag describes its speaker ("said the old man", "his wife")
NARRATOR: Final = 7  # tagged turns whose tag is "I said"
UNTAGGED: Final = 8  # turns of such exchanges no tag of their own names or gives a sex to
BEAT: Final = 9  # ... whose paragraph holds narration besides the speech (a beat)
# Two tagged turns of an exchange with untagged turns between: strict alternation counted from
# the first gives the second its speaker (an even number of turns on: the same one; odd: another)
PARITY: Final = 10
PARITY_HOLDS: Final = 11  # ... and the second's tag agrees (each tag hidden in turn, as it were)
COUNTS: Final = 12
_DESCRIBED_RULES: Final = frozenset(("role", "kin", "unnamed"))
# Narration in a paragraph beyond its speeches, in characters, that makes it a beat.
_BEAT_CHARS: Final = 20


def tally(view: SceneView, counts: list[int]) -> tuple[int, ...]:
    """Add the scene's tagged turns to the story's `counts` and return the counts so far, this
    scene included."""
    results = view.results
    named = [view._tag_speaker(numbers) for numbers in view.turn_quotes]
    gap_before = view.gap_before
    run = 0  # consecutive turns of the exchange so far, this one included
    last = -1  # the exchange's latest tagged turn before this one (-1: none)
    for turn, numbers in enumerate(view.turn_quotes):
        run = run + 1 if gap_before[turn] is not None else 1
        if run == 1:
            last = -1
        who = named[turn]
        if who is not None:
            if last >= 0 and turn - last >= 2:
                counts[PARITY] += 1
                if (named[last] == who) == ((turn - last) % 2 == 0):
                    counts[PARITY_HOLDS] += 1
            last = turn
            rule = results[numbers[0]].rule
            for n in numbers:
                if results[n].rule in NAMED_BY_TAG:
                    rule = results[n].rule
                    break
            if rule in _DESCRIBED_RULES:
                counts[DESCRIBED] += 1
            elif rule == "narrator":
                counts[NARRATOR] += 1
        if run >= 2:
            before = named[turn - 1]
            if who is not None and before is not None:
                counts[PAIRS] += 1
                if who == before:
                    counts[SAME] += 1
                if run >= 3 and (first := named[turn - 2]) is not None and first != before:
                    counts[TRIPLES] += 1
                    if who == first:
                        counts[ALTERNATE] += 1
        if run >= 2 or (turn + 1 < len(gap_before) and gap_before[turn + 1] is not None):
            counts[TURNS] += 1
            if who is not None:
                counts[TAGGED] += 1
            elif all(results[n].gender is None for n in numbers):
                counts[UNTAGGED] += 1
                spoken = sum([len(view.quotes[n].text) + 2 for n in numbers])
                if len(view.paragraphs[view.turn_paragraph[turn]]) - spoken >= _BEAT_CHARS:
                    counts[BEAT] += 1
    return tuple(counts)


__all__ = ["NO_DECISION", "habits_of", "mark", "recording", "tally"]


class Decision(tuple):
    """A scorer.Decision that also carries its scene's habit counts (`habits`)."""

    habits: tuple[int, ...] = ()


_STATE: dict[str, object] = {"lexicon": None, "counts": [], "habits": ()}


def _decide(view, scorer, _real=attribution.decide):
    if _STATE["lexicon"] is not view.lexicon:  # a new story (or a new block of a long one)
        _STATE["lexicon"], _STATE["counts"] = view.lexicon, [0] * COUNTS
    _STATE["habits"] = tally(view, _STATE["counts"])  # type: ignore[arg-type]
    return _real(view, scorer)


@contextmanager
def recording() -> Iterator[None]:
    """Count habits in every parse inside the block (the parser's own decide is put back after);
    `mark(decision)` gives a decision its scene's counts."""
    if COMPILED:
        raise RuntimeError("the habit count hooks the pure-Python parser: set STORYBOT_PURE_PYTHON=1")
    real = attribution.decide  # type: ignore[attr-defined]
    attribution.decide = _decide  # type: ignore[attr-defined]
    try:
        yield
    finally:
        attribution.decide = real  # type: ignore[attr-defined]
        _STATE.update(lexicon=None, counts=[], habits=())


def mark(decision: tuple) -> Decision:
    found = Decision(decision)
    found.habits = _STATE["habits"]  # type: ignore[assignment]
    return found


def habits_of(decision: tuple) -> tuple[int, ...]:
    return getattr(decision, "habits", ())
