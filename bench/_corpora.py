"""The two annotated corpora the attribution benches read in place: PDNC and LitBank.

Both live in ../shared/corpora next to a clone (never copied into the repository). Each text
becomes a `Text`: its bytes, its gold quotations in order, and how a predicted speaker is judged
right. `align` pairs our quotations with the gold ones; `fold_of` deals the texts into
cross-validation folds by text, the same way on every machine.
"""
from __future__ import annotations

import ast
import csv
import json
import re
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT.parent / "shared" / "corpora"
NAMES = ("pdnc", "litbank")
FOLDS = 5
PDNC_TYPES = ("Explicit", "Anaphoric", "Implicit")
LITBANK_CATEGORIES = ("named", "narrator", "unnamed")
# How far ahead of the last match an alignment may look, in our quotations. Both sides are in
# text order, so a small window keeps matching linear and stops far-off duplicates matching.
WINDOW = 40

_QUOTE_CHARS = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
_NON_WORD = re.compile(r"[^\w']+")
_TITLE_WORDS = frozenset("mr mrs ms miss dr sir lady lord madame mme mlle monsieur colonel captain".split())


def normalise(text: str) -> str:
    """Lower-case words only, so line wraps, punctuation and quote styles do not matter."""
    return " ".join(_NON_WORD.split(text.translate(_QUOTE_CHARS).lower())).strip()


def name_key(name: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", name.lower()).split())


@dataclass(slots=True)
class GoldQuote:
    text: str
    speaker: str | None  # None: a group or unknowable, not scored for attribution
    kind: str  # PDNC quotation type or LitBank speaker category


@dataclass
class Text:
    corpus: str
    name: str
    raw: bytes
    gold: list[GoldQuote]
    judge: Callable[[GoldQuote, str | None], bool]

    @property
    def fold(self) -> int:
        return fold_of(self.corpus, self.name)


def fold_of(corpus: str, name: str) -> int:
    """A text's fold: texts of each corpus sorted by a fixed hash of their name and dealt round,
    so every fold holds about a fifth of each corpus."""
    names = sorted(_listing(corpus), key=lambda n: (zlib.crc32(n.encode()), n))
    return names.index(name) % FOLDS


_LISTINGS: dict[str, list[str]] = {}


def _listing(corpus: str) -> list[str]:
    if corpus not in _LISTINGS:
        folder = CORPORA / corpus
        if corpus == "pdnc":
            _LISTINGS[corpus] = sorted(p.name for p in folder.iterdir() if (p / "novel_text.txt").exists())
        else:
            _LISTINGS[corpus] = sorted(p.stem for p in folder.glob("*.json"))
    return _LISTINGS[corpus]


def available(corpus: str) -> bool:
    return (CORPORA / corpus).is_dir()


def texts(corpus: str, only: Sequence[str] = ()) -> Iterator[Text]:
    """The corpus's texts in name order (or only those named)."""
    for name in _listing(corpus):
        if only and name not in only:
            continue
        yield _read_pdnc(name) if corpus == "pdnc" else _read_litbank(name)


# PDNC ------------------------------------------------------------------------------------------


def _read_pdnc(name: str) -> Text:
    folder = CORPORA / "pdnc" / name
    raw = (folder / "novel_text.txt").read_bytes()
    text = raw.decode("utf-8")
    aliases: dict[str, set[str]] = {}
    with open(folder / "character_info.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            names = set(ast.literal_eval(row["Aliases"])) | {row["Main Name"]}
            aliases[row["Main Name"]] = {name_key(n) for n in names if not n.startswith("_")}
    gold: list[GoldQuote] = []
    with open(folder / "quotation_info.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            speaker = None if row["speaker"].startswith("_") else _pdnc_main_name(row["speaker"], aliases)
            kind = row["quoteType"] if row["quoteType"] in PDNC_TYPES else "Implicit"
            for start, end in ast.literal_eval(row["quoteByteSpans"]):
                gold.append(GoldQuote(text[start:end], speaker, kind))

    def judge(unit: GoldQuote, ours: str | None) -> bool:
        return unit.speaker is not None and _pdnc_speaker_is(ours, unit.speaker, aliases)

    return Text("pdnc", name, raw, gold, judge)


def _pdnc_main_name(speaker: str, aliases: dict[str, set[str]]) -> str | None:
    """Some novels name the speaker by an alias rather than the main name."""
    if speaker in aliases:
        return speaker
    owners = [main for main, names in aliases.items() if name_key(speaker) in names]
    return owners[0] if len(owners) == 1 else None


def _pdnc_speaker_is(ours: str | None, gold: str, aliases: dict[str, set[str]]) -> bool:
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


# LitBank ---------------------------------------------------------------------------------------


def _untitled(key: str) -> str:
    words = key.split()
    while len(words) > 1 and words[0] in _TITLE_WORDS:
        words = words[1:]
    return " ".join(words)


def _read_litbank(name: str) -> Text:
    folder = CORPORA / "litbank"
    raw = (folder / f"{name}.txt").read_bytes()
    annotation = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
    accepted: dict[str, set[str]] = {}
    for ident, entity in annotation["entities"].items():
        forms = {ident.rsplit("-", 1)[0].replace("_", " "), *entity["prop"], *entity["nom"]}
        keys = {name_key(form) for form in forms} - {""}
        keys |= {_untitled(key) for key in keys}
        if entity.get("narrator"):
            keys |= {"i", "narrator"}
        accepted[ident] = keys
    gold = [
        GoldQuote(q["text"].strip().strip("\"“”‘’'"), q["speaker"] if q["speaker"] in accepted else None, q["category"])
        for q in annotation["quotes"]
    ]

    def judge(unit: GoldQuote, ours: str | None) -> bool:
        if not ours or unit.speaker is None:
            return False
        key = name_key(ours)
        keys = accepted[unit.speaker]
        return key in keys or _untitled(key) in keys

    return Text("litbank", name, raw, gold, judge)


# Alignment -------------------------------------------------------------------------------------


def _matches(gold: str, ours: str) -> bool:
    """Same words, or one side holds the other (our multi-paragraph quotation holds the
    per-paragraph gold parts; a gold part may carry a word our split left outside)."""
    if not gold or not ours:
        return False
    if gold == ours:
        return True
    short, long_ = sorted((gold, ours), key=len)
    return short in long_ and (len(short) >= 12 or len(short) >= 0.5 * len(long_))


def align(gold: Sequence[GoldQuote], ours: Sequence[str]) -> list[int | None]:
    """For each gold quotation, the index of our quotation (by text) that matches it, or None."""
    keys = [normalise(text) for text in ours]
    found: list[int | None] = []
    taken: set[int] = set()
    cursor = 0
    for unit in gold:
        wanted = normalise(unit.text)
        # The best match in the window, first in text order among equals: the same words on a
        # quotation of ours no gold quotation has taken; then ours holding this gold part (our
        # multi-paragraph quotation holds several parts, each matched to it); last a gold part
        # holding ours. A short speech echoed in the next ("If one could but go to Brighton!" /
        # "Oh, yes!--if one could but go to Brighton! But ...") or a "No." said twice must not
        # take the other speaker's quotation.
        hit = None
        rank = 5
        for i in range(max(0, cursor - 3), min(len(keys), cursor + WINDOW)):
            key = keys[i]
            if not _matches(wanted, key):
                continue
            if wanted == key:
                here = 2 if i in taken else 0
            elif wanted in key:
                here = 2 if i in taken else 1
            else:
                here = 4 if i in taken else 3
            if here < rank:
                hit, rank = i, here
                if rank == 0:
                    break
        if hit is not None:
            cursor = hit
            taken.add(hit)
        found.append(hit)
    return found
