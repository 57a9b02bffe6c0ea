"""Does the confidence model gain from whether an exchange's reading holds together? Nested
held-out trials of confidence inputs read from the whole exchange (issue 16, part 5;
docs/attribution.md, branch `exch15`).

`adapt14`'s bound: knowing whether the lines next to a line are right lifts PDNC's >= 0.8 band
to 95.4-96.1%, knowing its story's accuracy only to 94.6%; wrong lines come in runs (an exchange
read with the wrong parity, or the wrong pair). Here, evidence of the exchange from the parse
alone (no gold), each line's input computed from the picks of the scorer under test:

- the exchange decoder's own view (decoding.py, hooked in the pure-Python parser): the
  forward-backward posterior of the winner at its turn over the states the search kept, the
  weakest turn of the exchange (its smallest margin, the smallest posterior of the decoder's
  own pick), the decoder's path against the scorer's picks elsewhere in the exchange;
- the tags around an untagged turn: the nearest tagged turn of the exchange before and after,
  their distance, whether strict alternation counted from each gives the winner this turn,
  whether the two tags' alternation is consistent with each other (or needs someone going on or
  a third speaker somewhere between), how many pairs of the exchange's tags clash so;
- the exchange's picks as a whole: the winner the same as the turn before's (adjacent), a third
  speaker breaking an alternation, how many speakers the picks give the exchange against how many
  its tags name, how many of its turns the scorer gives someone other than the rules' pick.

Judged as bench/confidence_readings.py judges an input (the same nested parts and report): for
each outer fold the scorer is fitted on the other folds, the confidence model on their inner
out-of-fold predictions, the fold scored with them; the scorer's picks never change.

    python bench/exchange_reading.py --fits /tmp/exch15/fits --samples /tmp/exch15/samples.pkl
    python bench/exchange_reading.py --texts 2            # a tiny run
"""
from __future__ import annotations

import argparse
import copy
import inspect
import itertools
import math
import os
import pickle
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

os.environ["STORYBOT_PURE_PYTHON"] = "1"  # the hooks below patch the interpreted parser
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import confidence_readings as cr  # noqa: E402
import train_attribution as ta  # noqa: E402
from _corpora import NAMES, align, texts  # noqa: E402
from scipy import sparse  # noqa: E402

import bot.parsing.attribution as attribution  # noqa: E402
from bot.parsing import parse_story  # noqa: E402
from bot.parsing.attribution import decoding  # noqa: E402
from bot.parsing.attribution.candidates import NAMED_BY_TAG  # noqa: E402
from bot.parsing.attribution.evidence import FEATURES  # noqa: E402
from bot.parsing.attribution.rules import ChapterAttributor  # noqa: E402
from bot.parsing.attribution.scorer import INPUTS, stage_inputs  # noqa: E402
from bot.parsing.native import COMPILED  # noqa: E402

_STATE: dict = {"posterior": {}, "queue": [], "split": {}}


def _posteriors(history, gaps, emissions, transitions, k) -> list[dict[int, float]]:
    """Per turn, the probability of each candidate index by forward-backward over the states the
    Viterbi search kept (its first turn's scores are exact: log prior plus evidence)."""
    size = len(history)
    alpha: list[dict[int, float]] = [dict(zip(history[0][0], (history[0][1][s] for s in history[0][0]), strict=True))]
    for i in range(1, size):
        states = history[i][0]
        row = emissions[i]
        found: dict[int, list[float]] = {s: [] for s in states}
        for s, a in alpha[-1].items():
            i1 = s % k
            trans = transitions(gaps[i], s // k, i1)
            for key in states:
                if key // k == i1:
                    found[key].append(a + trans[key % k] + row[key % k])
        alpha.append({s: _lse(v) for s, v in found.items() if v})
    beta: list[dict[int, float]] = [{} for _ in range(size)]
    beta[-1] = dict.fromkeys(alpha[-1], 0.0)
    for i in range(size - 2, -1, -1):
        row = emissions[i + 1]
        for s in alpha[i]:
            i1 = s % k
            trans = transitions(gaps[i + 1], s // k, i1)
            values = [trans[key % k] + row[key % k] + b for key, b in beta[i + 1].items() if key // k == i1]
            if values:
                beta[i][s] = _lse(values)
    out = []
    for i in range(size):
        joint = {s: a + beta[i][s] for s, a in alpha[i].items() if s in beta[i]}
        if not joint:
            out.append({})
            continue
        total = _lse(list(joint.values()))
        by: dict[int, float] = {}
        for s, v in joint.items():
            by[s % k] = by.get(s % k, 0.0) + math.exp(v - total)
        out.append(by)
    return out


def _lse(values: list[float]) -> float:
    top = max(values)
    return top + math.log(sum(math.exp(v - top) for v in values))


def _stash(run, results, cands, history, gaps, emissions, cached, k) -> None:
    for i, by in enumerate(_posteriors(history, gaps, emissions, cached, k)):
        named = {cands[j]: p for j, p in by.items()}
        for n in run[i]:
            _STATE["posterior"][id(results[n])] = named


def _hooked_decoder():
    """The decoder with one line more: each turn's posteriors stashed (by result) after its margins."""
    source = textwrap.dedent(inspect.getsource(decoding.ExchangeDecoder._decode))
    marker = "    for i, margin in enumerate(_margins(history, gaps, emissions, cached, k)):"
    assert marker in source
    source = source.replace(marker, "    _STASH(run, results, cands, history, gaps, emissions, cached, k)\n" + marker)
    scope = dict(vars(decoding))
    scope["_STASH"] = _stash
    exec(compile(source, decoding.__file__, "exec"), scope)
    return scope["_decode"]


def _split_too(decode):
    """`decode`, after which each turn of an exchange with narration between two of its turns is
    decoded again piece by piece (split at that narration, on copies of the results): whether the
    turn's speaker changes is stashed (by result)."""
    def run_both(self, run, quotes, results, paragraphs, recent):
        pieces, last_end = [[]], -1
        for turn in run:
            if pieces[-1] and quotes[turn[0]].paragraph > last_end + 1:
                pieces.append([])
            pieces[-1].append(turn)
            last_end = max(quotes[n].last_paragraph for n in turn)
        alone: dict[int, str | None] = {}
        if len(pieces) > 1:
            copies = list(results)
            for turn in run:
                for n in turn:
                    copies[n] = copy.copy(results[n])
            for piece in pieces:
                if len(piece) > 1:
                    decode(self, piece, quotes, copies, paragraphs, recent)
            alone = {n: copies[n].speaker for turn in run for n in turn}
        decode(self, run, quotes, results, paragraphs, recent)
        for turn in run:
            for n in turn:
                _STATE["split"][id(results[n])] = (
                    (alone[n] != results[n].speaker, len(pieces)) if alone else (False, 1))
    return run_both


@contextmanager
def recording() -> Iterator[None]:
    """The hooks in place while the block runs (the decoder and decide put back after)."""
    if COMPILED:
        raise RuntimeError("the hooks patch the pure-Python parser: set STORYBOT_PURE_PYTHON=1")
    decode, decide = ChapterAttributor._decode, attribution.decide
    ChapterAttributor._decode = _split_too(_hooked_decoder())
    attribution.decide = _decide
    try:
        yield
    finally:
        ChapterAttributor._decode, attribution.decide = decode, decide
        _STATE.update(posterior={}, queue=[], split={})


def record(raw: bytes, name: str) -> tuple[list, list[dict], list[str]]:
    """Parse a text with the hooks: each quotation's (candidates, rows, decision), its context
    and its text."""
    recorder = Recorder()
    with recording():
        story = parse_story(raw, filename=name, model=recorder)
    assert len(recorder.records) == len(story.quotes) == len(recorder.context)
    return recorder.records, recorder.context, [q.text for q in story.quotes]


_real_decide = attribution.decide


def _decide(view, scorer):
    """Before the scene is decided: what each quotation's exchange looks like (turn, exchange,
    its tag, the rules' reading and the decoder's posteriors)."""
    _STATE["scene"] = _STATE.get("scene", 0) + 1
    scene = _STATE["scene"]
    named = [view._tag_speaker(numbers) for numbers in view.turn_quotes]
    start = 0
    for number in range(len(view.quotes)):
        turn = view.turn_of[number]
        result = view.results[number]
        if view.gap_before[turn] is None:
            start = turn
        _STATE["queue"].append({
            "turn": (scene, turn), "exchange": (scene, start), "gap": view.gap_before[turn],
            "anchor": named[turn], "rules": result.speaker, "rule": result.rule or "",
            "margin": result.margin if result.margin is not None else -1.0,
            "posterior": _STATE["posterior"].get(id(result)),
            "split": _STATE["split"].get(id(result), (False, 0)),
            "tagged": result.rule in NAMED_BY_TAG,
        })
    _STATE["posterior"], _STATE["split"] = {}, {}
    return _real_decide(view, scorer)


class Recorder(ta.Recorder):
    def __init__(self) -> None:
        super().__init__()
        self.context: list[dict] = []

    def pick(self, candidates, rows, decision=ta.NO_DECISION):
        self.context.append(_STATE["queue"].pop(0))
        return super().pick(candidates, rows, decision)


class Text:
    """Every quotation of a text (aligned or not): its candidates' rows, stacked sparse, and context."""

    def __init__(self, records: list, context: list[dict]) -> None:
        self.names = [c for c, _, _ in records]
        self.context = context
        starts, data, cols, indptr = [], [], [], [0]
        for candidates, rows, _ in records:
            starts.append(len(indptr) - 1)
            for row in rows if candidates else []:
                for i, v in row:
                    cols.append(i)
                    data.append(v)
                indptr.append(len(data))
        starts.append(len(indptr) - 1)
        self.starts = starts
        self.matrix = sparse.csr_matrix((data, cols, indptr), shape=(len(indptr) - 1, len(FEATURES)))

    def shares(self, w: np.ndarray) -> list[dict[str, float]]:
        """Per quotation, each candidate's share among the candidates ("none" left out)."""
        scores = self.matrix @ w
        found = []
        for q, names in enumerate(self.names):
            if not names:
                found.append({})
                continue
            s = scores[self.starts[q]:self.starts[q + 1] - 1]
            e = np.exp(s - s.max())
            e = e / e.sum()
            share: dict[str, float] = {}
            for who, v in zip(names, e.tolist(), strict=True):
                share[who] = share.get(who, 0.0) + v
            found.append(share)
        return found

    def winners(self, w: np.ndarray) -> tuple[list[str | None], np.ndarray]:
        scores = self.matrix @ w
        found, z = [], np.zeros(len(self.names))
        for q, names in enumerate(self.names):
            if not names:
                found.append(None)
                continue
            s = scores[self.starts[q]:self.starts[q + 1]]
            best = int(np.argmax(s[:-1]))
            found.append(names[best])
            e = np.exp(s - s.max())
            share = min(max(e[best] / e.sum(), 1e-6), 1 - 1e-6)
            z[q] = math.log(share / (1 - share))
        return found, z


def collect(limit: int | None) -> tuple[list[ta.Sample], dict[str, Text]]:
    samples: list[ta.Sample] = []
    stored: dict[str, Text] = {}
    for corpus in NAMES:
        for number, text in enumerate(texts(corpus)):
            if limit is not None and number >= limit:
                break
            records, context, quotes = record(text.raw, text.name)
            stored[text.name] = Text(records, context)
            for unit, hit in zip(text.gold, align(text.gold, quotes), strict=True):
                if hit is None or unit.speaker is None:
                    continue
                candidates, rows, decision = records[hit]
                if not candidates:
                    continue
                dense = np.zeros((len(rows), len(FEATURES)))
                for r, row in enumerate(rows):
                    for i, v in row:
                        dense[r, i] = v
                right = np.array([text.judge(unit, who) for who in candidates], dtype=bool)
                right = np.append(right, not right.any())
                sample = ta.Sample(corpus, text.name, text.fold, unit.kind, dense, right, decision)
                sample.q = hit  # type: ignore[attr-defined]
                samples.append(sample)
    return samples, stored


# How exchanges go (decoding.py's tables, next to each other and across narration).
_ADJ = {k: v for k, v in decoding._ADJACENT.items()}
_GAP = {k: v for k, v in decoding._AFTER_GAP.items()}


def _smoothed(turns: list[dict[str, float]], gaps: list[int | None]) -> list[dict[str, float]]:
    """The scorer's shares of an exchange's turns read again as one exchange: forward-backward over
    (speaker before, speaker) with decoding.py's transitions, each turn's shares its evidence."""
    names = sorted({who for t in turns for who in t})
    k = len(names)
    if k < 2 or len(turns) < 2:
        return turns
    ev = np.array([[max(t.get(who, 0.0), 1e-3) for who in names] for t in turns])
    ev = ev / ev.sum(1, keepdims=True)

    def table(gap: bool) -> np.ndarray:
        tb = _GAP if gap else _ADJ
        t = np.zeros((k, k, k))
        for i0 in range(k):
            for i1 in range(k):
                for i2 in range(k):
                    if i0 != i1:
                        v = tb["alt-same"] if i2 == i1 else tb["alt-back"] if i2 == i0 else tb["alt-new"] - math.log(max(k - 2, 1))
                    else:
                        v = tb["run-same"] if i2 == i1 else tb["run-new"] - math.log(k - 1)
                    t[i0, i1, i2] = math.exp(v)
        return t

    def start(gap: bool) -> np.ndarray:
        tb = _GAP if gap else _ADJ
        t = np.full((k, k), math.exp(tb["start-other"]) / (k - 1))
        np.fill_diagonal(t, math.exp(tb["start-same"]))
        return t

    tables = {g: table(g) for g in (False, True)}
    starts = {g: start(g) for g in (False, True)}
    size = len(turns)
    # alpha over (i0, i1) from the second turn on
    alpha = [None] * size
    a = (ev[0][:, None] / k) * starts[bool(gaps[1])] * ev[1][None, :]
    alpha[1] = a / a.sum()
    for i in range(2, size):
        a = np.einsum("ab,abc->bc", alpha[i - 1], tables[bool(gaps[i])]) * ev[i][None, :]
        alpha[i] = a / a.sum()
    beta = [None] * size
    beta[-1] = np.ones((k, k))
    for i in range(size - 2, 0, -1):
        b = np.einsum("abc,bc->ab", tables[bool(gaps[i + 1])], ev[i + 1][None, :] * beta[i + 1])
        beta[i] = b / b.sum()
    out = []
    for i in range(size):
        if i == 0:
            p = (alpha[1] * beta[1]).sum(1)
        else:
            p = (alpha[i] * beta[i]).sum(0)
        p = p / p.sum()
        out.append(dict(zip(names, p.tolist(), strict=True)))
    return out


def exchange_inputs(text: Text, w: np.ndarray) -> dict[str, np.ndarray]:
    """Per quotation of the text, the new inputs under the scorer `w` (its picks)."""
    winner, _ = text.winners(w)
    shares = text.shares(w)
    ctx = text.context
    n = len(ctx)
    # Turns, in order: the first quotation with candidates of each gives the turn's winner.
    turns: list[tuple] = []
    turn_of: list[int] = []
    first: dict[tuple, int] = {}
    for c in ctx:
        if c["turn"] not in first:
            first[c["turn"]] = len(turns)
            turns.append(c["turn"])
        turn_of.append(first[c["turn"]])
    m = len(turns)
    tw: list[str | None] = [None] * m
    rules: list[str | None] = [None] * m
    anchor: list[str | None] = [None] * m
    gap: list[int | None] = [None] * m
    exch: list[tuple] = [()] * m
    margin = np.full(m, -1.0)
    post: list[dict | None] = [None] * m
    tshare: list[dict] = [{}] * m
    for q in range(n - 1, -1, -1):
        t = turn_of[q]
        c = ctx[q]
        if winner[q] is not None:
            tw[t] = winner[q]
            tshare[t] = shares[q]
        rules[t], anchor[t], gap[t], exch[t] = c["rules"], c["anchor"], c["gap"], c["exchange"]
        margin[t] = c["margin"] if c["margin"] >= 0 else margin[t]
        post[t] = c["posterior"] if c["posterior"] is not None else post[t]
    # Exchanges: turn index ranges.
    bounds: dict[tuple, list[int]] = {}
    for t in range(m):
        bounds.setdefault(exch[t], []).append(t)
    smooth: list[dict] = [{}] * m
    for ts in bounds.values():
        kept = [u for u in ts if tshare[u]]
        if len(kept) >= 2:
            for u, d in zip(kept, _smoothed([tshare[u] for u in kept], [gap[u] for u in kept]), strict=True):
                smooth[u] = d
    split = [(False, 0)] * m
    for q in range(n):
        if ctx[q].get("split", (False, 0))[1]:
            split[turn_of[q]] = ctx[q]["split"]
    out = {name: np.zeros(n) for name in ("split_here", "split_ex", "split_near", "split_cut", "hmm_lz", "hmm_gain", "hmm_off",
        "same_prev", "same_next", "third", "ex_over", "near_over", "ex_extra", "ex_many", "b_bad", "a_bad", "b_ok",
        "a_ok", "clash", "both_ok", "far", "ex_clash", "no_anchor", "post_low", "post_lz", "ex_weak", "ex_margin_low",
        "dec_runs", "path_off", "untagged", "ex_turns")}
    for q in range(n):
        if winner[q] is None:
            continue
        t = turn_of[q]
        ts = bounds[exch[t]]
        p = ts.index(t)
        who = winner[q]
        out["untagged"][q] = float(anchor[t] is None)
        out["split_here"][q] = float(split[t][0])
        out["split_ex"][q] = float(any(split[u][0] for u in ts))
        out["split_near"][q] = float(any(split[u][0] for u in ts[max(0, p - 2):p + 3]))
        out["split_cut"][q] = float(split[t][1] > 1)
        if smooth[t]:
            ph = min(max(smooth[t].get(who, 0.0), 1e-4), 1 - 1e-4)
            ps = min(max(shares[q].get(who, 0.0), 1e-4), 1 - 1e-4)
            out["hmm_lz"][q] = min(math.log(ph / (1 - ph)), 6.0) - 6.0
            out["hmm_gain"][q] = max(min(math.log(ph / (1 - ph)) - math.log(ps / (1 - ps)), 4.0), -4.0)
            out["hmm_off"][q] = float(max(smooth[t], key=smooth[t].get) != who)
        out["ex_turns"][q] = math.log1p(len(ts) - 1)
        if p > 0 and gap[t] == 0 and tw[ts[p - 1]] == who:
            out["same_prev"][q] = 1.0
        if p + 1 < len(ts) and gap[ts[p + 1]] == 0 and tw[ts[p + 1]] == who:
            out["same_next"][q] = 1.0
        if p >= 2 and tw[ts[p - 1]] not in (None, tw[ts[p - 2]]) and who not in (tw[ts[p - 1]], tw[ts[p - 2]]):
            out["third"][q] = 1.0
        others = [u for u in ts if u != t and tw[u] is not None and rules[u] is not None]
        if others:
            out["ex_over"][q] = sum(tw[u] != rules[u] for u in others) / len(others)
        out["near_over"][q] = sum(tw[u] != rules[u] for u in ts[max(0, p - 2):p + 3]
                                  if u != t and tw[u] is not None and rules[u] is not None)
        named = {anchor[u] for u in ts if anchor[u]}
        picked = {tw[u] for u in ts if tw[u]}
        out["ex_extra"][q] = len(picked - named) if named else 0.0
        out["ex_many"][q] = float(len(picked) > max(2, len(named)))
        out["no_anchor"][q] = float(not named)
        tags = [u for u in ts if anchor[u]]
        out["ex_clash"][q] = sum((anchor[a] == anchor[b]) != ((ts.index(b) - ts.index(a)) % 2 == 0)
                                 for a, b in itertools.pairwise(tags))
        if anchor[t] is None:
            before = [u for u in tags if u < t]
            after = [u for u in tags if u > t]
            db = p - ts.index(before[-1]) if before else None
            da = ts.index(after[0]) - p if after else None
            if db is not None:
                ok = (who == anchor[before[-1]]) == (db % 2 == 0)
                out["b_ok" if ok else "b_bad"][q] = 1.0
            if da is not None:
                ok = (who == anchor[after[0]]) == (da % 2 == 0)
                out["a_ok" if ok else "a_bad"][q] = 1.0
            if db is not None and da is not None:
                consistent = (anchor[before[-1]] == anchor[after[0]]) == ((db + da) % 2 == 0)
                out["clash"][q] = float(not consistent)
                out["both_ok"][q] = float(out["b_ok"][q] and out["a_ok"][q] and consistent)
            dist = min(d for d in (db, da, 99) if d is not None)
            out["far"][q] = math.log1p(dist) if dist < 99 else math.log1p(len(ts))
        pt = post[t]
        if pt:
            pw = min(max(pt.get(who, 0.0), 1e-4), 1 - 1e-4)
            out["post_low"][q] = 1 - pw
            out["post_lz"][q] = min(math.log(pw / (1 - pw)), 6.0) - 6.0
        weak = [1 - max(post[u].values()) for u in ts if post[u]]
        out["ex_weak"][q] = max(weak) if weak else 0.0
        margins = [margin[u] for u in ts if margin[u] >= 0]
        out["ex_margin_low"][q] = float(min(margins) < 1.0) if margins else 0.0
        out["dec_runs"][q] = float(bool(margins))
        # The decoder's reading of the turns around against the scorer's picks there.
        out["path_off"][q] = sum(1 for u in ts[max(0, p - 3):p + 4] if u != t and post[u] and tw[u]
                                 and max(post[u], key=post[u].get) != tw[u])
    return out


def build(part: list[ta.Sample], full: np.ndarray, stored: dict[str, Text]) -> tuple:
    base, right = [], []
    computed: dict[str, dict[str, np.ndarray]] = {}
    extra: dict[str, list[float]] = {}
    for s in part:
        scores = s.rows @ full
        best = int(np.argmax(scores[:-1]))
        base.append(stage_inputs(scores.tolist(), best, s.decision))
        right.append(float(s.right[best]))
        if s.text not in computed:
            computed[s.text] = exchange_inputs(stored[s.text], full)
        for name, values in computed[s.text].items():
            extra.setdefault(name, []).append(values[s.q])
    found = {k: np.array(v) for k, v in extra.items()}
    base_a = np.array(base)
    # Gold, a bound: whether the lines before and after are right (as story_habits).
    right_a = np.array(right)
    text = np.array([s.text for s in part])
    total, count = np.zeros(len(part)), np.zeros(len(part))
    for d in (-1, 1):
        at = np.arange(len(part)) + d
        ok = (at >= 0) & (at < len(part))
        ok[ok] &= text[at[ok]] == text[ok]
        total[ok] += right_a[at[ok]]
        count[ok] += 1
    found["around1"] = np.where(count > 0, total / np.maximum(count, 1), 0.8) - 0.8
    return base_a, found, right_a, np.array([s.corpus for s in part])


def held_out(samples, fits, stored) -> dict:
    return {(outer, inner): (*build(part, fits("full", outer, inner), stored), np.full(len(part), outer))
            for outer, inner, part in cr.nested_parts(samples)}


def by_turn(name: str):
    return lambda b, e: e[name] * b[:, INPUTS.index("by_turn")]


def unsure(name: str):
    return lambda b, e: e[name] * (1 - 1 / (1 + np.exp(-b[:, 0])))


def untagged(name: str):
    return lambda b, e: e[name] * e["untagged"]


_ANCHORS = ["b_bad", "a_bad", "b_ok", "a_ok", "clash"]
TRIALS: dict[str, list] = {
    "committed inputs": [],
    **{f"+ {name}": [name] for name in ("split_here", "split_ex", "split_near", "split_cut")},
    **{f"+ {name} x by_turn": [by_turn(name)] for name in ("split_here", "split_ex", "split_near")},
    "+ split_here, split_ex": ["split_here", "split_ex"],
    "+ split_here, split_cut": ["split_here", "split_cut"],
    "+ ex_weak x by_turn, split_here": [by_turn("ex_weak"), "split_here"],
    "+ hmm_lz": ["hmm_lz"],
    "+ hmm_gain": ["hmm_gain"],
    "+ hmm_off": ["hmm_off"],
    "+ hmm_lz, hmm_gain": ["hmm_lz", "hmm_gain"],
    "+ hmm_gain x by_turn": [by_turn("hmm_gain")],
    "+ hmm_gain, ex_weak": ["hmm_gain", "ex_weak"],
    "+ ex_weak x by_turn, hmm_gain": [by_turn("ex_weak"), "hmm_gain"],
    "+ ex_weak x by_turn, ex_many": [by_turn("ex_weak"), "ex_many"],
    "bound: + the lines before and after right (gold)": ["around1"],
    **{f"+ {name}": [name] for name in (
        "same_prev", "same_next", "third", "ex_over", "near_over", "ex_extra", "ex_many", "b_bad", "a_bad", "b_ok",
        "a_ok", "clash", "both_ok", "far", "ex_clash", "no_anchor", "post_low", "post_lz", "ex_weak",
        "ex_margin_low", "path_off", "ex_turns")},
    **{f"+ {name} x by_turn": [by_turn(name)] for name in (
        "ex_over", "near_over", "post_low", "ex_weak", "far", "clash", "ex_clash", "path_off", "third", "same_prev")},
    **{f"+ {name} x (1 - share)": [unsure(name)] for name in (
        "ex_over", "near_over", "post_low", "ex_weak", "clash", "ex_clash", "path_off", "far")},
    "+ the anchors (b_bad, a_bad, b_ok, a_ok, clash)": list(_ANCHORS),
    "+ the anchors x by_turn": [by_turn(a) for a in _ANCHORS],
    "+ the picks (same_prev, same_next, third)": ["same_prev", "same_next", "third"],
    "+ the decoder (post_lz, ex_weak, path_off)": ["post_lz", "ex_weak", "path_off"],
    "+ over (ex_over, near_over)": ["ex_over", "near_over"],
    "+ all the exchange's": ["same_prev", "same_next", "third", "ex_over", "near_over", "ex_extra", *_ANCHORS,
                             "ex_clash", "far", "post_lz", "ex_weak", "path_off"],
}


def cut(label: str, confidence, right, corpus, fold) -> None:
    """The report, and per corpus where the lines the confidence ranks highest stop being 95% right
    (their share of lines and the confidence there): what a calibrated >= 0.8 band could hold."""
    cr.report(label, confidence, right, corpus, fold)
    for name in ta.NAMES:
        m = corpus == name
        if not m.any():
            continue
        order = np.argsort(-confidence[m], kind="stable")
        running = np.cumsum(right[m][order]) / np.arange(1, m.sum() + 1)
        at = int(np.nonzero(running >= 0.95)[0].max()) if (running >= 0.95).any() else 0
        print(f"  {name}: top {100 * (at + 1) / m.sum():.1f}% of lines 95% right, confidence there "
              f"{confidence[m][order][at]:.3f}")


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
        samples, stored = pickle.loads(args.samples.read_bytes())
    else:
        samples, stored = collect(args.texts)
        if args.samples:
            args.samples.write_bytes(pickle.dumps((samples, stored)))
    print(f"{len(samples)} quotations with candidates")
    data = held_out(samples, cr.Fits(samples, args.fits), stored)
    for label, columns in TRIALS.items():
        if args.only and args.only not in label and label != "committed inputs":
            continue
        cut(label, *cr.trial(data, columns))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
