"""Who says each quotation: explicit tags, pronoun tags, action beats, then turn-taking.

Each rule records its name and a confidence; only explicit name tags reach 0.8 and above, because
trivia relies on that band being right.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.parsing.characters import Lexicon
from bot.parsing.names import NAME_FORM, NAME_TOKEN, PRONOUN_GENDER
from bot.parsing.quotations import RawQuote

log = logging.getLogger(__name__)

_IRREGULAR = {
    "say": ("said", "says"), "tell": ("told", "tells"), "begin": ("began", "begins"),
    "think": ("thought", "thinks"), "spit": ("spat", "spits"), "cry": ("cried", "cries"),
    "reply": ("replied", "replies"), "query": ("queried", "queries"), "snap": ("snapped", "snaps"),
    "beg": ("begged", "begs"), "sob": ("sobbed", "sobs"), "admit": ("admitted", "admits"),
    "sing": ("sang", "sings"), "go": ("went", "goes"), "hum": ("hummed", "hums"),
    "chat": ("chatted", "chats"), "plead": ("pleaded", "pleads"), "rasp": ("rasped", "rasps"),
}
_REGULAR = """
ask answer shout yell scream exclaim whisper mutter mumble murmur growl hiss sigh laugh chuckle
giggle snort scoff sneer call announce declare state add continue start finish conclude explain
remark comment observe note respond retort counter interrupt agree argue insist suggest offer
order command demand request confess warn repeat muse wonder question inquire enquire grunt groan
moan whine whimper breathe gasp stammer stutter roar bellow bark drawl purr tease joke mock taunt
chirp squeak squeal shriek howl grumble complain protest object promise remind assure correct
interject chime pipe quip blurt inform greet huff pant croak intone instruct mention prompt press
persist urge chide scold cheer coo sniff sniffle rumble murmur lecture reason recall reassure
sputter splutter wail grin smirk shrug nod
"""


def _forms(stem: str) -> tuple[str, str]:
    if stem in _IRREGULAR:
        return _IRREGULAR[stem]
    past = stem + "d" if stem.endswith("e") else stem + "ed"
    present = stem + "es" if stem.endswith(("sh", "ch", "ss", "x")) else stem + "s"
    return past, present


_VERB_WORDS = sorted(
    {form for stem in [*_IRREGULAR, *_REGULAR.split()] for form in _forms(stem)}, key=len, reverse=True
)
_VERB = "(?:" + "|".join(_VERB_WORDS) + ")"
_ADVERB = r"(?:[a-z]+ly\s+)?"
_NAME = rf"(?P<name>{NAME_FORM}(?:\s+[A-Z][a-z]+)?)"
_PRONOUN = r"(?P<pronoun>[Hh]e|[Ss]he)"
_AFTER_NAME = re.compile(rf"\s*[,.!?]?\s*{_NAME}\s+{_ADVERB}{_VERB}\b")
_DESCRIPTION = r"(?:(?:a|an|the)\s+(?:[a-z-]+\s+){0,3})?"
_AFTER_INVERTED = re.compile(rf"\s*,?\s*{_VERB}\s+{_ADVERB}{_DESCRIPTION}{_NAME}(?![\w-])", re.IGNORECASE)
_AFTER_PRONOUN = re.compile(rf"\s*[,.!?]?\s*{_PRONOUN}\s+{_ADVERB}{_VERB}\b")
_AFTER_PRONOUN_INVERTED = re.compile(rf"\s*,?\s*{_VERB}\s+(?P<pronoun>he|she)\b")
_TAIL = r"(?:\s+[a-z]+ly)?(?:\s+(?:out|up|back|softly|quietly|loudly))?(?:\s+(?:to|at)\s+\w+(?:\s\w+)?)?\s*[,:]?\s*$"
_BEFORE_NAME = re.compile(rf"(?:^|[.!?]\s+|,\s+|\s)({NAME_FORM})\s+{_ADVERB}{_VERB}{_TAIL}")
_BEFORE_PRONOUN = re.compile(rf"(?:^|[.!?]\s+|,\s+|\s)([Hh]e|[Ss]he)\s+{_ADVERB}{_VERB}{_TAIL}")
_SUBJECT = re.compile(rf"(?:^\s*|[.!?…]['\"”’]?\s+|,\s+)({NAME_FORM})\s+(?:[a-z]+ly\s+)?[a-z]")
_VOCATIVE = re.compile(
    rf"(?:^|[,!?.]\s*|\b(?:hey|oh|yes|no|thanks|sorry|dear|hi|hello)\s+)({NAME_FORM})(?=\s*[,!?.…]|\s*$)",
    re.IGNORECASE,
)
_BEFORE_WINDOW = 160
_AFTER_WINDOW = 160

EXPLICIT = 0.9
INHERITED = 0.85
PRONOUN_NEAR = 0.7
PRONOUN_FAR = 0.6
BEAT_BEFORE = 0.65
BEAT_AFTER = 0.5
VOCATIVE = 0.5
TURN = 0.45


@dataclass(slots=True)
class Attribution:
    speaker: str | None = None
    confidence: float = 0.0
    rule: str | None = None


class ChapterAttributor:
    """Attributes the quotations of one chapter, scene by scene, keeping who was mentioned last."""

    def __init__(self, lexicon: Lexicon) -> None:
        self._lexicon = lexicon
        self._recent: list[str] = []  # canonical names in narration order, most recent last

    def scene(self, paragraphs: Sequence[str], quotes: Sequence[RawQuote]) -> list[Attribution]:
        results = [Attribution() for _ in quotes]
        by_paragraph: dict[int, list[int]] = {}
        for number, quote in enumerate(quotes):
            by_paragraph.setdefault(quote.paragraph, []).append(number)
        covered = {p for q in quotes for p in range(q.paragraph + 1, q.last_paragraph + 1)}
        for index, text in enumerate(paragraphs):
            numbers = by_paragraph.get(index)
            if not numbers:
                if index not in covered:
                    self._remember(text)
                continue
            self._paragraph([quotes[n] for n in numbers], [results[n] for n in numbers])
        self._turn_taking(quotes, results, paragraphs)
        return results

    def _remember(self, narration: str) -> None:
        canonical = self._lexicon.canonical
        for match in NAME_TOKEN.finditer(narration):
            name = canonical.get(match[1])
            if name:
                self._recent.append(name)
        del self._recent[:-50]

    def _paragraph(self, quotes: list[RawQuote], results: list[Attribution]) -> None:
        excluded = [self._mentioned(q.text) for q in quotes]
        self._remember(quotes[0].before)
        for quote, result, names in zip(quotes, results, excluded, strict=True):
            self._explicit(quote, result, names)
        known = [r for r in results if r.rule in ("explicit", "pronoun")]
        for result in results:
            if result.speaker is None and known:
                source = known[0]
                result.speaker = source.speaker
                result.confidence = INHERITED if source.rule == "explicit" else source.confidence
                result.rule = "same-paragraph"
        if all(r.speaker is None for r in results):
            all_names = set().union(*excluded)
            speaker, confidence, rule = self._beat(quotes, all_names)
            for result in results:
                result.speaker, result.confidence, result.rule = speaker, confidence, rule
        self._remember(quotes[-1].after)

    def _explicit(self, quote: RawQuote, result: Attribution, excluded: set[str]) -> None:
        after = quote.after[:_AFTER_WINDOW]
        before = quote.before[-_BEFORE_WINDOW:]
        for pattern, text in ((_AFTER_NAME, after), (_AFTER_INVERTED, after)):
            match = pattern.match(text)
            if match:
                name = self._name(match["name"])
                if name:
                    result.speaker, result.confidence, result.rule = name, EXPLICIT, "explicit"
                    return
        match = _BEFORE_NAME.search(before)
        if match:
            name = self._name(match[1])
            if name:
                result.speaker, result.confidence, result.rule = name, EXPLICIT, "explicit"
                return
        pronoun = None
        for pattern in (_AFTER_PRONOUN, _AFTER_PRONOUN_INVERTED):
            match = pattern.match(after)
            if match:
                pronoun = match["pronoun"]
                break
        else:
            match = _BEFORE_PRONOUN.search(before)
            if match:
                pronoun = match[1]
        if pronoun:
            name, near = self._resolve_pronoun(pronoun.lower(), excluded, quote.before)
            if name:
                result.speaker = name
                result.confidence = PRONOUN_NEAR if near else PRONOUN_FAR
                result.rule = "pronoun"

    def _name(self, written: str) -> str | None:
        """Canonical speaker for a name in a tag; "Naruto Uzumaki" falls back to a known part."""
        canonical = self._lexicon.canonical
        if " " in written and written not in canonical:
            for part in written.split():
                if part in canonical:
                    return canonical[part]
        return self._lexicon.resolve(written)

    def _resolve_pronoun(self, pronoun: str, excluded: set[str], before: str) -> tuple[str | None, bool]:
        gender = PRONOUN_GENDER[pronoun]
        genders = self._lexicon.gender
        near_names = {self._lexicon.canonical.get(m[1]) for m in NAME_TOKEN.finditer(before)}
        for name in reversed(self._recent):
            if name in excluded:
                continue
            if genders.get(name) == gender:
                return name, name in near_names
        return None, False

    def _beat(self, quotes: list[RawQuote], excluded: set[str]) -> tuple[str | None, float, str | None]:
        for text, confidence, rule in (
            (quotes[0].before, BEAT_BEFORE, "beat"),
            (quotes[-1].after, BEAT_AFTER, "beat-after"),
        ):
            subjects = {
                name
                for match in _SUBJECT.finditer(text)
                if (name := self._lexicon.canonical.get(match[1])) and name not in excluded
            }
            if len(subjects) == 1:
                return subjects.pop(), confidence, rule
        return None, 0.0, None

    def _mentioned(self, text: str) -> set[str]:
        canonical = self._lexicon.canonical
        return {name for m in NAME_TOKEN.finditer(text) if (name := canonical.get(m[1]))}

    def _vocatives(self, text: str) -> set[str]:
        canonical = self._lexicon.canonical
        return {name for m in _VOCATIVE.finditer(text) if (name := canonical.get(m[1]))}

    def _turn_taking(
        self, quotes: Sequence[RawQuote], results: list[Attribution], paragraphs: Sequence[str]
    ) -> None:
        """Fill untagged lines of an exchange: speakers alternate, and nobody addresses themself."""
        runs: list[list[list[int]]] = []
        current: list[list[int]] = []  # turns: the quotations of one paragraph of speech
        last_end = -1
        for number, quote in enumerate(quotes):
            if quote.kind != "speech":
                continue
            if current and quote.paragraph <= last_end:
                current[-1].append(number)
                last_end = max(last_end, quote.last_paragraph)
                continue
            gap = range(last_end + 1, quote.paragraph)
            if current and (len(gap) > 2 or any(len(paragraphs[p]) > 300 for p in gap)):
                runs.append(current)  # long narration ends the exchange
                current = []
            current.append([number])
            last_end = quote.last_paragraph
        if current:
            runs.append(current)
        for run in runs:
            self._alternate(run, quotes, results)

    def _alternate(self, run: list[list[int]], quotes: Sequence[RawQuote], results: list[Attribution]) -> None:
        if len(run) < 2:
            return
        speakers: list[str | None] = [results[t[0]].speaker for t in run]
        vocatives = [set().union(*(self._vocatives(quotes[n].text) for n in t)) for t in run]
        mentioned = [set().union(*(self._mentioned(quotes[n].text) for n in t)) for t in run]
        participants = {s for s in speakers if s} | set().union(*vocatives)
        changed = True
        while changed:
            changed = False
            for i in range(len(run)):
                if speakers[i] is not None:
                    continue
                guess, confidence, rule = None, 0.0, None
                if i >= 2 and speakers[i - 2] and speakers[i - 1] and speakers[i - 2] != speakers[i - 1]:
                    guess, confidence, rule = speakers[i - 2], TURN, "turn-taking"
                elif i + 2 < len(run) and speakers[i + 2] and speakers[i + 1] and speakers[i + 2] != speakers[i + 1]:
                    guess, confidence, rule = speakers[i + 2], TURN, "turn-taking"
                elif len(participants) == 2:
                    neighbour = {speakers[j] for j in (i - 1, i + 1) if 0 <= j < len(run) and speakers[j]}
                    others = participants - neighbour - vocatives[i]
                    if vocatives[i] and len(participants - vocatives[i]) == 1:
                        guess, confidence, rule = next(iter(participants - vocatives[i])), VOCATIVE, "vocative"
                    elif neighbour and len(others) == 1:
                        guess, confidence, rule = next(iter(others)), TURN, "turn-taking"
                if guess and guess not in mentioned[i]:
                    speakers[i] = guess
                    for n in run[i]:
                        results[n].speaker, results[n].confidence, results[n].rule = guess, confidence, rule
                    changed = True
