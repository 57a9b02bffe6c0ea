"""Measure quotation extraction and speaker attribution against the PDNC annotated novels.

Reads ../shared/corpora/pdnc in place (never copied into the repository), parses each novel with
our parser (no gold quotations given to it), aligns our quotations with the annotated
sub-quotations, and prints extraction precision/recall/F1, attribution accuracy overall and by
quotation type, per-rule and per-confidence-band precision and coverage, and parse speed.

    python bench/attribution.py                  # all novels
    python bench/attribution.py Emma Persuasion  # some of them
    python bench/attribution.py --json           # one JSON object instead of tables
    python bench/attribution.py --cpu            # also the CPU time of the attribution modules
"""
from __future__ import annotations

import argparse
import ast
import csv
import json
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.parsing import parse_story  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpora" / "pdnc"
BANDS = ((0.8, 1.01, ">=0.8"), (0.5, 0.8, "0.5-0.8"), (0.0, 0.5, "<0.5"))
TYPES = ("Explicit", "Anaphoric", "Implicit")
# How far ahead of the last match an alignment may look, in our quotations. Both sides are in
# text order, so a small window keeps matching linear and stops far-off duplicates matching.
WINDOW = 40

_QUOTE_CHARS = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
_NON_WORD = re.compile(r"[^\w']+")


def normalise(text: str) -> str:
    """Lower-case words only, so line wraps, punctuation and quote styles do not matter."""
    return " ".join(_NON_WORD.split(text.translate(_QUOTE_CHARS).lower())).strip()


def name_key(name: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", name.lower()).split())


@dataclass(slots=True)
class GoldUnit:
    text: str
    speaker: str
    qtype: str


@dataclass
class Tally:
    """Counts for one novel or for the whole corpus."""

    gold: int = 0
    ours: int = 0
    gold_matched: int = 0
    ours_matched: int = 0
    attributable: int = 0
    correct: int = 0
    by_type: Counter = field(default_factory=Counter)
    by_type_correct: Counter = field(default_factory=Counter)
    rule_tried: Counter = field(default_factory=Counter)
    rule_correct: Counter = field(default_factory=Counter)
    band_tried: Counter = field(default_factory=Counter)
    band_correct: Counter = field(default_factory=Counter)
    nbytes: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0

    def add(self, other: Tally) -> None:
        for name in ("gold", "ours", "gold_matched", "ours_matched", "attributable", "correct",
                     "nbytes", "seconds", "cpu_seconds"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("by_type", "by_type_correct", "rule_tried", "rule_correct", "band_tried",
                     "band_correct"):
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
            "accuracy": ratio(self.correct, self.attributable),
            "by_type": {t: ratio(self.by_type_correct[t], self.by_type[t]) for t in TYPES},
            "type_counts": {t: self.by_type[t] for t in TYPES},
            "rules": {
                rule: {"precision": ratio(self.rule_correct[rule], n),
                       "coverage": ratio(n, self.attributable), "n": n}
                for rule, n in self.rule_tried.most_common()
            },
            "bands": {
                label: {"precision": ratio(self.band_correct[label], self.band_tried[label]),
                        "coverage": ratio(self.band_tried[label], self.attributable),
                        "n": self.band_tried[label]}
                for _, _, label in BANDS
            },
            "mb_per_s": (self.nbytes / 1e6) / self.seconds if self.seconds else 0.0,
            # CPU time is steadier than wall time on a machine shared with other work.
            "cpu_mb_per_s": (self.nbytes / 1e6) / self.cpu_seconds if self.cpu_seconds else 0.0,
        }


def ratio(a: int, b: int) -> float:
    return a / b if b else 0.0


def band_of(confidence: float) -> str:
    return next(label for lo, hi, label in BANDS if lo <= confidence < hi)


def read_gold(folder: Path, text: str) -> tuple[list[GoldUnit], dict[str, set[str]]]:
    aliases: dict[str, set[str]] = {}
    with open(folder / "character_info.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            names = set(ast.literal_eval(row["Aliases"])) | {row["Main Name"]}
            aliases[row["Main Name"]] = {name_key(n) for n in names if not n.startswith("_")}
    units: list[GoldUnit] = []
    with open(folder / "quotation_info.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            for start, end in ast.literal_eval(row["quoteByteSpans"]):
                units.append(GoldUnit(text[start:end], row["speaker"], row["quoteType"]))
    return units, aliases


def matches(gold: str, ours: str) -> bool:
    """Same words, or one side holds the other (our multi-paragraph quotation holds the
    per-paragraph gold parts; a gold part may carry a word our split left outside)."""
    if not gold or not ours:
        return False
    if gold == ours:
        return True
    short, long_ = sorted((gold, ours), key=len)
    return short in long_ and (len(short) >= 12 or len(short) >= 0.5 * len(long_))


_TITLE_WORDS = frozenset("mr mrs ms miss dr sir lady lord madame mme mlle monsieur colonel captain".split())


def speaker_is(ours: str | None, gold: str, aliases: dict[str, set[str]]) -> bool:
    """Our canonical name counts as right when it names the gold speaker and no other character.

    First an exact alias (after lower-casing and dropping punctuation). The annotated alias lists
    are incomplete (a novel may list "Hercule Poirot" and "Mr. Poirot" but not "Poirot"), so a name
    that is none of them counts when its words, titles aside, all occur in one alias of the gold
    speaker and in no alias of anybody else. An ambiguous surname shared by a family is never an
    answer: "Bennet" is a word of several characters' names.
    """
    if not ours:
        return False
    key = name_key(ours)
    owners = [main for main, names in aliases.items() if key in names]
    if owners:
        return owners == [gold]
    words = set(key.split()) - _TITLE_WORDS
    if not words:
        return False
    owners = [main for main, names in aliases.items() if any(words <= set(n.split()) for n in names)]
    return owners == [gold]


def gold_main_name(speaker: str, aliases: dict[str, set[str]]) -> str | None:
    """Some novels name the speaker by an alias rather than the main name."""
    if speaker in aliases:
        return speaker
    owners = [main for main, names in aliases.items() if name_key(speaker) in names]
    return owners[0] if len(owners) == 1 else None


def evaluate(folder: Path) -> Tally:
    raw = (folder / "novel_text.txt").read_bytes()
    text = raw.decode("utf-8")
    units, aliases = read_gold(folder, text)
    began, cpu_began = time.perf_counter(), time.process_time()
    story = parse_story(raw, filename=folder.name)
    tally = Tally(nbytes=len(raw), seconds=time.perf_counter() - began,
                  cpu_seconds=time.process_time() - cpu_began)

    ours = [(normalise(q.text), q) for q in story.quotes]
    tally.gold, tally.ours = len(units), len(ours)
    ours_hit = [False] * len(ours)
    cursor = 0
    for unit in units:
        g = normalise(unit.text)
        hit = None
        for i in range(max(0, cursor - 3), min(len(ours), cursor + WINDOW)):
            if matches(g, ours[i][0]):
                hit = i
                break
        if hit is None:
            continue
        cursor = hit
        ours_hit[hit] = True
        tally.gold_matched += 1
        gold_speaker = gold_main_name(unit.speaker, aliases)
        if unit.speaker.startswith("_") or gold_speaker is None:
            continue
        quote = ours[hit][1]
        right = speaker_is(quote.speaker, gold_speaker, aliases)
        qtype = unit.qtype if unit.qtype in TYPES else "Implicit"
        tally.attributable += 1
        tally.correct += right
        tally.by_type[qtype] += 1
        tally.by_type_correct[qtype] += right
        if quote.speaker:
            rule = quote.rule or "unnamed"
            tally.rule_tried[rule] += 1
            tally.rule_correct[rule] += right
            label = band_of(quote.confidence)
            tally.band_tried[label] += 1
            tally.band_correct[label] += right
    tally.ours_matched = sum(ours_hit)
    return tally


def pct(x: float) -> str:
    return f"{100 * x:5.1f}%"


def print_tables(rows: dict[str, dict], total: dict) -> None:
    head = f"{'novel':<28} {'gold':>6} {'ours':>6} {'P':>6} {'R':>6} {'F1':>6} {'acc':>6} " \
           f"{'expl':>6} {'anaph':>6} {'impl':>6} {'MB/s':>6}"
    print(head)
    print("-" * len(head))
    for name, f in [*rows.items(), ("OVERALL", total)]:
        if name == "OVERALL":
            print("-" * len(head))
        bt = f["by_type"]
        print(f"{name:<28} {f['gold']:>6} {f['ours']:>6} {pct(f['precision'])} {pct(f['recall'])} "
              f"{pct(f['f1'])} {pct(f['accuracy'])} {pct(bt['Explicit'])} {pct(bt['Anaphoric'])} "
              f"{pct(bt['Implicit'])} {f['mb_per_s']:6.1f}")
    print("\nattribution rules (over matched quotations with a known gold speaker):")
    print(f"  {'rule':<24} {'n':>7} {'precision':>10} {'coverage':>9}")
    for rule, r in total["rules"].items():
        print(f"  {rule:<24} {r['n']:>7} {pct(r['precision']):>10} {pct(r['coverage']):>9}")
    print("\nconfidence bands:")
    for label, b in total["bands"].items():
        print(f"  {label:<24} {b['n']:>7} {pct(b['precision']):>10} {pct(b['coverage']):>9}")
    print(f"\nparse speed: {total['mb_per_s']:.1f} MB/s wall, {total['cpu_mb_per_s']:.1f} MB/s CPU")
    print("\ntargets: F1 >= 95%, explicit >= 95%, anaphoric >= 80%, implicit >= 60%, "
          "overall >= 80%, band >=0.8 precision >= 95%, parse >= 5 MB/s")


class ModuleClock:
    """CPU seconds (time.process_time, so other load on the machine counts less) spent in the
    attribution modules: building the name lexicon and attributing scenes, against the whole parse."""

    def __init__(self) -> None:
        import bot.parsing.parser as parser
        from bot.parsing.attribution import ChapterAttributor

        self.spent = Counter()
        build_lexicon, scene = parser.build_lexicon, ChapterAttributor.scene

        def timed_lexicon(text):
            began = time.process_time()
            try:
                return build_lexicon(text)
            finally:
                self.spent["lexicon"] += time.process_time() - began

        def timed_scene(attributor, *args):
            began = time.process_time()
            try:
                return scene(attributor, *args)
            finally:
                self.spent["scenes"] += time.process_time() - began

        parser.build_lexicon = timed_lexicon
        ChapterAttributor.scene = timed_scene

    def report(self, parse_seconds: float) -> str:
        return (f"attribution CPU: lexicon {self.spent['lexicon']:.2f} s, scenes {self.spent['scenes']:.2f} s "
                f"(of {parse_seconds:.2f} s parsing)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("novels", nargs="*", help="novel folder names (default: all)")
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--cpu", action="store_true", help="CPU time of the attribution modules")
    args = ap.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 2
    folders = sorted(p for p in args.corpus.iterdir() if (p / "novel_text.txt").exists())
    if args.novels:
        wanted = set(args.novels)
        folders = [p for p in folders if p.name in wanted]
    clock = ModuleClock() if args.cpu else None
    total = Tally()
    rows: dict[str, dict] = {}
    for folder in folders:
        tally = evaluate(folder)
        total.add(tally)
        rows[folder.name] = tally.figures()
    overall = total.figures()
    if args.json:
        print(json.dumps({"novels": rows, "overall": overall}, indent=2))
    else:
        print_tables(rows, overall)
    if clock:
        print(clock.report(total.cpu_seconds), file=sys.stderr if args.json else sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
