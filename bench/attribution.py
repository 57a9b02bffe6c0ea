"""Measure quotation extraction and speaker attribution on the PDNC and LitBank corpora.

Reads ../shared/corpora/{pdnc,litbank} in place (never copied into the repository), parses each
text with our parser (no gold quotations given to it), aligns our quotations with the annotated
ones, and prints extraction precision/recall/F1, attribution accuracy by PDNC quotation type and
by LitBank speaker category, per text, a calibration table (does a confidence of 0.9 mean nine
in ten right?) and parse speed.

    python bench/attribution.py                      # both corpora, the committed weights
    python bench/attribution.py --corpus litbank     # one corpus
    python bench/attribution.py --cv                 # held-out: each fold parsed with weights
                                                     # learned on the other folds only
    python bench/attribution.py Emma Persuasion      # some texts
    python bench/attribution.py --json               # one JSON object instead of tables
    python bench/attribution.py --cv --errors /tmp/e.txt   # also write the wrong picks at >= 0.8
                                                     # (confidence, rule, gold, paragraphs around;
                                                     # --errors-floor 0 for every wrong pick)
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
if "--cv" in sys.argv[1:]:
    # Each fold's weights are learned by bench/train_attribution.py, whose recorder subclasses the
    # scorer, which the compiled parser refuses (bot/parsing/native.py): held-out runs read the
    # pure Python modules, so the parse speed they print is the pure parser's.
    os.environ["STORYBOT_PURE_PYTHON"] = "1"

from _corpora import LITBANK_CATEGORIES, NAMES, PDNC_TYPES, Text, align, available, texts  # noqa: E402

from bot.parsing import parse_story  # noqa: E402
from bot.trivia.questions import SPEAKER_CONFIDENCE  # noqa: E402

# Bands of the calibration table: CONTRACT §5 says a confidence is the probability of being right.
BANDS = ((0.9, 1.01, ">=0.9"), (0.8, 0.9, "0.8-0.9"), (0.5, 0.8, "0.5-0.8"), (0.0, 0.5, "<0.5"))
KINDS = {"pdnc": PDNC_TYPES, "litbank": LITBANK_CATEGORIES}


@dataclass
class Tally:
    """Counts for one text or for a whole corpus."""

    gold: int = 0
    ours: int = 0
    gold_matched: int = 0
    ours_matched: int = 0
    attributable: int = 0
    correct: int = 0
    by_kind: Counter = field(default_factory=Counter)
    by_kind_correct: Counter = field(default_factory=Counter)
    band_tried: Counter = field(default_factory=Counter)
    band_correct: Counter = field(default_factory=Counter)
    band_confidence: Counter = field(default_factory=Counter)
    rule_tried: Counter = field(default_factory=Counter)
    rule_correct: Counter = field(default_factory=Counter)
    trivia_tried: int = 0  # lines at trivia's threshold (SPEAKER_CONFIDENCE) or over
    trivia_correct: int = 0
    nbytes: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0

    def add(self, other: Tally) -> None:
        for name in ("gold", "ours", "gold_matched", "ours_matched", "attributable", "correct",
                     "trivia_tried", "trivia_correct", "nbytes", "seconds", "cpu_seconds"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("by_kind", "by_kind_correct", "band_tried", "band_correct", "band_confidence",
                     "rule_tried", "rule_correct"):
            getattr(self, name).update(getattr(other, name))

    def figures(self) -> dict:
        p = ratio(self.ours_matched, self.ours)
        r = ratio(self.gold_matched, self.gold)
        return {
            "gold": self.gold,
            "ours": self.ours,
            "precision": p,
            "recall": r,
            "f1": 2 * p * r / (p + r) if p + r else 0.0,
            "attributable": self.attributable,
            "accuracy": ratio(self.correct, self.attributable),
            "by_kind": {k: ratio(self.by_kind_correct[k], n) for k, n in sorted(self.by_kind.items())},
            "kind_counts": dict(sorted(self.by_kind.items())),
            "bands": {
                label: {"n": self.band_tried[label],
                        "coverage": ratio(self.band_tried[label], self.attributable),
                        "mean_confidence": ratio(self.band_confidence[label], self.band_tried[label]),
                        "accuracy": ratio(self.band_correct[label], self.band_tried[label])}
                for _, _, label in BANDS
            },
            "rules": {rule: {"n": n, "accuracy": ratio(self.rule_correct[rule], n)}
                      for rule, n in self.rule_tried.most_common()},
            "trivia_band": {
                "coverage": ratio(self.band_tried[">=0.9"] + self.band_tried["0.8-0.9"], self.attributable),
                "accuracy": ratio(self.band_correct[">=0.9"] + self.band_correct["0.8-0.9"],
                                  self.band_tried[">=0.9"] + self.band_tried["0.8-0.9"]),
            },
            "trivia_threshold": {"threshold": SPEAKER_CONFIDENCE,
                                 "coverage": ratio(self.trivia_tried, self.attributable),
                                 "accuracy": ratio(self.trivia_correct, self.trivia_tried)},
            "mb_per_s": (self.nbytes / 1e6) / self.seconds if self.seconds else 0.0,
            # CPU time is steadier than wall time on a machine shared with other work.
            "cpu_mb_per_s": (self.nbytes / 1e6) / self.cpu_seconds if self.cpu_seconds else 0.0,
        }


def ratio(a: float, b: float) -> float:
    return a / b if b else 0.0


def band_of(confidence: float) -> str:
    return next(label for lo, hi, label in BANDS if lo <= confidence < hi)


def evaluate(text: Text, model=None, errors: list[str] | None = None, floor: float = 0.8) -> Tally:
    """Parse one text end to end (with `model`'s weights, or the committed ones) and score it.

    With `errors`, each wrong pick at `floor` or over is added to it as a block of text: the
    text, the kind, the confidence, the rule, ours and the gold speaker, and the paragraphs around
    (corpus text: for a terminal or a scratch file, never for the repository)."""
    began, cpu_began = time.perf_counter(), time.process_time()
    story = parse_story(text.raw, filename=text.name, model=model)
    tally = Tally(nbytes=len(text.raw), seconds=time.perf_counter() - began,
                  cpu_seconds=time.process_time() - cpu_began)
    tally.gold, tally.ours = len(text.gold), len(story.quotes)
    hits = align(text.gold, [q.text for q in story.quotes])
    tally.gold_matched = sum(hit is not None for hit in hits)
    tally.ours_matched = len({hit for hit in hits if hit is not None})
    for unit, hit in zip(text.gold, hits, strict=True):
        if hit is None or unit.speaker is None:
            continue
        quote = story.quotes[hit]
        right = text.judge(unit, quote.speaker)
        tally.attributable += 1
        tally.correct += right
        tally.by_kind[unit.kind] += 1
        tally.by_kind_correct[unit.kind] += right
        # An unanswered quotation is in the lowest band: its confidence is the chance it is right.
        label = band_of(quote.confidence)
        tally.band_tried[label] += 1
        tally.band_correct[label] += right
        tally.band_confidence[label] += quote.confidence
        if quote.confidence >= SPEAKER_CONFIDENCE:
            tally.trivia_tried += 1
            tally.trivia_correct += right
        rule = quote.rule or "none"
        tally.rule_tried[rule] += 1
        tally.rule_correct[rule] += right
        if errors is not None and not right and quote.confidence >= floor:
            errors.append(_error_block(text, story, quote, unit))
    return tally


def _error_block(text: Text, story, quote, unit) -> str:
    paragraphs = story.chapters[quote.chapter].scenes[quote.scene].paragraphs
    around = range(max(0, quote.paragraph - 3), min(len(paragraphs), quote.paragraph + 2))
    lines = [f"== {text.corpus} {text.name} fold {text.fold} | {unit.kind} | conf {quote.confidence:.2f} | "
             f"rule {quote.rule} | ours {quote.speaker!r} | gold {unit.speaker!r}",
             f"   quote: {quote.text[:160]!r}"]
    lines += [f"   {'>' if i == quote.paragraph else ' '} {paragraphs[i][:400]}" for i in around]
    return "\n".join(lines)


def pct(x: float) -> str:
    return f"{100 * x:5.1f}%"


def print_corpus(corpus: str, rows: dict[str, dict], total: dict, folds: dict[int, dict]) -> None:
    kinds = KINDS[corpus]
    short = {k: k[:6] for k in kinds}
    head = f"{corpus + ' text':<34} {'gold':>5} {'P':>6} {'R':>6} {'F1':>6} {'acc':>6} " + " ".join(
        f"{short[k]:>8}" for k in kinds)
    print(head)
    print("-" * len(head))
    for name, f in [*rows.items(), ("OVERALL", total)]:
        if name == "OVERALL":
            print("-" * len(head))
        cells = " ".join(
            f"{pct(f['by_kind'][k]) if f['kind_counts'].get(k) else '     -':>8}" for k in kinds)
        print(f"{name[:34]:<34} {f['gold']:>5} {pct(f['precision'])} {pct(f['recall'])} "
              f"{pct(f['f1'])} {pct(f['accuracy'])} {cells}")
    counts = ", ".join(f"{k} {total['kind_counts'].get(k, 0)}" for k in kinds)
    print(f"(attributable quotations: {total['attributable']}: {counts})")
    print(f"\n{corpus} calibration: {'band':<8} {'n':>6} {'coverage':>9} {'mean conf':>10} {'accuracy':>9}")
    for label, b in total["bands"].items():
        print(f"{'':<20} {label:<8} {b['n']:>6} {pct(b['coverage']):>9} {pct(b['mean_confidence']):>10} "
              f"{pct(b['accuracy']):>9}")
    print(f"{corpus} by rule: " + ", ".join(
        f"{rule} {r['n']} ({pct(r['accuracy']).strip()})" for rule, r in total["rules"].items()))
    t = total["trivia_band"]
    print(f"{'':<20} >=0.8 (trivia): coverage {pct(t['coverage'])}, accuracy {pct(t['accuracy'])}")
    t = total["trivia_threshold"]
    print(f"{'':<20} >={t['threshold']} (trivia's threshold): coverage {pct(t['coverage'])}, "
          f"accuracy {pct(t['accuracy'])}")
    for fold, f in folds.items():
        b = f["trivia_band"]
        print(f"{'':<20} fold {fold}: accuracy {pct(f['accuracy'])} ({f['attributable']}), "
              f">=0.8 {pct(b['accuracy'])} of {pct(b['coverage']).strip()}")
    print()


def run(corpora: list[str], only: list[str], cv: bool, errors: list[str] | None = None, floor: float = 0.8) -> dict:
    models = None
    if cv:
        from train_attribution import fold_models

        models = fold_models(corpora)
    result = {}
    for corpus in corpora:
        total = Tally()
        folds: dict[int, Tally] = {}
        rows: dict[str, dict] = {}
        for text in texts(corpus, only):
            tally = evaluate(text, models[text.fold] if models else None, errors, floor)
            total.add(tally)
            folds.setdefault(text.fold, Tally()).add(tally)
            rows[text.name] = tally.figures()
        if rows:
            result[corpus] = {"texts": rows, "overall": total.figures(),
                              "folds": {fold: folds[fold].figures() for fold in sorted(folds)}}
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("texts", nargs="*", help="text names (default: all)")
    ap.add_argument("--corpus", choices=[*NAMES, "all"], default="all")
    ap.add_argument("--cv", action="store_true",
                    help="held-out figures: each fold with weights learned on the other folds")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--errors", metavar="FILE",
                    help="write the wrong picks at confidence >= 0.8 to FILE, with rule and context "
                         "(corpus text: keep FILE out of the repository)")
    ap.add_argument("--errors-floor", type=float, default=0.8, metavar="P",
                    help="with --errors, the wrong picks at confidence P or over (default 0.8)")
    args = ap.parse_args(argv)
    corpora = list(NAMES) if args.corpus == "all" else [args.corpus]
    missing = [c for c in corpora if not available(c)]
    if missing:
        print(f"corpus not found: {', '.join(missing)} (looked in ../shared/corpora)", file=sys.stderr)
        return 2
    if args.errors and Path(args.errors).resolve().is_relative_to(ROOT):
        print("--errors: write outside the repository (the file holds corpus text)", file=sys.stderr)
        return 2
    errors: list[str] | None = [] if args.errors else None
    result = run(corpora, args.texts, args.cv, errors, args.errors_floor)
    if errors is not None:
        Path(args.errors).write_text("\n\n".join(errors) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print("held-out folds (weights learned without the text's fold)\n" if args.cv else
          "committed weights (learned on every text: in-sample; see --cv for held-out figures)\n")
    for corpus, found in result.items():
        print_corpus(corpus, found["texts"], found["overall"], found["folds"])
    if "pdnc" in result:
        o = result["pdnc"]["overall"]
        from bot.parsing.native import COMPILED

        # Which parser ran: --cv reads the pure Python one (see the top), and a build older than
        # the sources (or none) falls back to it silently (bot/parsing/native.py).
        which = f"compiled parser, {len(COMPILED)} modules" if COMPILED else "pure Python parser"
        print(f"parse speed (PDNC, one process, {which}): {o['mb_per_s']:.1f} MB/s wall, "
              f"{o['cpu_mb_per_s']:.1f} MB/s CPU")
    print("targets (held-out): PDNC >= 82% (anaphoric >= 72%), LitBank >= 60% (narrator >= 60%, unnamed >= 30%); "
          ">=0.8 band >= 95% right covering >= 40% on each corpus; each band within 5 points of its mean "
          "confidence; parse >= 5 MB/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
