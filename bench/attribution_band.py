"""Can the trivia band (confidence >= 0.8) reach 95% right? Nested held-out trials of what might
sharpen the confidence, on the rows bench/train_attribution.py records (issue 16, part 5).

Each trial is judged as train_attribution.py judges the committed scorer: for each fold, weights
and the confidence model are fitted on the other folds only (the confidence model on their own
inner out-of-fold predictions), and the fold's quotations are scored with them. "confidence
model" reproduces train_attribution.py's held-out report; "before" is the one-map calibration it
replaced (a logistic map of the winner's share, the corpora weighed alike). Per corpus it prints
the accuracy, the >= 0.8 band's accuracy and coverage, and each band's mean confidence minus its
accuracy (>=0.9, 0.8-0.9, 0.5-0.8, <0.5, in points), then the confidence model's accuracy and
coverage at other trivia thresholds.

    python bench/attribution_band.py                # every trial (about 90 fits: slow)
    python bench/attribution_band.py --models-only  # the confidence before and now only (25 fits)
    python bench/attribution_band.py --texts 3      # a quick run on a few texts of each corpus

Trials:
- ambiguity: scorer features for a name that may not be one person: a candidate whose name's
  words (titles aside) all occur in one or in several other characters' names or aliases, a bare
  title ("Colonel"), and on the "none of them" row the same of the rules' pick, and a lone
  candidate;
- crossed: features crossed with the rules' reading of the quotation: the candidate features for
  the readings of a turn (turn-taking, pronoun-turn), or every feature for seven families of
  readings (slow: a few times the base's fits).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import train_attribution as ta  # noqa: E402
from _corpora import FOLDS, NAMES, align, texts  # noqa: E402

from bot.parsing import parse_story  # noqa: E402
from bot.parsing.attribution.evidence import FEATURES, INDEX, RULES  # noqa: E402
from bot.parsing.attribution.scorer import INPUTS  # noqa: E402
from bot.parsing.names import TITLES  # noqa: E402

_NOT_NAME = {t.lower() for t in TITLES} | {"the", "a", "an", "my", "his", "her"}
_PICKS = [INDEX[f] for f in FEATURES if f.startswith("pick_") and f != "pick_trust"]
_BANDS = ((0.9, 2.0), (0.8, 0.9), (0.5, 0.8), (0.0, 0.5))


def _words(name: str) -> frozenset[str]:
    return frozenset(w.lower().strip(".") for w in name.split()) - _NOT_NAME


def collect(limit: int | None) -> tuple[list[ta.Sample], list[tuple[list[str], list[tuple[str, ...]]]]]:
    """train_attribution's samples, with each one's candidate names and the story's characters
    (name and aliases)."""
    samples, extra = [], []
    for corpus in NAMES:
        for number, text in enumerate(texts(corpus)):
            if limit is not None and number >= limit:
                break
            recorder = ta.Recorder()
            story = parse_story(text.raw, filename=text.name, model=recorder)
            people = [(c.name, *c.aliases) for c in story.characters]
            for unit, hit in zip(text.gold, align(text.gold, [q.text for q in story.quotes]), strict=True):
                if hit is None or unit.speaker is None or not recorder.records[hit][0]:
                    continue
                candidates, sparse, decision = recorder.records[hit]
                rows = np.zeros((len(sparse), len(FEATURES)))
                for r, row in enumerate(sparse):
                    for i, v in row:
                        rows[r, i] = v
                right = np.array([text.judge(unit, who) for who in candidates], dtype=bool)
                samples.append(ta.Sample(corpus, text.name, text.fold, unit.kind, rows,
                                         np.append(right, not right.any()), decision))
                extra.append((candidates, people))
    return samples, extra


def ambiguity(samples, extra) -> list[ta.Sample]:
    """The samples with the ambiguity features as extra columns."""
    def sharers(name, people):
        words = _words(name)
        return sum(1 for forms in people if forms[0] != name and any(words <= _words(f) for f in forms)) if words else 0

    def bare_title(name):
        return " " not in name and name.rstrip(".") in TITLES

    out = []
    for s, (candidates, people) in zip(samples, extra, strict=True):
        added = np.zeros((len(s.rows), 7))
        for r, who in enumerate(candidates):
            n = sharers(who, people)
            added[r, :3] = (n >= 1, n >= 2, bare_title(who))
        pick = next((r for r in range(len(candidates)) if s.rows[r, _PICKS].any()), None)
        n = sharers(candidates[pick], people) if pick is not None else 0
        added[-1, 3:] = (n >= 1, n >= 2, pick is not None and bare_title(candidates[pick]), len(candidates) == 1)
        out.append(ta.Sample(s.corpus, s.text, s.fold, s.kind, np.hstack([s.rows, added]), s.right, s.decision))
    return out


# The families of the rules' readings for the crossed trial; no pick is 5, any other reading 6.
_FAMILY = {"explicit": 0, "explicit-far": 0, "narrator": 0, "role": 0, "kin": 0, "unnamed": 0,
           "turn-taking": 1, "pronoun-turn": 1, "vocative": 1, "pronoun": 2, "pronoun-beat": 2,
           "same-paragraph": 3, "beat": 4, "beat-paragraph": 4, "beat-after": 4}


def crossed(samples: list[ta.Sample], families: dict[str, int] | None) -> list[ta.Sample]:
    """The samples with their features repeated in a block per family of the rules' reading
    (read off the "none of them" row). With `families`, every row and feature, in seven blocks
    (_FAMILY, then no pick, then any other reading); without, the candidate features only, in
    one block for the readings of a turn (turn-taking, pronoun-turn)."""
    out = []
    for s in samples:
        reading = next((rule for rule in RULES if s.rows[-1, INDEX[f"none_{rule}"]]), None)
        if families is None:
            width = INDEX["none"]  # the candidate features come first
            added = np.zeros((len(s.rows), width))
            if reading in ("turn-taking", "pronoun-turn"):
                added[:-1] = s.rows[:-1, :width]
        else:
            width = s.rows.shape[1]
            family = 5 if s.rows[-1, INDEX["none_no_pick"]] else families.get(reading, 6)
            added = np.zeros((len(s.rows), 7 * width))
            added[:, family * width:(family + 1) * width] = s.rows
        out.append(ta.Sample(s.corpus, s.text, s.fold, s.kind, np.hstack([s.rows, added]), s.right, s.decision))
    return out


def balanced(corpora: np.ndarray) -> np.ndarray:
    """Weights under which each corpus counts alike: how the one-map calibration was fitted before
    the confidence model."""
    names, counts = np.unique(corpora, return_counts=True)
    share = dict(zip(names, len(corpora) / (len(names) * counts), strict=True))
    return np.array([share[c] for c in corpora])


# Each way of turning the scorer's decision into a confidence: its columns of stage_inputs and how
# the corpora are weighed in fitting it.
_MODELS = {
    "before: a map of the share": ((0, 1), balanced),
    "sixth round (11 inputs)": (tuple(range(INPUTS.index("overruled"))), ta.corpus_weights),
    "confidence model": (tuple(range(len(INPUTS))), ta.corpus_weights),
}


def held_out(samples: list[ta.Sample], stages: dict[str, tuple]) -> dict[str, tuple]:
    """For each confidence model (_MODELS): every quotation's held-out confidence and rightness."""
    found: dict[str, list] = {name: [] for name in stages}
    for fold in range(FOLDS):
        rest = [s for s in samples if s.fold != fold]
        held = [s for s in samples if s.fold == fold]
        if not rest or not held:
            continue
        xs, ys, corpora = [], [], []
        for inner in sorted({s.fold for s in rest}):
            fitted = [s for s in rest if s.fold != inner]
            if not fitted:
                continue
            x, y = ta.confidence_inputs(ta.fit_weights(fitted), [s for s in rest if s.fold == inner])
            xs.append(x)
            ys.append(y)
            corpora += [s.corpus for s in rest if s.fold == inner]
        if not xs:
            continue  # a tiny run: nothing to hold out inside the other folds
        x, y = np.vstack(xs), np.concatenate(ys)
        x_held, y_held = ta.confidence_inputs(ta.fit_weights(rest), held)
        for name, (columns, weigh) in stages.items():
            cols = list(columns)
            names = tuple(INPUTS[c] for c in cols)
            p = ta.fit_confidence(x[:, cols], y, weigh(np.array(corpora)), names)
            confidence = 1 / (1 + np.exp(-(x_held[:, cols] @ np.array([p[n] for n in names]))))
            found[name].append((np.array([s.corpus for s in held]), confidence, y_held))
    return {name: tuple(np.concatenate(part) for part in zip(*parts, strict=True))
            for name, parts in found.items() if parts}


def line(name: str, corpora: np.ndarray, confidence: np.ndarray, right: np.ndarray) -> str:
    out = [f"{name:<22}"]
    for corpus in NAMES:
        sel = corpora == corpus
        if not sel.any():
            continue
        sure = sel & (confidence >= 0.8)
        off = []
        for lo, hi in _BANDS:
            band = sel & (confidence >= lo) & (confidence < hi)
            off.append(f"{100 * (confidence[band].mean() - right[band].mean()):+.1f}" if band.any() else "-")
        out.append(f"{corpus} {right[sel].mean():.1%} band {right[sure].mean():.1%} "
                   f"cover {sure.sum() / sel.sum():.1%} off {' '.join(off)}")
    return " | ".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--texts", type=int, default=None, help="only the first N texts of each corpus")
    ap.add_argument("--models-only", action="store_true", help="the confidence models only, no feature trials")
    args = ap.parse_args(argv)
    samples, extra = collect(args.texts)
    results = held_out(samples, _MODELS)
    if not results:
        print(f"{len(samples)} quotations: too few folds for a nested trial")
        return 0
    for name, found in results.items():
        print(line(name, *found), flush=True)
    corpora, confidence, right = results["confidence model"]
    for threshold in (0.8, 0.83, 0.85, 0.86, 0.87, 0.88, 0.9):
        print(f"at >= {threshold:<4}  " + " | ".join(
            f"{corpus} {right[sel].mean():.1%} right, cover {sel.sum() / (corpora == corpus).sum():.1%}"
            for corpus in NAMES if (sel := (corpora == corpus) & (confidence >= threshold)).any()), flush=True)
    if args.models_only:
        return 0
    model = {"": _MODELS["confidence model"]}
    for found in held_out(ambiguity(samples, extra), model).values():
        print(line("ambiguity features", *found), flush=True)
    for name, families in (("crossed: turn readings", None), ("crossed: 7 families", _FAMILY)):
        for found in held_out(crossed(samples, families), model).values():
            print(line(name, *found), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
