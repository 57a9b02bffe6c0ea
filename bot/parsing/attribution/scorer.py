"""The learned speaker scorer: feature rows in, the best candidate and the probability it is right.

Weights come from weights.json, written by bench/train_attribution.py from the annotated corpora
(numbers only). A conditional logit scores a quotation's candidates against each other and picks
the best; a second, small logistic model says how likely that pick is to be right, from general
facts about the decision (the winner's share against every row, "none of them" included; how sure
the exchange decoder was of its reading of the turn, when the winner is the rules' pick; whether
the rules read the speaker off the exchange; whether the scorer overruled the rules; how many
speech tags the story has, on a close reading of the exchange and on an unsure share; whether the
winner is someone the text only describes, of a sex no tag names). It is fitted only on held-out
predictions of the first, so `confidence` is the probability of being right (CONTRACT §5). It
never changes the pick.
"""
from __future__ import annotations

import json
import math
import os
from functools import cache

from bot.parsing.attribution.evidence import FEATURES
from bot.parsing.native import PACKAGE_DIR

# Found from the package's sources, not this file: compiled (bot/parsing/native.py), this module
# lives elsewhere. (Not importlib.resources: it loads zipfile and more, a few ms of every start.)
WEIGHTS_FILE = os.path.join(PACKAGE_DIR, "attribution", "weights.json")

# What the confidence model reads of a decision (see stage_inputs), in weights.json's order.
INPUTS: tuple[str, ...] = (
    "share",  # the logit of the winner's share against every row, "none of them" included
    "bias",
    "share_over_2",  # how far that logit is over 2, and over 4: the map need not be a straight
    "share_over_4",  # line (a logistic map of the share alone was, before)
    # The winner is the rules' pick and the exchange decoder read its turn: how much likelier the
    # decoder's best reading of the exchange is than the best giving the turn to someone else
    # (log-likelihood), under 1, 1 to 3, 3 to 6 (over 6: none of these).
    "decoder_close",
    "decoder_mid",
    "decoder_sure",
    "by_turn",  # the rules read the speaker off the exchange (turn-taking, a he/she it settles, the
    # one called on answering), where the decoder's margin says the most:
    "turn_close",  # the three above, on such a reading
    "turn_mid",
    "turn_sure",
    "overruled",  # the winner is not the rules' pick, who is a candidate
    "no_pick",  # the rules' pick is none of the candidates (or they have none)
    # The story's speech tags naming a character (log-scaled), on a turn reading (by_turn) whose
    # decoder margin is under 3 on the winner: in a text that names its speakers rarely, the
    # exchange's turn-taking is less often right at the same margin.
    "story_tags_close",
    # The winner is someone the text only describes ("the old man"), and the story's speech tags
    # name no character of their sex: likely a speaker the text never names, whom the
    # description names as well as anything (where tags name people of that sex, a description
    # is more often one of them, seen from outside, and then the description is not their name).
    "described_unnamed",
    # How unsure the winner's share is (1 - share) times the story's speech tags naming a character
    # (log-scaled): where tags are rare, an unsure pick is less often right, its right speaker
    # more often no candidate at all.
    "story_tags_unsure",
    # The winner is the speaker whom the nearest tagged turn of the exchange after this untagged
    # one names, an odd number of turns ahead: strict alternation counted back from that tag gives
    # this turn to someone else (one person went on, or a third joined, somewhere between).
    # (The same of the tag before, and the two tags disagreeing, were tried: docs/attribution.md,
    # branch band10.)
    "tag_odd_after",
)
_BY_TURN = frozenset(("turn-taking", "pronoun-turn", "vocative"))
_BANDS = (1.0, 3.0, 6.0)  # upper ends of the decoder's close, mid and sure margins
_CLOSE_TURN = 3.0  # a decoder margin under this is close (or mid) for story_tags_close
# The rules' reading of a quotation, as the confidence model needs it: the candidate row of their
# pick (-1: none, or not a candidate), the decoder's margin on that turn (-1: no decoder read
# it), their rule's name ("" without a pick), how many speech tags name a character in the
# whole story (Lexicon.speakers, counted once per scene), and the candidate rows (a bit each) of
# speakers the text only describes whose sex no speech tag of the story names (described_unnamed),
# and of candidates whom the nearest tagged turn after names an odd number of turns away
# (tag_odd_after).
Decision = tuple[int, float, str, int, int, int]
NO_DECISION: Decision = (-1, -1.0, "", 0, 0, 0)


def stage_inputs(scores: list[float], best: int, decision: Decision) -> list[float]:
    """The confidence model's inputs (INPUTS) for a decision: `scores` has a score per row, the
    last one "none of them"; `best` is the winning candidate's row."""
    pick, margin, rule, tags, unnamed, odd_after = decision
    top = max(scores)
    share = math.exp(scores[best] - top) / sum([math.exp(s - top) for s in scores])
    share = min(max(share, 1e-6), 1 - 1e-6)
    z = math.log(share / (1 - share))
    found = [z, 1.0, max(z - 2.0, 0.0), max(z - 4.0, 0.0), 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
             1.0 if unnamed >> best & 1 else 0.0, (1.0 - share) * math.log1p(tags) / 5,
             1.0 if odd_after >> best & 1 else 0.0]
    turn = rule in _BY_TURN
    if turn:
        found[7] = 1.0
    if pick == best and margin >= 0:
        for band, upper in enumerate(_BANDS):
            if margin < upper:
                found[4 + band] = 1.0
                if turn:
                    found[8 + band] = 1.0
                break
        if turn and margin < _CLOSE_TURN:
            found[13] = math.log1p(tags) / 5
    if pick < 0:
        found[12] = 1.0
    elif pick != best:
        found[11] = 1.0
    return found


class Scorer:
    def __init__(self, weights: dict[str, float], confidence: dict[str, float] | None = None) -> None:
        self.weights = [float(weights.get(name, 0.0)) for name in FEATURES]
        # Without a fitted model, the confidence is the winner's share.
        confidence = confidence if confidence is not None else {"share": 1.0}
        self.confidence = [float(confidence.get(name, 0.0)) for name in INPUTS]

    @classmethod
    def from_dict(cls, data: dict) -> Scorer:
        return cls(data["weights"], data["confidence"])

    def to_dict(self) -> dict:
        return {
            "weights": {name: round(w, 6) for name, w in zip(FEATURES, self.weights, strict=True) if w},
            "confidence": {name: round(w, 6) for name, w in zip(INPUTS, self.confidence, strict=True) if w},
        }

    def pick(
        self, candidates: list[str], rows: list[list[tuple[int, float]]], decision: Decision = NO_DECISION
    ) -> tuple[str | None, float]:
        """The speaker of a quotation among its candidates, and the probability it is right.
        `rows` has one row per candidate and a last one for "none of them"."""
        if not candidates:
            return None, 0.0
        best, confidence = self.choose(rows, decision)
        return candidates[best], confidence

    def scores(self, rows: list[list[tuple[int, float]]]) -> list[float]:
        weights = self.weights
        scores: list[float] = []
        for row in rows:
            score = 0.0
            for i, v in row:
                score += weights[i] * v
            scores.append(score)
        return scores

    def choose(self, rows: list[list[tuple[int, float]]], decision: Decision = NO_DECISION) -> tuple[int, float]:
        """The best candidate row (never the last, "none of them"; the first of equals) and the
        probability that it is right."""
        scores = self.scores(rows)
        # The first best candidate, as max() would pick it (compiled, a loop over floats costs
        # less than max() and index(), which compare boxed floats).
        best = 0
        best_score = scores[0]
        for j in range(1, len(scores) - 1):
            if scores[j] > best_score:
                best, best_score = j, scores[j]
        z = 0.0
        for w, x in zip(self.confidence, stage_inputs(scores, best, decision), strict=True):
            z += w * x
        return best, 1.0 / (1.0 + math.exp(-z)) if z > -30 else 0.0


@cache
def committed() -> Scorer:
    """The weights shipped with the bot."""
    with open(WEIGHTS_FILE, encoding="utf-8") as file:
        return Scorer.from_dict(json.loads(file.read()))
