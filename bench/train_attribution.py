"""Learn the speaker scorer's weights from PDNC and LitBank, print held-out figures, and write
bot/parsing/attribution/weights.json (numbers only: no text, no names).

Every text is parsed once with a recorder in place of the scorer, which keeps each quotation's
candidates, feature rows and the rules' reading; our quotations are aligned with the gold ones and
each candidate is labelled right or wrong by the corpus's own rule. The scorer is a conditional
logit (the candidates of a quotation compete), fitted with L2 by L-BFGS. Its confidence is a small
logistic model of whether the winner is right (scorer.stage_inputs: the winner's share, the
exchange decoder's margin, whether the rules read the speaker off the exchange), fitted on
out-of-fold predictions only: cross-fitted, so it learns how right the scorer is on text it was
not fitted to. Folds are by text
(bench/_corpora.py): a held-out figure never sees its text, nor its fold, in training.

    python bench/train_attribution.py              # held-out figures, then write weights.json
    python bench/train_attribution.py --check      # fail if weights.json is not what training gives
    python bench/train_attribution.py --texts 3    # a quick run on a few texts of each corpus

Needs numpy and scipy (the `train` extra); the bot itself does not.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# Recorder below subclasses Scorer, which a Python class cannot do to the compiled parser's
# (bot/parsing/native.py): training reads the pure Python modules.
os.environ["STORYBOT_PURE_PYTHON"] = "1"
sys.path.insert(0, str(ROOT / "bench"))

from _corpora import FOLDS, NAMES, align, available, texts  # noqa: E402

from bot.parsing import parse_story  # noqa: E402
from bot.parsing.attribution.evidence import FEATURES  # noqa: E402
from bot.parsing.attribution.scorer import (  # noqa: E402
    INPUTS,
    NO_DECISION,
    WEIGHTS_FILE,
    Decision,
    Scorer,
    stage_inputs,
)

# L2 penalty on the summed log-likelihood: weak, the data are tens of thousands of quotations.
L2 = 1.0
# How much a LitBank quotation counts against a PDNC one: LitBank has 700 quotations by 40 authors,
# PDNC 33,000 by 21, and the scorer must hold on both kinds of text.
CORPUS_WEIGHT = {"pdnc": 1.0, "litbank": 10.0}
# How much a LitBank quotation counts against a PDNC one in fitting the confidence model, and its
# L2 penalty (its bias aside). Weighing both corpora alike (LitBank's 700 quotations as much as
# PDNC's 33,000), as the one-map calibration did, fits LitBank's noise; at the scorer's 10, PDNC's
# lines under 0.5 were 4.6 points under their confidence; at 2 every band of both corpora is
# within 5 points (nested held-out folds, bench/attribution_band.py).
CONFIDENCE_WEIGHT = {"pdnc": 1.0, "litbank": 2.0}
CONFIDENCE_L2 = 10.0


class Recorder(Scorer):
    """A scorer that keeps what it is shown, in story order, and picks the rules' own answer."""

    def __init__(self) -> None:
        super().__init__({})
        self.records: list[tuple[list[str], list[list[tuple[int, float]]], Decision]] = []

    def pick(self, candidates, rows, decision=NO_DECISION):
        self.records.append((candidates, rows, decision))
        return super().pick(candidates, rows, decision)


@dataclass
class Sample:
    """One gold quotation our parser found: its candidates' feature rows and which are right."""

    corpus: str
    text: str
    fold: int
    kind: str
    rows: np.ndarray  # (candidates + "none of them") x features
    right: np.ndarray  # bool per row: the right candidates, or "none" when no candidate is
    decision: Decision = NO_DECISION  # the rules' reading, as the confidence model reads it


def collect(limit: int | None = None) -> list[Sample]:
    samples: list[Sample] = []
    for corpus in NAMES:
        for number, text in enumerate(texts(corpus)):
            if limit is not None and number >= limit:
                break
            recorder = Recorder()
            story = parse_story(text.raw, filename=text.name, model=recorder)
            assert len(recorder.records) == len(story.quotes)
            for unit, hit in zip(text.gold, align(text.gold, [q.text for q in story.quotes]), strict=True):
                if hit is None or unit.speaker is None:
                    continue
                candidates, sparse, decision = recorder.records[hit]
                if not candidates:
                    continue  # no candidate at all: no speaker, confidence 0, nothing to learn
                rows = np.zeros((len(sparse), len(FEATURES)))
                for r, row in enumerate(sparse):
                    for i, v in row:
                        rows[r, i] = v
                right = np.array([text.judge(unit, who) for who in candidates], dtype=bool)
                right = np.append(right, not right.any())  # the "none of them" row
                samples.append(Sample(corpus, text.name, text.fold, unit.kind, rows, right, decision))
    return samples


class Batch:
    """Samples stacked for vectorised scoring: all rows, where each quotation's rows start, and
    each quotation's weight (its corpus's)."""

    def __init__(self, samples: list[Sample]) -> None:
        self.samples = samples
        self.x = np.vstack([s.rows for s in samples])
        self.right = np.concatenate([s.right for s in samples])
        sizes = np.array([len(s.right) for s in samples], dtype=int)
        self.starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(int)
        self.ends = self.starts + sizes
        self.group = np.repeat(np.arange(len(samples)), sizes)
        self.weight = np.array([CORPUS_WEIGHT[s.corpus] for s in samples])
        self.is_none = np.zeros(len(self.right), dtype=bool)
        self.is_none[self.ends - 1] = True

    def softmax(self, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        scores = self.x @ w
        top = np.maximum.reduceat(scores, self.starts)
        expd = np.exp(scores - top[self.group])
        total = np.add.reduceat(expd, self.starts)
        return scores, expd, total

    def winners(self, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per quotation: the row of the best candidate ("none" never wins) and its share."""
        scores, expd, total = self.softmax(w)
        masked = np.where(self.is_none, -np.inf, scores)
        best = np.array([start + int(np.argmax(masked[start:end]))
                         for start, end in zip(self.starts, self.ends, strict=True)], dtype=int)
        return best, expd[best] / total


def fit_weights(samples: list[Sample]) -> np.ndarray:
    """Maximum-likelihood conditional logit: the log of the right rows' share, summed with each
    quotation's weight."""
    batch = Batch(samples)
    x, right, starts, group, weight = batch.x, batch.right, batch.starts, batch.group, batch.weight

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        _, expd, total = batch.softmax(w)
        good = np.add.reduceat(np.where(right, expd, 0.0), starts)
        value = -np.sum(weight * (np.log(good) - np.log(total))) + L2 * w @ w
        p_all = expd / total[group]
        p_good = np.where(right, expd / good[group], 0.0)
        grad = -(weight[group] * (p_good - p_all)) @ x + 2 * L2 * w
        return value, grad

    done = minimize(loss, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B", options={"maxiter": 1000})
    return done.x


def confidence_inputs(w: np.ndarray, samples: list[Sample]) -> tuple[np.ndarray, np.ndarray]:
    """For every sample, the confidence model's inputs under weights `w` (scorer.stage_inputs, the
    very code the bot runs) and whether the winner is right."""
    batch = Batch(samples)
    scores = batch.x @ w
    best, _ = batch.winners(w)
    x = np.array([stage_inputs(scores[start:end].tolist(), int(b - start), s.decision)
                  for s, start, end, b in zip(samples, batch.starts, batch.ends, best, strict=True)])
    return x, batch.right[best].astype(float)


def fit_confidence(
    x: np.ndarray, correct: np.ndarray, weight: np.ndarray, names: tuple[str, ...] = INPUTS
) -> dict[str, float]:
    """Logistic model of whether the winner is right, from its inputs (the columns `names`); L2
    on all but the bias."""
    penalty = np.full(x.shape[1], CONFIDENCE_L2)
    penalty[names.index("bias")] = 0.0

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        p = np.clip(1 / (1 + np.exp(-(x @ params))), 1e-9, 1 - 1e-9)
        value = -np.sum(weight * (correct * np.log(p) + (1 - correct) * np.log(1 - p))) + penalty @ params**2
        return value, x.T @ (weight * (p - correct)) + 2 * penalty * params

    start = np.zeros(x.shape[1])
    start[names.index("share")] = 1.0
    done = minimize(loss, start, jac=True, method="L-BFGS-B", options={"maxiter": 1000})
    return dict(zip(names, done.x.tolist(), strict=True))


def predict(w: np.ndarray, samples: list[Sample]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every sample: the confidence model's inputs, whether the winner is right, the corpus."""
    x, correct = confidence_inputs(w, samples)
    return x, correct, np.array([s.corpus for s in samples])


def corpus_weights(corpora: np.ndarray) -> np.ndarray:
    """Each quotation's weight in the confidence model, its corpus's (CONFIDENCE_WEIGHT)."""
    return np.array([CONFIDENCE_WEIGHT[c] for c in corpora])


def train(samples: list[Sample]) -> Scorer:
    """Weights from all `samples`; the confidence model from predictions on folds held out of them."""
    folds = sorted({s.fold for s in samples})
    inputs, correct, corpora = [], [], []
    for fold in folds:
        rest = [s for s in samples if s.fold != fold]
        if not rest:
            continue  # a tiny run with one fold: nothing to hold out
        found = predict(fit_weights(rest), [s for s in samples if s.fold == fold])
        inputs.append(found[0])
        correct.append(found[1])
        corpora.append(found[2])
    confidence = (
        fit_confidence(np.vstack(inputs), np.concatenate(correct), corpus_weights(np.concatenate(corpora)))
        if inputs else None
    )
    weights = fit_weights(samples)
    return Scorer(dict(zip(FEATURES, weights.tolist(), strict=True)), confidence)


_SAMPLES: list[Sample] | None = None


def fold_models(corpora=None) -> dict[int, Scorer]:
    """For each fold, a scorer trained (weights and calibration) on the other folds only."""
    global _SAMPLES
    if _SAMPLES is None:
        _SAMPLES = collect()
    return {fold: train([s for s in _SAMPLES if s.fold != fold]) for fold in range(FOLDS)}


def held_out_report(samples: list[Sample], models: dict[int, Scorer]) -> None:
    """Accuracy and calibration of each fold's scorer on its own held-out fold, from the recorded
    rows (bench/attribution.py --cv gives the same end to end)."""
    bands = ((0.9, 1.01, ">=0.9"), (0.8, 0.9, "0.8-0.9"), (0.5, 0.8, "0.5-0.8"), (0.0, 0.5, "<0.5"))
    for corpus in NAMES:
        rows = [s for s in samples if s.corpus == corpus]
        if not rows:
            continue
        kinds: dict[str, list[int]] = {}
        band_n = {label: [0, 0.0, 0] for *_, label in bands}
        right_total = 0
        for s in rows:
            model = models[s.fold]
            speaker, confidence = model.pick(list(range(len(s.right) - 1)), _sparse(s.rows), s.decision)
            right = bool(speaker is not None and s.right[speaker])
            right_total += right
            kinds.setdefault(s.kind, [0, 0])
            kinds[s.kind][0] += 1
            kinds[s.kind][1] += right
            label = next(label for lo, hi, label in bands if lo <= confidence < hi)
            band_n[label][0] += 1
            band_n[label][1] += confidence
            band_n[label][2] += right
        by_kind = ", ".join(f"{k} {v[1] / v[0]:.1%} (n={v[0]})" for k, v in sorted(kinds.items()))
        print(f"{corpus}: held-out accuracy {right_total / len(rows):.1%} of {len(rows)}; {by_kind}")
        for label, (n, conf, right) in band_n.items():
            if n:
                print(f"  band {label:<8} n={n:<6} coverage {n / len(rows):6.1%}  mean confidence "
                      f"{conf / n:6.1%}  accuracy {right / n:6.1%}")
        sure = [band_n[">=0.9"][k] + band_n["0.8-0.9"][k] for k in (0, 2)]
        if sure[0]:
            print(f"  >=0.8 (trivia)  coverage {sure[0] / len(rows):6.1%}  accuracy {sure[1] / sure[0]:6.1%}")


def _sparse(rows: np.ndarray) -> list[list[tuple[int, float]]]:
    return [[(int(i), float(row[i])) for i in np.flatnonzero(row)] for row in rows]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare with the committed weights.json")
    ap.add_argument("--texts", type=int, default=None, help="only the first N texts of each corpus")
    ap.add_argument("--out", type=Path, default=Path(WEIGHTS_FILE))
    args = ap.parse_args(argv)
    missing = [c for c in NAMES if not available(c)]
    if missing:
        print(f"corpus not found: {', '.join(missing)} (looked in ../shared/corpora)", file=sys.stderr)
        return 2
    samples = collect(args.texts)
    print(f"{len(samples)} gold quotations found by the parser with candidates, "
          f"{sum(not s.right[-1] for s in samples)} with the right speaker among them")
    present = {s.fold for s in samples}
    models = {fold: train([s for s in samples if s.fold != fold]) for fold in present
              if any(s.fold != fold for s in samples)}
    held_out_report([s for s in samples if s.fold in models], models)
    scorer = train(samples)
    produced = json.dumps(scorer.to_dict(), indent=1, sort_keys=True) + "\n"
    if args.check:
        same = args.out.exists() and args.out.read_text(encoding="utf-8") == produced
        print("weights.json is what training gives" if same else "weights.json differs from what training gives")
        return 0 if same else 1
    if args.texts is None:
        args.out.write_text(produced, encoding="utf-8")
        print(f"wrote {args.out.relative_to(ROOT)}")
    else:
        print("(a partial run writes nothing)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
