"""Does the confidence model gain from evidence it does not read yet? Nested held-out trials of
new confidence inputs (issue 16, part 5; docs/attribution.md, branch `conf13`).

The scorer's picks never change here; only the confidence model's inputs do. Two kinds of input:

- other readings of the same quotation: the pick of a scorer fitted with part of the features
  left out (`local`: nothing about the exchange's other turns; `exch`: only the exchange and the
  "none" row's basics; `norules`: none of the rules' readings), whether it agrees with the
  winner, the winner's share under it (logit) and how far the winner is behind its pick;
- the confidence of the lines around: the share logits (capped at 6) of the quotations before and
  after in the same text (their minimum or mean over one, two or three on each side), and the
  text's mean share logit;
- and boosted trees with strong shrinkage over the inputs, from the logistic model's margins
  (`--trees`; slow).

Judged as bench/train_attribution.py judges the committed model: for each outer fold, every scorer
(full and partial) is fitted on the other folds, the confidence model on their inner out-of-fold
predictions (the inner folds' scorers fitted without them), and the fold is scored with them.
Per corpus: the >= 0.8 band's accuracy / coverage and wrong lines, each band's mean confidence
minus accuracy (>= 0.9, 0.8-0.9, 0.5-0.8, < 0.5, points), the confidence's log-loss, the share
right of the top 40/50/60% of lines it ranks highest, the 0.87 threshold, the band per fold.

    python bench/confidence_readings.py --fits /tmp/fits   # 100 scorer fits (kept in /tmp/fits)
    python bench/confidence_readings.py --fits /tmp/fits --trees
    python bench/confidence_readings.py --texts 2          # a tiny run
"""
from __future__ import annotations

import argparse
import pickle
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import attribution_band as ab  # noqa: E402
import train_attribution as ta  # noqa: E402

from bot.parsing.attribution.evidence import FEATURES  # noqa: E402
from bot.parsing.attribution.scorer import INPUTS, stage_inputs  # noqa: E402

_EXCH = {
    "pick_turn-taking", "pick_pronoun-turn", "pick_vocative", "pick_alternates", "pick_repeats",
    "pick_sandwiched", "pick_next_same", "in_party", "pick_two_party", "parity_before", "parity_after",
    "parity_both", "prev_turn", "two_turns", "three_turns", "next_turn", "lone_two_turns", "lone_prev_turn",
    "no_pick_two_turns", "answer_two_turns", "answer_prev_turn", "cut_two_turns", "long_prev_turn",
    "short_two_turns", "streak_two_turns", "pair_two_turns", "named_between", "answer_called", "called_after",
    "addressed_before", "none_long_exchange", "none_after_gap", "none_exchange_start", "none_two_party",
    "none_many_party", "none_called_after_pick", "none_turn-taking", "none_pronoun-turn", "none_vocative",
} | {f for f in FEATURES if "_gap_" in f or f.startswith("none_anchor_")}
_BASIC_NONE = {"none", "none_no_pick", "none_lone", "none_few"}
_RULES = {f for f in FEATURES if f.startswith("pick_") or (f.startswith("none_") and f not in _BASIC_NONE)}
VARIANTS = {
    "full": np.ones(len(FEATURES), dtype=bool),
    "local": np.array([f not in _EXCH for f in FEATURES]),
    "exch": np.array([f in _EXCH or f in _BASIC_NONE for f in FEATURES]),
    "norules": np.array([f not in _RULES for f in FEATURES]),
}
READINGS = ("local", "exch", "norules")
CAP = 6.0  # share logits of neighbours are capped here (a sure line says "sure", not how sure)
_BANDS = ((0.9, 2.0), (0.8, 0.9), (0.5, 0.8), (0.0, 0.5))


class Fits:
    """Scorer weights per (variant, outer fold, inner fold or None), fitted once, kept on disk."""

    def __init__(self, samples: list[ta.Sample], where: Path | None) -> None:
        self.samples, self.where, self.found = samples, where, {}

    def __call__(self, variant: str, outer: int, inner: int | None = None) -> np.ndarray:
        key = (variant, outer, inner)
        path = self.where / f"{variant}-{outer}-{inner}.pkl" if self.where else None
        if key not in self.found and path is not None and path.exists():
            self.found[key] = pickle.loads(path.read_bytes())
        if key not in self.found:
            keep = VARIANTS[variant]
            rest = [ta.Sample(s.corpus, s.text, s.fold, s.kind, s.rows[:, keep], s.right, s.decision)
                    for s in self.samples if s.fold not in (outer, inner)]
            w = np.zeros(len(FEATURES))
            w[keep] = ta.fit_weights(rest)
            self.found[key] = w
            if path is not None:
                path.write_bytes(pickle.dumps(w))
        return self.found[key]


def _share(scores: np.ndarray, row: int) -> float:
    e = np.exp(scores - scores.max())
    return float(min(max(e[row] / e.sum(), 1e-6), 1 - 1e-6))


def build(part: list[ta.Sample], full: np.ndarray, readings: dict[str, np.ndarray]) -> tuple:
    """For the samples `part` (one fold, in story order): the committed inputs, the new ones (by
    name), whether the winner is right, the corpus."""
    base, extra, right = [], {}, []
    for s in part:
        scores = s.rows @ full
        best = int(np.argmax(scores[:-1]))
        base.append(stage_inputs(scores.tolist(), best, s.decision))
        right.append(float(s.right[best]))
        for name, w in readings.items():
            other = s.rows @ w
            pick = int(np.argmax(other[:-1]))
            share = _share(other, best)
            extra.setdefault(f"agree_{name}", []).append(float(pick == best))
            extra.setdefault(f"lshare_{name}", []).append(float(np.log(share / (1 - share))))
            extra.setdefault(f"lead_{name}", []).append(float(other[best] - other[pick]))
    base_a = np.array(base)
    found = {k: np.array(v) for k, v in extra.items()}
    text = np.array([s.text for s in part])
    z = np.minimum(base_a[:, 0], CAP)
    n = len(z)
    for k in (1, 2, 3):
        low, total, count = np.full(n, CAP), np.zeros(n), np.zeros(n)
        for d in (*range(-k, 0), *range(1, k + 1)):
            at = np.arange(n) + d
            ok = (at >= 0) & (at < n)
            ok[ok] &= text[at[ok]] == text[ok]
            low[ok] = np.minimum(low[ok], z[at[ok]])
            total[ok] += z[at[ok]]
            count[ok] += 1
        found[f"min{k}"] = low
        found[f"mean{k}"] = np.where(count > 0, total / np.maximum(count, 1), CAP)
        if k == 1:
            for d, name in ((-1, "prev_z"), (1, "next_z")):
                at = np.arange(n) + d
                ok = (at >= 0) & (at < n)
                ok[ok] &= text[at[ok]] == text[ok]
                found[name] = np.full(n, CAP)
                found[name][ok] = z[at[ok]]
    found["story_z"] = np.array([z[text == t].mean() for t in text]) if n else np.zeros(0)
    return base_a, found, np.array(right), np.array([s.corpus for s in part])


def nested_parts(samples: list[ta.Sample]) -> Iterator[tuple[int, int | None, list[ta.Sample]]]:
    """Each (outer fold, inner fold or None, the samples scored there) of the nested trials: inner None
    is the outer fold itself (scored by fits without it), else an inner fold of the outer's training
    texts (scored by fits without both), skipped when no text would be left to fit on."""
    folds = sorted({s.fold for s in samples})
    for outer in folds:
        for inner in (None, *folds):
            if inner == outer:
                continue
            if inner is not None and not any(s.fold not in (outer, inner) for s in samples):
                continue
            yield outer, inner, [s for s in samples if s.fold == (outer if inner is None else inner)]


def held_out(samples: list[ta.Sample], fits: Fits) -> dict:
    data = {}
    for outer, inner, part in nested_parts(samples):
        data[outer, inner] = (*build(part, fits("full", outer, inner),
                                     {v: fits(v, outer, inner) for v in READINGS}),
                              np.full(len(part), outer))
    return data


def trial(data: dict, columns: list, trees: tuple | None = None) -> tuple[np.ndarray, ...]:
    """Held-out confidences with the committed inputs and `columns` (names of new inputs, or
    functions of (base, extra))."""
    def matrix(base, extra):
        more = [np.asarray(c(base, extra) if callable(c) else extra[c])[:, None] for c in columns]
        return np.hstack([base, *more])

    names = INPUTS + tuple(f"new{i}" for i in range(len(columns)))
    found = []
    for outer in sorted({o for o, _ in data}):
        inner = [data[key] for key in data if key[0] == outer and key[1] is not None]
        if not inner:
            continue
        x = np.vstack([matrix(b, e) for b, e, *_ in inner])
        y = np.concatenate([r for _, _, r, *_ in inner])
        weight = ta.corpus_weights(np.concatenate([c for *_, c, _ in inner]))
        params = np.array(list(ta.fit_confidence(x, y, weight, names).values()))
        base, extra, right, corpus, fold = data[outer, None]
        held = matrix(base, extra)
        z = held @ params
        if trees is not None:
            depth, count, rate, leaf = trees
            grown = ab.boost(x, y, weight, x @ params, trees=count, depth=depth, rate=rate, leaf=leaf, lam=20.0)
            z = z + ab.apply(grown, held)
        found.append((1 / (1 + np.exp(-z)), right, corpus, fold))
    return tuple(np.concatenate(parts) for parts in zip(*found, strict=True))


def report(label: str, confidence, right, corpus, fold) -> None:
    print(label)
    for name in ta.NAMES:
        m = corpus == name
        if not m.any():
            continue
        c, r, f = confidence[m], right[m], fold[m]
        band = c >= 0.8
        offsets = " ".join(f"{100 * (c[k].mean() - r[k].mean()):+.1f}" if k.any() else "-"
                           for k in ((c >= lo) & (c < hi) for lo, hi in _BANDS))
        cc = np.clip(c, 1e-9, 1 - 1e-9)
        loss = -np.mean(r * np.log(cc) + (1 - r) * np.log(1 - cc))
        order = np.argsort(-c, kind="stable")
        tops = "/".join(f"{100 * r[order[:max(1, int(len(r) * q))]].mean():.2f}" for q in (0.4, 0.5, 0.6))
        folds = " ".join(f"{100 * r[band & (f == k)].mean():.1f}" if (band & (f == k)).any() else "-"
                         for k in sorted(set(f.tolist())))
        sure = c >= 0.87
        print(f"  {name}: band {100 * r[band].mean() if band.any() else 0:.2f}% / {100 * band.mean():.1f}% "
              f"({int((band & (r == 0)).sum())} wrong)  off {offsets}  loss {loss:.4f}  top40/50/60 {tops}  "
              f"at .87 {100 * r[sure].mean() if sure.any() else 0:.2f}/{100 * sure.mean():.1f}  folds {folds}")
    sys.stdout.flush()


TRIALS: dict[str, list] = {
    "committed inputs": [],
    **{f"+ {kind} {v}": [f"{kind}_{v}"] for kind in ("agree", "lshare", "lead") for v in READINGS},
    "+ agree (all three readings)": [f"agree_{v}" for v in READINGS],
    "+ agree, lshare (local, exch)": ["agree_local", "agree_exch", "lshare_local", "lshare_exch"],
    "+ readings agreeing (0-3)": [lambda b, e: sum(e[f"agree_{v}"] for v in READINGS)],
    **{f"+ {kind} over +-{k}": [f"{kind}{k}"] for k in (1, 2, 3) for kind in ("min", "mean")},
    "+ min over +-1 on turn readings": [lambda b, e: e["min1"] * b[:, INPUTS.index("by_turn")]],
    "+ min, mean over +-3": ["min3", "mean3"],
    "+ the shares before and after": ["prev_z", "next_z"],
    "+ the text's mean share logit": ["story_z"],
    "+ mean over +-1, min over +-3, the text's mean": ["mean1", "min3", "story_z"],
}
TREES = {
    "trees d2 n40 r0.05 leaf 300": (2, 40, 0.05, 300.0),
    "trees d3 n40 r0.05 leaf 500": (3, 40, 0.05, 500.0),
    "trees d3 n80 r0.03 leaf 1000": (3, 80, 0.03, 1000.0),
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--texts", type=int, default=None, help="only the first N texts of each corpus")
    ap.add_argument("--fits", type=Path, default=None, help="a directory to keep the scorer fits in")
    ap.add_argument("--trees", action="store_true", help="boosted trees over the inputs (slow)")
    args = ap.parse_args(argv)
    if args.fits:
        args.fits.mkdir(parents=True, exist_ok=True)
    samples = ta.collect(args.texts)
    print(f"{len(samples)} quotations with candidates")
    data = held_out(samples, Fits(samples, args.fits))
    for label, columns in TRIALS.items():
        report(label, *trial(data, columns))
    if args.trees:
        everything = [*(f"agree_{v}" for v in READINGS), *(f"lshare_{v}" for v in READINGS), "prev_z", "next_z"]
        for label, setting in TREES.items():
            report(f"{label} over the committed inputs", *trial(data, [], setting))
            report(f"{label} over them, the readings and the neighbours", *trial(data, everything, setting))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
