"""Who is in the story: names with evidence of being people, their aliases, gender and mentions."""
from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field

from bot.parsing.model import Character
from bot.parsing.names import (
    NAME_FORM,
    NAME_TOKEN,
    PRONOUN_GENDER,
    TITLE_GENDER,
    TITLES,
    base_form,
    is_stopword,
)

log = logging.getLogger(__name__)

_SENTENCE_INITIAL = re.compile(
    rf"(?:^|[.!?…:;]['\"”’)*_]*\s+|[\"“‘(*_—–-]\s*|['\"”’]\s+)({NAME_FORM})(?![\w-])", re.MULTILINE
)
_PAIR = re.compile(r"(?<![\w'’-])([A-Z][a-z]+)[ ]([A-Z][a-z]+)(?![\w'’-])")
# A sentence opened by a name, then the first personal pronoun of that sentence: a gender vote.
_GENDER_VOTE = re.compile(
    rf"(?:^|[.!?]['\"”’]?\s+)({NAME_FORM})\b([^.!?\"“”\n]{{0,50}}?)\b(he|his|him|himself|she|her|hers|herself)\b",
    re.MULTILINE,
)
# "Itachi closed his eyes": a possessive or reflexive right after a name and its verb is theirs.
_OWN_VOTE = re.compile(
    rf"(?<![\w'’-])({NAME_FORM})\s+(?:[a-z]+ly\s+)?[a-z]+(?:ed|s)\b([^.!?\"“”\n]{{0,30}}?)\b(his|her|himself|herself)\b"
)
_SUBJECT = re.compile(
    rf"(?:^|[.!?]['\"”’]?\s+)({NAME_FORM})\s+(?:[a-z]+ly\s+)?(?:[a-z]+ed|said|saw|felt|knew|took|made|"
    r"thought|stood|sat|ran|came|went|shook|gave|held|let|put|got|began|told|heard|found|turned|"
    r"spoke|smiled|nodded|sighed|laughed|frowned|grinned|shrugged|blinked|stared|glanced)\b",
    re.MULTILINE,
)
_MIN_MID_SENTENCE = 2
_RECURRING = 3


@dataclass(slots=True)
class Lexicon:
    """Name forms found in the text and what each resolves to."""

    canonical: dict[str, str] = field(default_factory=dict)  # any form -> canonical name
    forms: Counter[str] = field(default_factory=Counter)  # form -> occurrences
    gender: dict[str, str] = field(default_factory=dict)  # canonical -> "M" / "F"
    evidence: Counter[str] = field(default_factory=Counter)  # canonical -> signs of being a person

    def resolve(self, written: str) -> str | None:
        """Canonical name for a name as written in a tag, or None for words that name nobody."""
        if is_stopword(written):
            return None
        if written in self.canonical:
            return self.canonical[written]
        base = base_form(written)
        if is_stopword(base):
            return None
        return self.canonical.get(base, base)


def build_lexicon(text: str) -> Lexicon:
    """Collect name forms that appear capitalised inside sentences, merge aliases, learn genders."""
    lexicon = Lexicon()
    totals = Counter(NAME_TOKEN.findall(text))
    initial = Counter(_SENTENCE_INITIAL.findall(text))
    by_base: Counter[str] = Counter()
    forms_of: dict[str, list[str]] = {}
    for form, total in totals.items():
        base = base_form(form)
        if len(base) < 2 or is_stopword(base):
            continue
        mid = total - initial.get(form, 0)
        honorific = base != form and "'" not in form and "’" not in form
        if mid < _MIN_MID_SENTENCE and not honorific:
            continue
        by_base[base] += total
        forms_of.setdefault(base, []).append(form)
        if honorific:
            lexicon.evidence[base] += total
    for base in by_base:
        # "Narutos eyes": a possessive written without its apostrophe is the same person.
        main = base[:-1] if base.endswith("s") and by_base.get(base[:-1], 0) > by_base[base] else base
        lexicon.canonical[base] = main
        for form in forms_of[base]:
            lexicon.canonical[form] = main
            lexicon.forms[form] = totals[form]
    _merge_full_names(text, lexicon, by_base)
    _learn_genders(text, lexicon)
    for form, count in Counter(_SUBJECT.findall(text)).items():
        name = lexicon.canonical.get(form)
        if name:
            lexicon.evidence[name] += count
    return lexicon


def _merge_full_names(text: str, lexicon: Lexicon, by_base: Counter[str]) -> None:
    """Uzumaki Naruto and Naruto Uzumaki are both Naruto: the more frequent part is the name."""
    pairs = Counter(_PAIR.findall(text))
    in_pairs: Counter[str] = Counter()
    for (first, second), count in pairs.items():
        in_pairs[first] += count
        in_pairs[second] += count
    for (first, second), count in pairs.items():
        if first not in by_base or second not in by_base or first == second:
            continue
        if first in TITLES or second in TITLES:
            continue
        main = first if by_base[first] >= by_base[second] else second
        other = second if main == first else first
        if other == second and by_base[other] <= in_pairs[other]:
            continue  # "Hokage Tower": a place named after someone, not a full name
        full = f"{first} {second}"
        lexicon.canonical[full] = lexicon.canonical.get(main, main)
        lexicon.forms[full] += count


def _learn_genders(text: str, lexicon: Lexicon) -> None:
    votes: dict[str, Counter[str]] = {}
    for form, between, pronoun in [*_GENDER_VOTE.findall(text), *_OWN_VOTE.findall(text)]:
        name = lexicon.canonical.get(form)
        if name is None or NAME_TOKEN.search(between):
            continue  # another name in between: the pronoun may be theirs
        votes.setdefault(name, Counter())[PRONOUN_GENDER[pronoun]] += 1
    for form, name in lexicon.canonical.items():
        title = form.split()[0].rstrip(".") if " " in form else ""
        if title in TITLE_GENDER:
            votes.setdefault(name, Counter())[TITLE_GENDER[title]] += 3
        elif form.endswith("-kun"):
            votes.setdefault(name, Counter())["M"] += 1
    for name, counter in votes.items():
        ranked = counter.most_common(2)
        top, top_count = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0
        if top and top_count >= 2 and top_count >= 2 * runner_up + 1:
            lexicon.gender[name] = top
        lexicon.evidence[name] += sum(counter.values())


def list_characters(lexicon: Lexicon, speakers: Counter[str]) -> tuple[Character, ...]:
    """Speakers and names with evidence of personhood, most mentioned first."""
    mentions: Counter[str] = Counter()
    aliases: dict[str, set[str]] = {}
    for form, count in lexicon.forms.items():
        name = lexicon.canonical[form]
        mentions[name] += count
        if form != name and "'" not in form and "’" not in form:
            aliases.setdefault(name, set()).add(form)
    chosen = [
        name
        for name in mentions
        if speakers.get(name)
        or lexicon.evidence.get(name, 0) >= 2
        or (lexicon.evidence.get(name, 0) and mentions[name] >= _RECURRING)
    ]
    for name in speakers:
        if name not in mentions:
            chosen.append(name)
            mentions[name] = speakers[name]
    chosen.sort(key=lambda name: (-mentions[name], name))
    return tuple(
        Character(
            name=name,
            aliases=tuple(sorted(aliases.get(name, ()))),
            mentions=mentions[name],
            gender=lexicon.gender.get(name),
        )
        for name in chosen
    )
