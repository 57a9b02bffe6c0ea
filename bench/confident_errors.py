"""Class the confident wrong picks (confidence >= 0.8) by mechanism: whether the gold speaker was
a candidate at all, and if not, where the text has them; if so, whether the pick and the gold
both speak in the exchange (a turn slip) or not; how long the run of wrong lines around each is,
and how far into its exchange. Counts only: no corpus text is printed.

    python bench/confident_errors.py               # both corpora, the committed weights (in-sample)
    python bench/confident_errors.py --cv          # each fold with weights learned without it
                                                   # (train_attribution.fold_models, as
                                                   # attribution.py --cv: about 8 minutes)
    python bench/confident_errors.py --texts 2     # a tiny run

Reads ../shared/corpora in place. It wraps `attribution.decide` and `exchange.gather` of the pure
Python parser to see each quotation's candidates, the list `gather` filtered them from, and the
scene's turns (docs/attribution.md, branch `err15`).
"""
from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ["STORYBOT_PURE_PYTHON"] = "1"  # the wrappers below need the Python modules

from _corpora import NAMES, align, texts  # noqa: E402

import bot.parsing.attribution as attribution  # noqa: E402
import bot.parsing.attribution.exchange as exchange  # noqa: E402
from bot.parsing import parse_story  # noqa: E402
from bot.parsing.attribution.candidates import NAMES_PER_PARAGRAPH, gather  # noqa: E402

# Paragraphs before a turn whose narration names are looked through beyond what `gather` reads.
FAR_BACK = range(3, 11)


class Seen:
    """What the wrappers keep of each quotation of the story being parsed, in story order."""

    def __init__(self) -> None:
        self.quotes: list[dict | None] = []
        self._base = 0

    def decide(self, view, scorer):
        self._base = len(self.quotes)
        self.quotes.extend([None] * len(view.quotes))
        rules = [(r.speaker, r.rule) for r in view.results]
        decided = _DECIDE(view, scorer)
        for number, (speaker, rule) in enumerate(rules):
            found = self.quotes[self._base + number]
            if found is not None:
                found["rules"] = (speaker, rule)
        return decided

    def gather(self, view, number, addressed):
        found = gather(view, number, addressed)
        result = view.results[number]
        turn = view.turn_of[number]
        first = turn
        while first > 0 and view.gap_before[first] is not None:
            first -= 1
        last = turn
        while last + 1 < len(view.turn_paragraph) and view.gap_before[last + 1] is not None:
            last += 1
        paragraph = view.quotes[number].paragraph
        opening = {who for back in range(3) for who in view.names(view.turn_paragraph[first] - back)[0][:NAMES_PER_PARAGRAPH]}
        far = {who for back in FAR_BACK for who in view.names(paragraph - back)[0]}
        offered = [result.speaker, result.fallback, *view.context(turn).offered]
        if result.gender:
            offered.append(view.lead(result.gender))
        self.quotes[self._base + number] = {
            "candidates": list(found), "offered": [who for who in offered if who],
            "addressed": set(addressed), "addressee": result.addressee,
            "scene": id(view), "exchange": (id(view), first), "turn": turn, "into": turn - first,
            "earlier": {view.turn_speaker[t] for t in range(first, turn)},
            "later": {view.turn_speaker[t] for t in range(turn + 1, last + 1)},
            "party": set(view.party[turn]), "opening": opening, "far": far,
        }
        return found


_DECIDE = attribution.decide


def where(judge, q: dict, characters: list[str]) -> str:
    """The table row of a wrong pick whose gold speaker `judge` recognises."""
    if any(judge(who) for who in q["candidates"]):
        return "candidate"
    hit = next((who for who in q["offered"] if judge(who)), None)
    if hit is not None:
        return "filtered: called on in the speech" if hit in q["addressed"] else "filtered: addressee, sex or cap"
    if not any(judge(who) for who in characters):
        return "not a candidate: no character matches the gold"
    for key, label in (("party", "a tag names them in the exchange"), ("opening", "named by the exchange's opening"),
                       ("later", "the rules give them a later turn"), ("earlier", "the rules give them an earlier turn"),
                       ("far", "named 3-10 paragraphs back")):
        if any(judge(who) for who in q[key]):
            return "not offered: " + label
    return "not offered: none of these"


def run(names: list[str], limit: int | None, cv: bool, floor: float) -> dict[str, Counter]:
    models = None
    if cv:
        from train_attribution import fold_models

        models = fold_models()
    seen = Seen()
    attribution.decide, exchange.gather = seen.decide, seen.gather
    tables: dict[str, Counter] = {}
    try:
        for corpus in NAMES:
            table = tables[corpus] = Counter()
            for count, text in enumerate(texts(corpus, names)):
                if limit is not None and count >= limit:
                    break
                seen.quotes.clear()
                story = parse_story(text.raw, filename=text.name, model=models[text.fold] if models else None)
                characters = [c.name for c in story.characters]
                hits = align(text.gold, [q.text for q in story.quotes])
                lines = [(unit, hit) for unit, hit in zip(text.gold, hits, strict=True)
                         if hit is not None and unit.speaker is not None and seen.quotes[hit] is not None]
                right = {hit: text.judge(unit, story.quotes[hit].speaker) for unit, hit in lines}
                by_exchange: dict[tuple, list[int]] = {}
                for _, hit in lines:
                    by_exchange.setdefault(seen.quotes[hit]["exchange"], []).append(hit)
                for unit, hit in lines:
                    quote, q = story.quotes[hit], seen.quotes[hit]
                    table["lines"] += 1
                    if quote.confidence < floor:
                        continue
                    table["band"] += 1
                    if right[hit]:
                        continue
                    table["wrong"] += 1
                    judge = lambda who, unit=unit, text=text: bool(who) and text.judge(unit, who)  # noqa: E731
                    table["where: " + where(judge, q, characters)] += 1
                    row = by_exchange[q["exchange"]]
                    golds = [u for u, h in lines if h in row]
                    pick_speaks = any(text.judge(u, quote.speaker) for u in golds)
                    gold_picked = any(judge(story.quotes[h].speaker) for h in row)
                    table["exchange: " + ("turn slip (both speak in it, the gold picked elsewhere)" if pick_speaks and gold_picked
                                          else "the gold never picked in it" if pick_speaks
                                          else "the pick does not speak in it")] += 1
                    i = row.index(hit)
                    a = b = i
                    while a > 0 and not right[row[a - 1]]:
                        a -= 1
                    while b + 1 < len(row) and not right[row[b + 1]]:
                        b += 1
                    run_length = b - a + 1
                    table["run: " + ("1" if run_length == 1 else "2-3" if run_length <= 3 else "4-9" if run_length <= 9 else "10+")] += 1
                    into = q["into"]
                    table["turn: " + ("0 (start)" if into == 0 else "1-3" if into <= 3 else "4-9" if into <= 9 else "10+")] += 1
                    table["rule: " + str(q.get("rules", (None, None))[1])] += 1
    finally:
        attribution.decide, exchange.gather = _DECIDE, gather
    return tables


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help="text names (default: all)")
    ap.add_argument("--texts", type=int, default=None, help="only the first N texts of each corpus")
    ap.add_argument("--cv", action="store_true", help="held-out: each fold with weights learned without it")
    ap.add_argument("--floor", type=float, default=0.8, help="the confidence band's floor (default 0.8)")
    args = ap.parse_args(argv)
    for corpus, table in run(args.names, args.texts, args.cv, args.floor).items():
        print(f"{corpus}: {table['lines']} lines, {table['band']} at >= {args.floor}, {table['wrong']} of them wrong")
        for group in ("where", "exchange", "run", "turn", "rule"):
            rows = sorted(((k, v) for k, v in table.items() if k.startswith(group + ": ")), key=lambda kv: -kv[1])
            for key, value in rows:
                print(f"  {key:<70} {value:>6}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
