"""Who is in the story: names with evidence of being people, their aliases, gender and mentions."""
from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field

from bot.parsing.model import Character
from bot.parsing.verbs import SPEECH_VERBS
from bot.parsing.names import (
    CAPITALISED,
    PRONOUN_GENDER,
    TITLE_GENDER,
    TITLES,
    base_form,
    is_stopword,
    titled,
)

log = logging.getLogger(__name__)

# A capitalised word, optionally followed by a second one (a full name, or a title and a name).
_CAPS = re.compile(
    r"([A-Z][a-z]+(?:['’][a-z]+)?(?:-[a-z]+)?)(?:(\.? )([A-Z][a-z]+(?:['’][a-z]+)?(?:-[a-z]+)?))?"
)
# A sentence's first word, the word after it and the rest of the clause: sentence-initial counts,
# "Name <verb>" evidence of a person, and the first pronoun after the name as a gender vote.
_SENTENCE = re.compile(
    r"[.!?…\n][\"”’')*_]*\s*([A-Z][a-z]+(?:-[a-z]+)?)(?:\s+([a-z]+)([^.!?\"“”\n]{0,60}))?"
)
_PRONOUN = re.compile(r"\b(he|his|him|himself|she|her|hers|herself)\b")
_PERSON_VERBS = frozenset(
    """said saw felt knew took made thought stood sat ran came went shook gave held let put got
    began told heard found turned spoke smiled nodded sighed laughed frowned grinned shrugged
    blinked stared glanced looked asked replied cried answered whispered muttered shouted yelled
    waited yawned frowned crossed tapped scratched walked says asks looks smiles nods sighs""".split()
)
# A name in a speech tag right after a closing mark: '," said Emma' or '," Emma said'.
_NAME = r"(?:(?:Mr|Mrs|Ms|Miss|Dr|Sir|Lady|Lord|Colonel|Captain)\.? )?[A-Z][a-z]+(?:-[a-z]+)?"
_TAGGED = re.compile(
    r"[,!?\-—]['\"”’]\s+(?:([a-z]+)\s+(" + _NAME + r")|(" + _NAME + r")\s+(?:[a-z]+ly\s+)?([a-z]+))"
)
_MIN_MID_SENTENCE = 2
_FEW_SPEAKERS = 4
_RECURRING = 4


@dataclass(slots=True)
class Lexicon:
    """Name forms found in the text and what each resolves to."""

    canonical: dict[str, str] = field(default_factory=dict)  # any form -> canonical name
    forms: Counter[str] = field(default_factory=Counter)  # form -> occurrences
    gender: dict[str, str] = field(default_factory=dict)  # canonical -> "M" / "F"
    evidence: Counter[str] = field(default_factory=Counter)  # canonical -> signs of being a person
    speakers: Counter[str] = field(default_factory=Counter)  # canonical -> times named in a speech tag

    def can_speak(self, name: str | None) -> bool:
        """Whether a tag ever names this character; with too few tags to tell, anyone may speak.

        Places and people who are only talked about ("Randalls", "Meryton") never are, which keeps
        them out of pronoun resolution and turn-taking.
        """
        if not name:
            return False
        return len(self.speakers) < _FEW_SPEAKERS or name in self.speakers

    def resolve(self, written: str) -> str | None:
        """Canonical name for a name as written in a tag, or None for words that name nobody."""
        if written in self.canonical:
            return self.canonical[written]
        if is_stopword(written):
            return None
        base = base_form(written)
        if is_stopword(base):
            return None
        return self.canonical.get(base, base)


def build_lexicon(text: str) -> Lexicon:
    """Collect name forms that appear capitalised inside sentences, merge aliases, learn genders."""
    lexicon = Lexicon()
    totals: Counter[str] = Counter()
    pairs: Counter[tuple[str, str]] = Counter()
    for (first, separator, second), count in Counter(_CAPS.findall(text)).items():
        totals[first] += count
        if not second:
            continue
        totals[second] += count
        if first in TITLES:
            totals[titled(first, second)] += count
        elif separator == " ":
            pairs[first, second] += count
    # A leading newline lets the first sentence of the text count as one.
    sentences = _SENTENCE.findall("\n" + text)
    initial = Counter(name for name, _, _ in sentences)
    acting = Counter(name for name, verb, _ in sentences if verb in _PERSON_VERBS or verb.endswith("ed"))
    # Decide per person, not per spelling: "Mizuki's" counts towards Mizuki.
    by_base: Counter[str] = Counter()
    mid_by_base: Counter[str] = Counter()
    acting_by_base: Counter[str] = Counter()
    forms_of: dict[str, list[str]] = {}
    honorific_uses: Counter[str] = Counter()
    for form, total in totals.items():
        base = base_form(form)
        if len(base) < 2 or is_stopword(base):
            continue
        by_base[base] += total
        mid_by_base[base] += total - initial.get(form, 0)
        acting_by_base[base] += acting.get(form, 0)
        forms_of.setdefault(base, []).append(form)
        if base != form and "'" not in form and "’" not in form:
            honorific_uses[base] += total
    for base in list(by_base):
        titled_name = " " in base
        # A name that only ever starts sentences must be seen acting like a person:
        # "Sakura frowned." twice, but never "Suddenly" or "Maybe".
        if (
            mid_by_base[base] < _MIN_MID_SENTENCE
            and not honorific_uses[base]
            and not titled_name
            and acting_by_base[base] < 2
        ):
            del by_base[base]
            continue
        lexicon.evidence[base] += honorific_uses[base]
    for base in by_base:
        # "Narutos eyes": a possessive written without its apostrophe is the same person.
        main = base[:-1] if base.endswith("s") and by_base.get(base[:-1], 0) > by_base[base] else base
        lexicon.canonical[base] = main
        for form in forms_of[base]:
            lexicon.canonical[form] = main
            lexicon.forms[form] = totals[form]
    _merge_full_names(pairs, lexicon, by_base)
    _learn_from_sentences(sentences, lexicon)
    _learn_speakers(text, lexicon)
    return lexicon


def _learn_speakers(text: str, lexicon: Lexicon) -> None:
    for verb, name, name2, verb2 in _TAGGED.findall(text):
        if name2:
            name, verb = name2, verb2
        if verb in SPEECH_VERBS and (who := lexicon.resolve(name)) and who in lexicon.evidence:
            lexicon.speakers[who] += 1


def _merge_full_names(pairs: Counter[tuple[str, str]], lexicon: Lexicon, by_base: Counter[str]) -> None:
    """Uzumaki Naruto and Naruto Uzumaki are both Naruto: the more frequent part is the name."""
    in_pairs: Counter[str] = Counter()
    leads: set[str] = set()
    for (first, second), count in pairs.items():
        in_pairs[first] += count
        in_pairs[second] += count
        leads.add(first)
    for (first, second), count in pairs.items():
        if first not in by_base or second not in by_base or first == second:
            continue
        main = first if by_base[first] >= by_base[second] else second
        if main == first and by_base[second] <= in_pairs[second] and second not in leads:
            # "Hokage Tower": a word only ever seen after a name is a place, not a family name
            # (a family name also leads: "Uzumaki Naruto", "Uzumaki Kushina").
            continue
        full = f"{first} {second}"
        lexicon.canonical[full] = lexicon.canonical.get(main, main)
        lexicon.forms[full] += count
        lexicon.forms[first] -= count  # counted once, as the full name
        lexicon.forms[second] -= count


def _learn_from_sentences(sentences: list[tuple[str, str, str]], lexicon: Lexicon) -> None:
    votes: dict[str, Counter[str]] = {}
    canonical = lexicon.canonical
    previous: str | None = None
    for form, verb, rest in sentences:
        name = canonical.get(form)
        if previous and form in ("He", "She"):
            # "Itachi stopped. He looked up.": the next sentence's pronoun is usually the same person.
            votes.setdefault(previous, Counter())["M" if form == "He" else "F"] += 1
        previous = name
        if name is None or not verb:
            continue
        if verb in _PERSON_VERBS or verb.endswith("ed"):
            lexicon.evidence[name] += 1
        clause = f"{verb}{rest}"
        pronoun = _PRONOUN.search(clause)
        if pronoun and not CAPITALISED.search(clause, 0, pronoun.start()):
            votes.setdefault(name, Counter())[PRONOUN_GENDER[pronoun[1]]] += 1
    for form, name in canonical.items():
        title = form.split(" ", 1)[0].rstrip(".") if " " in form else ""
        if title in TITLE_GENDER:
            votes.setdefault(name, Counter())[TITLE_GENDER[title]] += 3
        elif form.endswith("-kun"):
            votes.setdefault(name, Counter())["M"] += 1
    for name, counter in votes.items():
        ranked = counter.most_common(2)
        top, top_count = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0
        if top_count >= 2 and top_count >= 2 * runner_up + 1:
            lexicon.gender[name] = top
        lexicon.evidence[name] += sum(counter.values())


def list_characters(lexicon: Lexicon, speakers: Counter[str]) -> tuple[Character, ...]:
    """Speakers and names with evidence of personhood, most mentioned first."""
    mentions: Counter[str] = Counter()
    aliases: dict[str, set[str]] = {}
    for form, count in lexicon.forms.items():
        name = lexicon.canonical[form]
        mentions[name] += max(count, 0)
        if form != name and "'" not in form and "’" not in form:
            aliases.setdefault(name, set()).add(form)
    chosen = [
        name
        for name in mentions
        if speakers.get(name)
        or lexicon.evidence.get(name, 0) >= 2
        or mentions[name] >= _RECURRING
        or (lexicon.evidence.get(name, 0) and mentions[name] >= 2)
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
