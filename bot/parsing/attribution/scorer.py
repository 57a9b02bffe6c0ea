"""The learned speaker scorer: feature rows in, the best candidate and the probability it is right.

Weights and the calibration come from weights.json, written by bench/train_attribution.py from
the annotated corpora (numbers only). A conditional logit scores a quotation's candidates against
each other; a two-number logistic map, fitted on held-out folds, turns the winner's share into the
chance of being right, which is what `confidence` means (CONTRACT §5).
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


class Scorer:
    def __init__(self, weights: dict[str, float], calibration: tuple[float, float] = (1.0, 0.0)) -> None:
        self.weights = [float(weights.get(name, 0.0)) for name in FEATURES]
        self.slope, self.intercept = calibration

    @classmethod
    def from_dict(cls, data: dict) -> Scorer:
        return cls(data["weights"], tuple(data["calibration"]))

    def to_dict(self) -> dict:
        return {
            "weights": {name: round(w, 6) for name, w in zip(FEATURES, self.weights, strict=True) if w},
            "calibration": [round(self.slope, 6), round(self.intercept, 6)],
        }

    def pick(self, candidates: list[str], rows: list[list[tuple[int, float]]]) -> tuple[str | None, float]:
        """The speaker of a quotation among its candidates, and the probability it is right.
        `rows` has one row per candidate and a last one for "none of them"."""
        if not candidates:
            return None, 0.0
        best, confidence = self.choose(rows)
        return candidates[best], confidence

    def choose(self, rows: list[list[tuple[int, float]]]) -> tuple[int, float]:
        """The best candidate row (never the last, "none of them") and the calibrated probability
        that it is right: its share against every row, "none" included."""
        weights = self.weights
        scores = []
        for row in rows:
            score = 0.0
            for i, v in row:
                score += weights[i] * v
            scores.append(score)
        # The first best candidate, as max() with a key would pick; then the top of all rows.
        best_score = max(scores[:-1])
        best = scores.index(best_score)
        top = best_score if best_score >= scores[-1] else scores[-1]
        exp = math.exp
        share = exp(best_score - top) / sum([exp(s - top) for s in scores])
        return best, self.calibrate(share)

    def calibrate(self, share: float) -> float:
        share = min(max(share, 1e-6), 1 - 1e-6)
        z = self.slope * math.log(share / (1 - share)) + self.intercept
        return 1.0 / (1.0 + math.exp(-z)) if z > -30 else 0.0


@cache
def committed() -> Scorer:
    """The weights shipped with the bot."""
    with open(WEIGHTS_FILE, encoding="utf-8") as file:
        return Scorer.from_dict(json.loads(file.read()))
