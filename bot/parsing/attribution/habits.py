"""How a story's own tagged turns behave, counted as the story is attributed (no gold): how often
two tagged turns in a row of an exchange change speaker, how often three alternate strictly, how
many of an exchange's turns a tag names, and how the tags name their speakers. Authors differ; a
text whose tagged turns rarely alternate makes readings counted by turn-taking less reliable.

The counts run on in the lexicon from scene to scene, in text order (as `Lexicon.partners` does):
each scene adds its own once the rules have read it, before the scorer decides it, so a scene's
figures hold the story so far and the scene itself, never what comes after (streaming-friendly;
a long story's blocks each count their own, bot/parsing/parallel.py)."""
from __future__ import annotations

from bot.parsing.attribution.candidates import NAMED_BY_TAG, SceneView

TYPE_CHECKING = False  # typing's, without loading typing: `parse` starts without it (bot/startup.py)
if TYPE_CHECKING:
    from typing import Final

# The counts, in Lexicon.habits' order.
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


def tally(view: SceneView) -> tuple[int, ...]:
    """Add the scene's tagged turns to the story's counts (view.lexicon.habits) and return the
    counts so far, this scene included."""
    counts = view.lexicon.habits
    if not counts:
        counts.extend([0] * COUNTS)
    results = view.results
    named = view.tag_named
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
