"""Does the confidence model gain from how each story's own tagged turns behave? Nested held-out
trials of confidence inputs made of the story's habits (issue 16, part 5; docs/attribution.md,
branch `adapt14`).

bench/_habits.py counts, as the story is attributed (no gold; hooked into the pure-Python parser),
how often two tagged turns in a row of an exchange name the same speaker, how often three tagged
turns alternate strictly, how often alternation counted from a tag across untagged turns gives
the next tag's speaker, the share of an exchange's turns a tag names, the share of tags that
describe their speaker or say "I", and the share of untagged turns with a beat. The rates (shrunk towards
a prior over few counts) are crossed with the readings they qualify (a turn reading, the
decoder's margin, the winner's share) and given to the confidence model as new inputs; the
scorer's picks never change.

Judged as bench/train_attribution.py judges the committed model: for each outer fold the scorer is
fitted on the other folds, the confidence model on their inner out-of-fold predictions, and the
fold is scored with them (bench/confidence_readings.py's trial and report). `--scorer`: the
rates crossed with the scorer's turn features instead (new scorer columns, the scorer and the
confidence both fitted nested). "bound" rows give the confidence model each story's own accuracy
(gold, the line itself left out): what no input read from the text can beat.

    python bench/story_habits.py --fits /tmp/adapt14/fits --samples /tmp/adapt14/samples.pkl
    python bench/story_habits.py --fits /tmp/adapt14/fits --samples /tmp/adapt14/samples.pkl --scorer
    python bench/story_habits.py --texts 2            # a tiny run
"""
from __future__ import annotations

import argparse
import os
import pickle
import sys
from pathlib import Path

import numpy as np

os.environ["STORYBOT_PURE_PYTHON"] = "1"  # the habit count hooks the interpreted parser
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import _habits as h  # noqa: E402
import confidence_readings as cr  # noqa: E402
import train_attribution as ta  # noqa: E402

from bot.parsing.attribution.scorer import INPUTS, stage_inputs  # noqa: E402


class Recorder(ta.Recorder):
    """train_attribution's recorder, each decision marked with its scene's habit counts."""

    def pick(self, candidates, rows, decision=ta.NO_DECISION):
        return super().pick(candidates, rows, h.mark(decision))


def collect(limit: int | None) -> list[ta.Sample]:
    ta.Recorder = Recorder
    with h.recording():
        return ta.collect(limit)

SHRINK = 10.0  # pseudo-counts of the prior in every rate


def rates(counts: tuple[int, ...], priors: dict[str, float]) -> dict[str, float]:
    """The story's habit rates from habits.tally's counts, each shrunk towards its prior."""
    c = tuple(counts) + (0,) * (h.COUNTS - len(counts))

    def rate(name: str, hits: int, total: int) -> float:
        return (hits + SHRINK * priors[name]) / (total + SHRINK)

    return {
        "same": rate("same", c[h.SAME], c[h.PAIRS]),
        "alt": rate("alt", c[h.ALTERNATE], c[h.TRIPLES]),
        "tagrate": rate("tagrate", c[h.TAGGED], c[h.TURNS]),
        "described": rate("described", c[h.DESCRIBED], c[h.TAGGED]),
        "narrator": rate("narrator", c[h.NARRATOR], c[h.TAGGED]),
        "beat": rate("beat", c[h.BEAT], c[h.UNTAGGED]),
        "parity": rate("parity", c[h.PARITY_HOLDS], c[h.PARITY]),
    }


def pooled(samples: list[ta.Sample]) -> dict[str, float]:
    """Each rate over every story's final counts together (no gold: the priors)."""
    last: dict[str, tuple[int, ...]] = {}
    for s in samples:
        if h.habits_of(s.decision):
            last[s.text] = h.habits_of(s.decision)
    total = np.sum([np.array(c) for c in last.values()], axis=0) if last else np.zeros(h.COUNTS)
    ratio = lambda a, b: float(total[a] / max(total[b], 1))  # noqa: E731
    return {"same": ratio(h.SAME, h.PAIRS), "alt": ratio(h.ALTERNATE, h.TRIPLES), "tagrate": ratio(h.TAGGED, h.TURNS),
            "described": ratio(h.DESCRIBED, h.TAGGED), "narrator": ratio(h.NARRATOR, h.TAGGED),
            "beat": ratio(h.BEAT, h.UNTAGGED), "parity": ratio(h.PARITY_HOLDS, h.PARITY)}


def build(part: list[ta.Sample], full: np.ndarray, priors: dict[str, float]) -> tuple:
    base, extra, right = [], {}, []
    for s in part:
        scores = s.rows @ full
        best = int(np.argmax(scores[:-1]))
        base.append(stage_inputs(scores.tolist(), best, s.decision))
        right.append(float(s.right[best]))
        for name, value in rates(h.habits_of(s.decision), priors).items():
            extra.setdefault(name, []).append(value - priors[name])
    found = {k: np.array(v) for k, v in extra.items()}
    # A bound, not an input the parser could have (gold): each story's own accuracy under this
    # scorer, the line itself left out, over all its lines and over its turn readings only.
    base_a, right_a = np.array(base), np.array(right)
    text = np.array([s.text for s in part])
    turn = base_a[:, INPUTS.index("by_turn")] > 0 if len(base_a) else np.zeros(0, dtype=bool)
    z = base_a[:, 0] if len(base_a) else np.zeros(0)
    middle = (z >= 0.8) & (z < 2.8)  # shares of about 0.69-0.94: the lines about the band's edge
    found["middle"] = middle.astype(float)
    for name, among in (("oracle", np.ones(len(part), dtype=bool)), ("oracle_turn", turn),
                        ("oracle_middle", middle)):
        value = np.zeros(len(part))
        for t in set(text.tolist()):
            m = text == t
            k = m & among
            hits, n = right_a[k].sum(), k.sum()
            own = np.where(among[m], right_a[m], 0.0)
            left = n - among[m]
            value[m] = np.where(left > 0, (hits - own + 0.8 * 10) / (left + 10), 0.8) - 0.8
        found[name] = value
    # The lines around (gold too): the share right of the k lines before and after in the text.
    n = len(part)
    for k in (1, 3):
        total, count = np.zeros(n), np.zeros(n)
        for d in (*range(-k, 0), *range(1, k + 1)):
            at = np.arange(n) + d
            ok = (at >= 0) & (at < n)
            ok[ok] &= text[at[ok]] == text[ok]
            total[ok] += right_a[at[ok]]
            count[ok] += 1
        found[f"around{k}"] = np.where(count > 0, total / np.maximum(count, 1), 0.8) - 0.8
    return base_a, found, right_a, np.array([s.corpus for s in part])


def held_out(samples: list[ta.Sample], fits: cr.Fits, priors: dict[str, float]) -> dict:
    return {(outer, inner): (*build(part, fits("full", outer, inner), priors), np.full(len(part), outer))
            for outer, inner, part in cr.nested_parts(samples)}


def col(name: str):
    return INPUTS.index(name)


def cross(rate: str, *inputs: str):
    """The rate times the sum of the committed inputs named (a reading it qualifies)."""
    return lambda b, e: e[rate] * sum(b[:, col(i)] for i in inputs)


def unsure(rate: str):
    return lambda b, e: e[rate] * (1 - 1 / (1 + np.exp(-b[:, col("share")])))


TRIALS: dict[str, list] = {
    "committed inputs": [],
    **{f"+ {r}": [r] for r in ("same", "alt", "tagrate", "described", "narrator", "beat", "parity")},
    **{f"+ parity x {i}": [cross("parity", *i.split(","))] for i in (
        "by_turn", "turn_close", "turn_close,turn_mid", "decoder_close,decoder_mid", "tag_odd_after")},
    "+ parity x (1 - share)": [unsure("parity")],
    "+ parity, parity x by_turn": ["parity", cross("parity", "by_turn")],
    "+ parity, alt": ["parity", "alt"],
    "bound: + the story's own accuracy (gold)": ["oracle"],
    "bound: + the story's own accuracy on turn readings (gold) x by_turn": [cross("oracle_turn", "by_turn")],
    "bound: + both (gold)": ["oracle", cross("oracle_turn", "by_turn")],
    "bound: + the story's own accuracy about the band's edge (gold) there": [
        "middle", lambda b, e: e["oracle_middle"] * e["middle"]],
    "bound: + the lines around right, +-1 (gold)": ["around1"],
    "bound: + the lines around right, +-3 (gold)": ["around3"],
    "bound: + all three (gold)": ["oracle", cross("oracle_turn", "by_turn"), "middle",
                                  lambda b, e: e["oracle_middle"] * e["middle"]],
    **{f"+ {r} x by_turn": [cross(r, "by_turn")] for r in ("same", "alt", "tagrate", "beat")},
    **{f"+ {r} x turn_close,mid": [cross(r, "turn_close", "turn_mid")] for r in ("same", "alt", "tagrate", "beat")},
    **{f"+ {r} x decoder_close,mid": [cross(r, "decoder_close", "decoder_mid")] for r in ("same", "alt", "tagrate")},
    **{f"+ {r} x (1 - share)": [unsure(r)] for r in ("same", "alt", "tagrate", "described", "narrator", "beat")},
    **{f"+ {r} x tag_odd_after": [cross(r, "tag_odd_after")] for r in ("same", "alt")},
    "+ same, alt x by_turn": [cross("same", "by_turn"), cross("alt", "by_turn")],
    "+ same, alt, tagrate x by_turn": [cross("same", "by_turn"), cross("alt", "by_turn"), cross("tagrate", "by_turn")],
    "+ same, alt, tagrate x (1 - share)": [unsure("same"), unsure("alt"), unsure("tagrate")],
    "+ same, alt, tagrate x by_turn and x (1 - share)": [
        cross("same", "by_turn"), cross("alt", "by_turn"), cross("tagrate", "by_turn"),
        unsure("same"), unsure("alt"), unsure("tagrate")],
}


# Scorer trials (--scorer): candidate features crossed with a habit rate (centred on its prior),
# as new scorer columns; the scorer and the confidence model are both fitted nested.
CROSSES: dict[str, list[tuple[str, str]]] = {
    "alt x turn features": [("alt", f) for f in ("parity_before", "parity_after", "prev_turn", "two_turns",
                                                 "streak_two_turns")],
    "alt, same, tagrate x turn features": [
        *((r, f) for r in ("alt", "same", "tagrate") for f in ("parity_before", "parity_after", "prev_turn", "two_turns")),
    ],
}


def with_crosses(samples: list[ta.Sample], crosses: list[tuple[str, str]], priors: dict[str, float]) -> list[ta.Sample]:
    from bot.parsing.attribution.evidence import INDEX

    out = []
    for s in samples:
        r = rates(h.habits_of(s.decision), priors)
        added = np.zeros((len(s.rows), len(crosses)))
        for k, (rate, feature) in enumerate(crosses):
            added[:-1, k] = s.rows[:-1, INDEX[feature]] * (r[rate] - priors[rate])
        out.append(ta.Sample(s.corpus, s.text, s.fold, s.kind, np.hstack([s.rows, added]), s.right, s.decision))
    return out


def scorer_trial(samples: list[ta.Sample], label: str, where: Path | None) -> None:
    """Nested: per outer fold the scorer on the other folds, the confidence on their inner
    out-of-fold predictions; the fold's accuracy and confidence reported as `report` does."""
    folds = sorted({s.fold for s in samples})
    found = []
    for outer in folds:
        xs, ys, cs = [], [], []
        for inner in folds:
            if inner == outer:
                continue
            fitted = [s for s in samples if s.fold not in (outer, inner)]
            part = [s for s in samples if s.fold == inner]
            if not fitted or not part:
                continue
            path = where / f"{label.replace(' ', '_')}-{outer}-{inner}.pkl" if where else None
            if path is not None and path.exists():
                w = pickle.loads(path.read_bytes())
            else:
                w = ta.fit_weights(fitted)
                if path is not None:
                    path.write_bytes(pickle.dumps(w))
            x, y = ta.confidence_inputs(w, part)
            xs.append(x)
            ys.append(y)
            cs += [s.corpus for s in part]
        if not xs:
            continue
        params = ta.fit_confidence(np.vstack(xs), np.concatenate(ys), ta.corpus_weights(np.array(cs)))
        held = [s for s in samples if s.fold == outer]
        w = ta.fit_weights([s for s in samples if s.fold != outer])
        x, y = ta.confidence_inputs(w, held)
        z = x @ np.array([params[n] for n in INPUTS])
        found.append((1 / (1 + np.exp(-z)), y, np.array([s.corpus for s in held]), np.full(len(held), outer)))
    confidence, right, corpus, fold = (np.concatenate(p) for p in zip(*found, strict=True))
    cr.report(label, confidence, right, corpus, fold)
    for name in ta.NAMES:
        m = corpus == name
        if m.any():
            print(f"  {name} accuracy {100 * right[m].mean():.2f}%  per fold " + " ".join(
                f"{100 * right[m & (fold == k)].mean():.1f}" for k in folds if (m & (fold == k)).any()))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--texts", type=int, default=None, help="only the first N texts of each corpus")
    ap.add_argument("--fits", type=Path, default=None, help="a directory to keep the scorer fits in")
    ap.add_argument("--samples", type=Path, default=None, help="a file to keep the recorded rows in")
    ap.add_argument("--only", default=None, help="only the trials whose label holds this")
    ap.add_argument("--scorer", action="store_true", help="scorer trials: habit rates crossed with turn features")
    args = ap.parse_args(argv)
    if args.fits:
        args.fits.mkdir(parents=True, exist_ok=True)
    if args.samples and args.samples.exists():
        samples = pickle.loads(args.samples.read_bytes())
    else:
        samples = collect(args.texts)
        if args.samples:
            args.samples.write_bytes(pickle.dumps(samples))
    print(f"{len(samples)} quotations with candidates")
    priors = pooled(samples)
    print("priors " + " ".join(f"{k} {v:.3f}" for k, v in priors.items()))
    stories: dict[str, tuple[str, dict[str, float]]] = {}
    for s in samples:
        stories[s.text] = (s.corpus, rates(h.habits_of(s.decision), priors))
    for corpus in ta.NAMES:
        values = np.array([list(r.values()) for c, r in stories.values() if c == corpus])
        if len(values):
            print(f"  {corpus} per story (final): " + " ".join(
                f"{k} {lo:.2f}-{hi:.2f}" for k, lo, hi in zip(priors, values.min(0), values.max(0), strict=True)))
    if args.scorer:
        # (the committed features: the "committed inputs" row of the confidence trials)
        for label, crosses in CROSSES.items():
            if args.only and args.only not in label:
                continue
            scorer_trial(with_crosses(samples, crosses, priors), f"scorer: + {label}", args.fits)
        return 0
    data = held_out(samples, cr.Fits(samples, args.fits), priors)
    for label, columns in TRIALS.items():
        if args.only and args.only not in label and label != "committed inputs":
            continue
        cr.report(label, *cr.trial(data, columns))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
