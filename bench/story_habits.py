"""Does the confidence model gain from how each story's own tagged turns behave? Nested held-out
trials of confidence inputs made of the story's habits (issue 16, part 5; docs/attribution.md,
branch `adapt14`).

bot/parsing/attribution/habits.py counts, as the story is attributed (no gold), how often two
tagged turns in a row of an exchange name the same speaker, how often three tagged turns
alternate strictly, the share of an exchange's turns a tag names, the share of tags that describe
their speaker or say "I", and the share of untagged turns with a beat. The rates (shrunk towards
a prior over few counts) are crossed with the readings they qualify (a turn reading, the
decoder's margin, the winner's share) and given to the confidence model as new inputs; the
scorer's picks never change.

Judged as bench/train_attribution.py judges the committed model: for each outer fold the scorer is
fitted on the other folds, the confidence model on their inner out-of-fold predictions, and the
fold is scored with them (bench/confidence_readings.py's trial and report).

    python bench/story_habits.py --fits /tmp/adapt14/fits --samples /tmp/adapt14/samples.pkl
    python bench/story_habits.py --texts 2            # a tiny run
"""
from __future__ import annotations

import argparse
import pickle
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import confidence_readings as cr  # noqa: E402
import train_attribution as ta  # noqa: E402

from bot.parsing.attribution import habits as h  # noqa: E402
from bot.parsing.attribution.scorer import INPUTS, stage_inputs  # noqa: E402

SHRINK = 10.0  # pseudo-counts of the prior in every rate


def rates(counts: tuple[int, ...], priors: dict[str, float]) -> dict[str, float]:
    """The story's habit rates from habits.tally's counts, each shrunk towards its prior."""
    c = counts if counts else (0,) * h.COUNTS

    def rate(name: str, hits: int, total: int) -> float:
        return (hits + SHRINK * priors[name]) / (total + SHRINK)

    return {
        "same": rate("same", c[h.SAME], c[h.PAIRS]),
        "alt": rate("alt", c[h.ALTERNATE], c[h.TRIPLES]),
        "tagrate": rate("tagrate", c[h.TAGGED], c[h.TURNS]),
        "described": rate("described", c[h.DESCRIBED], c[h.TAGGED]),
        "narrator": rate("narrator", c[h.NARRATOR], c[h.TAGGED]),
        "beat": rate("beat", c[h.BEAT], c[h.UNTAGGED]),
    }


def pooled(samples: list[ta.Sample]) -> dict[str, float]:
    """Each rate over every story's final counts together (no gold: the priors)."""
    last: dict[str, tuple[int, ...]] = {}
    for s in samples:
        if s.decision[6]:
            last[s.text] = s.decision[6]
    total = np.sum([np.array(c) for c in last.values()], axis=0) if last else np.zeros(h.COUNTS)
    ratio = lambda a, b: float(total[a] / max(total[b], 1))  # noqa: E731
    return {"same": ratio(h.SAME, h.PAIRS), "alt": ratio(h.ALTERNATE, h.TRIPLES), "tagrate": ratio(h.TAGGED, h.TURNS),
            "described": ratio(h.DESCRIBED, h.TAGGED), "narrator": ratio(h.NARRATOR, h.TAGGED),
            "beat": ratio(h.BEAT, h.UNTAGGED)}


def build(part: list[ta.Sample], full: np.ndarray, priors: dict[str, float]) -> tuple:
    base, extra, right = [], {}, []
    for s in part:
        scores = s.rows @ full
        best = int(np.argmax(scores[:-1]))
        base.append(stage_inputs(scores.tolist(), best, s.decision))
        right.append(float(s.right[best]))
        for name, value in rates(s.decision[6], priors).items():
            extra.setdefault(name, []).append(value - priors[name])
    found = {k: np.array(v) for k, v in extra.items()}
    return np.array(base), found, np.array(right), np.array([s.corpus for s in part])


def held_out(samples: list[ta.Sample], fits: cr.Fits, priors: dict[str, float]) -> dict:
    folds = sorted({s.fold for s in samples})
    data = {}
    for outer in folds:
        for inner in (None, *folds):
            if inner == outer:
                continue
            if inner is not None and not any(s.fold not in (outer, inner) for s in samples):
                continue
            part = [s for s in samples if s.fold == (outer if inner is None else inner)]
            data[outer, inner] = (*build(part, fits("full", outer, inner), priors), np.full(len(part), outer))
    return data


def col(name: str):
    return INPUTS.index(name)


def cross(rate: str, *inputs: str):
    """The rate times the sum of the committed inputs named (a reading it qualifies)."""
    return lambda b, e: e[rate] * sum(b[:, col(i)] for i in inputs)


def unsure(rate: str):
    return lambda b, e: e[rate] * (1 - 1 / (1 + np.exp(-b[:, col("share")])))


TRIALS: dict[str, list] = {
    "committed inputs": [],
    **{f"+ {r}": [r] for r in ("same", "alt", "tagrate", "described", "narrator", "beat")},
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--texts", type=int, default=None, help="only the first N texts of each corpus")
    ap.add_argument("--fits", type=Path, default=None, help="a directory to keep the scorer fits in")
    ap.add_argument("--samples", type=Path, default=None, help="a file to keep the recorded rows in")
    ap.add_argument("--only", default=None, help="only the trials whose label holds this")
    args = ap.parse_args(argv)
    if args.fits:
        args.fits.mkdir(parents=True, exist_ok=True)
    if args.samples and args.samples.exists():
        samples = pickle.loads(args.samples.read_bytes())
    else:
        samples = ta.collect(args.texts)
        if args.samples:
            args.samples.write_bytes(pickle.dumps(samples))
    print(f"{len(samples)} quotations with candidates")
    priors = pooled(samples)
    print("priors " + " ".join(f"{k} {v:.3f}" for k, v in priors.items()))
    stories: dict[str, tuple[str, dict[str, float]]] = {}
    for s in samples:
        stories[s.text] = (s.corpus, rates(s.decision[6], priors))
    for corpus in ta.NAMES:
        values = np.array([list(r.values()) for c, r in stories.values() if c == corpus])
        if len(values):
            print(f"  {corpus} per story (final): " + " ".join(
                f"{k} {lo:.2f}-{hi:.2f}" for k, lo, hi in zip(priors, values.min(0), values.max(0), strict=True)))
    data = held_out(samples, cr.Fits(samples, args.fits), priors)
    for label, columns in TRIALS.items():
        if args.only and args.only not in label and label != "committed inputs":
            continue
        cr.report(label, *cr.trial(data, columns))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
