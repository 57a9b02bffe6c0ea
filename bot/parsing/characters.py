"""Who is in the story: names with evidence of being people, their aliases, gender and mentions."""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from bot.lazylog import Logger
from bot.parsing.model import Character
from bot.parsing.names import (
    CAPITALISED,
    GENDERED_NOUNS,
    HONORIFICS,
    PRONOUN_GENDER,
    STOPWORDS,
    TITLE_GENDER,
    TITLES,
    base_form,
    is_stopword,
    titled,
)
from bot.parsing.verbs import SPEECH_VERBS

TYPE_CHECKING = False  # typing's, without loading typing: `parse` starts without it (bot/startup.py)
if TYPE_CHECKING:
    from typing import Any

log = Logger(__name__)

# A capitalised word, optionally followed by a second one (a full name, or a title and a name).
# Without groups: findall gives the text matched, counted as one string (hashed once, where three
# groups and their tuple were hashed for every capitalised word) and cut up by _caps_parts.
_CAPS = re.compile(
    r"[A-Z][a-z]+(?:['’][a-z]+)?(?:-[a-z]+)?(?:\.? [A-Z][a-z]+(?:['’][a-z]+)?(?:-[a-z]+)?)?"
)
# A lower-case particle before a capitalised word; the first particle is checked afterwards (the
# places it may start are found by _PARTICLE_STARTS).
_PARTICLE_WORDS = frozenset("van von der den de du della di da le la".split())
_PARTICLE_NAME = re.compile(
    r"([vdl](?<![\w][vdl])(?:an|on|er|en|e|u|ella|i|a)) ((?:(?:van|von|der|den|de|du|della|di|da|le|la) )*)"
    r"([A-Z][a-z]+)(?: ([A-Z][a-z]+))?"
)
# Where _PARTICLE_NAME may match: a particle's letter at the start of a word, one of the endings and
# a space. One pattern per letter, each opening on that literal (the engine skips ahead to it at
# C speed, where a pattern opening on [vdl] is tried at every character): _particle_names runs
# _PARTICLE_NAME only there (_matches_at).
_PARTICLE_STARTS = tuple(
    re.compile(letter + r"(?<!\w" + letter + r")(?:an|on|er|en|e|u|ella|i|a) ") for letter in "vdl"
)
_TITLE_BEFORE = re.compile(r"\b(" + "|".join(sorted(TITLES)) + r")\.? $")
# A sentence's first word, the word after it and the rest of the clause: sentence-initial counts,
# "Name <verb>" evidence of a person, and the first pronoun after the name as a gender vote.
# Searched for "The" first: a pattern that opens on a sentence end would be tried at every mark.
# What ends a beat that leads into a quotation in the same paragraph (an opening mark: the text
# goes on right after it).
_BEAT_BEFORE = re.compile(r"[.,:!?]? ?[\"“'](?=\S)")
# The fourth group: _BEAT_BEFORE right after the match (a look-ahead, which changes no match), so
# that findall gives all count_windows reads of a sentence.
_SENTENCE = re.compile(
    r"[.!?…\n][\"”’')*_]*\s*([A-Z][a-z]+(?:-[a-z]+)?)(?:\s+([a-z]+)([^.!?\"“”\n]{0,60}))?"
    r"(?=(" + _BEAT_BEFORE.pattern + r"))?"
)
_THE_SENTENCE = re.compile(r"The ([A-Z][a-z]+) ([a-z]+)([^.!?\"“”\n]{0,60})")
# \b(he|his|him|himself|she|her|hers|herself)\b, opening on a letter (the lookbehinds then stand
# for the \b before it) so the engine skips ahead to the next h or s instead of trying every position.
_PRONOUN = re.compile(r"(h(?<!\wh)(?:e|is|im|imself|er|ers|erself)|s(?<!\ws)he)\b")
# How much the first pronoun after a name says about its gender. "him" says nothing (the name is
# the subject, so "Katharine told him" is about someone else), nor does "her" after a preposition
# ("Ralph looked at her"); reflexives and "his" nearly always point back at the subject.
_PRONOUN_WEIGHT = {"himself": 6, "herself": 6, "his": 4, "hers": 4, "he": 2, "she": 2, "her": 2, "him": 0}
_PREPOSITIONS = frozenset("at to with for from on upon of by about towards toward after behind beside near".split())
_NEXT_SENTENCE_WEIGHT = 2
_GENDER_MARGIN = 1.5
_PERSON_VERBS = frozenset(
    """said saw felt knew took made thought stood sat ran came went shook gave held let put got
    began told heard found turned spoke smiled nodded sighed laughed frowned grinned shrugged
    blinked stared glanced looked asked replied cried answered whispered muttered shouted yelled
    waited yawned frowned crossed tapped scratched walked says asks looks smiles nods sighs""".split()
)
# A name in a speech tag right after a closing mark: '," said Emma' or '," Emma said'.
_NAME = r"(?:(?:" + "|".join(sorted(TITLES)) + r")\.? )?[A-Z][a-z]+(?:-[a-z]+)?"
# A speech tag right after a closing mark, in one pass over the text: a name ('," said Emma',
# '," Emma said'), a first-person narrator ('," I said', '," said I') or a role ('," said the
# mariner', '," the mariner said'). A full stop before the mark too: '." Emma said' is how much
# fan fiction closes a tagged line (the verb must still be a speech verb to count).
_TAGGED = re.compile(
    r"[,.!?\-—]['\"”’]\s+(?:([a-z]+)\s+(?:the\s+)?(" + _NAME + r"(?: [A-Z][a-z]+)?)"
    r"|(?:the\s+)?(" + _NAME + r")\s+(?:[a-z]+ly\s+)?([a-z]+)"
    r"|I\s+(?:[a-z]+ly\s+)?([a-z]+)|([a-z]+)\s+I\b"
    r"|([a-z]+)\s+the\s+([a-z]+)\b|the\s+([a-z]+)\s+([a-z]+))"
)
# Where _TAGGED may match, one character before each match of these: a closing mark after a mark of
# punctuation, with white space after it. One pattern per mark, opening on it (the engine skips
# ahead to a literal at C speed; it tries a pattern opening on a class of six marks at every
# character): count_windows runs _TAGGED only there (_matches_at).
_TAG_STARTS = tuple(
    (mark, re.compile(mark + r"(?<=[,.!?\-—]" + mark + r")\s")) for mark in ("'", '"', "”", "’")
)
# A name called out at the start or the end of a speech. Both alternatives open on one character
# class (the lookbehinds then tell them apart) so the engine skips ahead to the next candidate mark
# instead of trying the pattern at every position.
_VOCATIVE = re.compile(
    r"[\"“,](?:(?<=[\"“])([A-Z][a-z]+)(?: [A-Z][a-z]+)?,|(?<=,) ([A-Z][a-z]+)(?: [A-Z][a-z]+)?[.!?,]?[\"”])"
)
_FIRST_PERSON_TAGS = 10
# "My name is Pell", "Call me Ishmael", "I am called Tom" (a word boundary before the first word):
# one pattern for each, opening on a literal the engine finds at C speed, with lookbehinds for the
# rest of the opening (one pattern opening on [MmCcI] tried a match at every m and c of the text).
# Each match starts one character after its phrase.
_SELF_NAMED = (
    re.compile(r"y name (?<=(?<!\w)[Mm]y name )(?:is|was)\s+([A-Z][a-z]+)\b"),
    re.compile(r"all me(?<=(?<!\w)[Cc]all me)\s+([A-Z][a-z]+)\b"),
    re.compile(r" am called(?<=(?<!\w)I am called)\s+([A-Z][a-z]+)\b"),
    re.compile(r" was called(?<=(?<!\w)I was called)\s+([A-Z][a-z]+)\b"),
)
_SPEECH = re.compile(r"\"[^\"]*\"|“[^”]*”")
_NARRATOR_CALLS = 5
_MIN_MID_SENTENCE = 2
_FEW_SPEAKERS = 4
_DOMINANT_TITLE = 0.85
_TITLED_SHARE = 0.25
# The titles whose bearer _merge_titled_bare may find under the bare name, and the sex each says.
_BARE_TITLE_GENDER: dict[str, str] = {
    title: sex for title, sex in TITLE_GENDER.items() if title not in ("Sir", "Lady", "Lord", "Aunt", "Uncle")
}
_RECURRING = 4
_ROLE_CALLS = 2
_ROLE_CALL_SHARE = 0.6
# A title is rarer in speech than a role's turns: one answer ties it, if no other answer disagrees.
_TITLE_CALLS = 1
_SURNAME_PAIRS = 3
_NOT_ROLES = frozenset(
    "other latter former first second third last old young little elder younger same man woman "
    "lady gentleman girl boy voice one child".split()
)
# Names that are also common words; each needs this many speech tags to count as a name.
_WORD_NAMES = frozenset("May June April August Will Hope Grace Faith Joy".split())
_WORD_NAME_TAGS = 3
# First words of a sentence that no name form ever is (_build_lexicon leaves stopwords out), so
# the clause after them is never a gender vote.
_NEVER_NAMES = frozenset(word.capitalize() for word in STOPWORDS) - _WORD_NAMES
# Titles that name nobody alone ("the lady", "the miss"), and the abbreviated ones.
_NOT_TITLE_WORDS = frozenset("Mr Mrs Ms Miss Dr Sir Lady Lord Mme Mlle Master Young Old Little Poor Dear".split())
_DOMINANT_GIVEN = 0.8
_GIVEN_OVER_TITLED = 0.5


@dataclass(slots=True)
class Lexicon:
    """Name forms found in the text and what each resolves to."""

    canonical: dict[str, str] = field(default_factory=dict)  # any form -> canonical name
    forms: Counter[str] = field(default_factory=Counter)  # form -> occurrences
    gender: dict[str, str] = field(default_factory=dict)  # canonical -> "M" / "F"
    evidence: Counter[str] = field(default_factory=Counter)  # canonical -> signs of being a person
    speakers: Counter[str] = field(default_factory=Counter)  # canonical -> times named in a speech tag
    # Characters seen taking part in a scene's talk without a speech tag naming them: the subject
    # of a beat right next to a quotation ('." Kakashi dashed forward', 'Sarutobi hmmed. "...'),
    # which someone only talked about never is. (Being called on by name was tried too: it cost
    # the annotated novels' pronoun-tagged lines half a point, held out.)
    present: set[str] = field(default_factory=set)
    narrator: str | None = None  # the "I" of a first-person story, when the text names them
    # Speakers the text only describes ("the girl", "my father"), met as the story is attributed.
    described: set[str] = field(default_factory=set)
    # "count" -> "Count Mippipopolous": the one character a title word names in "said the count".
    title_owner: dict[str, str] = field(default_factory=dict)
    family: dict[str, str] = field(default_factory=dict)  # canonical -> family name ("Bennet")
    # Who talks with whom: filled in as the story's exchanges are attributed, in text order.
    partners: dict[str, Counter[str]] = field(default_factory=dict)
    # "the painter" -> whom the speeches just before his turns call on ("..., Basil."): filled in
    # as the story is attributed, read by roles().
    role_calls: dict[str, Counter[str]] = field(default_factory=dict)
    # "Hokage" -> the named speakers who answer a speech calling on that title ("Hokage-sama?"),
    # for titles no tag names: filled in as the story is attributed, read by roles().
    title_calls: dict[str, Counter[str]] = field(default_factory=dict)
    # "the copy-nin" -> the one named speaker the narration next to each of its turns names besides
    # the exchange's other speakers ("" for a turn where none or several remain): read by roles().
    role_scenes: dict[str, Counter[str]] = field(default_factory=dict)
    # Every word that ends a known name form, worked out once the lexicon is complete: most
    # capitalised words in a speech name nobody, and this set lets them be skipped at once.
    _name_words: frozenset[str] | None = field(default=None, repr=False, compare=False)
    # Each honorific's owners ("sensei" -> those the text calls "X-sensei"), worked out once too.
    _honorific_owners: dict[str, set[str]] | None = field(default=None, repr=False, compare=False)

    def name_words(self) -> frozenset[str]:
        """The last word of every name form ("Bingley" for "Mr. Bingley")."""
        if self._name_words is None:
            self._name_words = frozenset(form.rsplit(" ", 1)[-1] for form in self.canonical)
        return self._name_words

    def honorific_owners(self) -> dict[str, set[str]]:
        """Each honorific's owners: the characters the text names with it ("Kakashi-sensei")."""
        if self._honorific_owners is None:
            owners: dict[str, set[str]] = {}
            for form, who in self.canonical.items():
                base, _, suffix = form.partition("-")
                if suffix in HONORIFICS and base:
                    owners.setdefault(suffix, set()).add(who)
            self._honorific_owners = owners
        return self._honorific_owners

    def roles(self) -> dict[str, str]:
        """The character each role the tags use ("the painter") turns out to be: the one name the
        speeches just before the role's turns call on, at least twice and most of the time."""
        found = {}
        for role, called in self.role_calls.items():
            (name, count), *_ = called.most_common(1)
            sex = PRONOUN_GENDER.get(GENDERED_NOUNS.get(role[4:], ""))
            if sex and self.gender.get(name, sex) != sex:
                continue  # "the duchess" is no man
            if count >= _ROLE_CALLS and count >= _ROLE_CALL_SHARE * sum(called.values()):
                found[role] = name
        for role, seen in self.role_scenes.items():
            # '"Ready to report?" The copy-nin asked.' after "He looked over to see Kakashi", with
            # Naruto answering: Kakashi, when every turn of the role that leaves one name agrees
            # and most do. Calls decide first, and none may disagree.
            named = [name for name in seen if name]
            if role in found or len(named) != 1 or seen[named[0]] < _ROLE_CALL_SHARE * sum(seen.values()):
                continue
            if (calls := self.role_calls.get(role)) and set(calls) - {named[0]}:
                continue
            found[role] = named[0]
        for title, answers in self.title_calls.items():
            # "Hokage-sama?" answered by Sarutobi: the Hokage is Sarutobi, one character.
            (name, count), *_ = answers.most_common(1)
            sex = self.gender.get(title)
            if title in self.speakers or (sex and self.gender.get(name, sex) != sex):
                continue
            if count >= _TITLE_CALLS and count >= _ROLE_CALL_SHARE * sum(answers.values()):
                found[title] = found.get(name, name)
        return found

    def role(self, noun: str) -> str | None:
        """Who "the <noun>" in a tag is: the one character with that title, else the role itself
        ("said the mariner", "said the station-master")."""
        if owner := self.title_owner.get(noun):
            return owner
        if (who := self.canonical.get(noun.capitalize())) and who in self.speakers:
            return who  # "said the count" of the Count the tags name
        plural = noun.endswith("s") and not noun.endswith(("ss", "us", "is"))  # "said the voices"
        if noun not in _NOT_ROLES and len(noun) > 2 and noun.replace("-", "").isalpha() and not plural:
            return f"the {noun}"
        return None

    def can_speak(self, name: str | None) -> bool:
        """Whether a tag ever names this character; with too few tags to tell, anyone may speak.

        Places and people who are only talked about ("Randalls", "Meryton") never are, which keeps
        them out of pronoun resolution and turn-taking.
        """
        return self.tagged(name) or name in self.present

    def tagged(self, name: str | None) -> bool:
        """can_speak without those only seen in beats or called on: the characters a he or she may
        stand for (on the annotated novels, the wider set makes pronouns worse)."""
        if not name:
            return False
        return len(self.speakers) < _FEW_SPEAKERS or name in self.speakers or name in self.described

    def describe(self, description: str, sex: str) -> None:
        """Someone the text calls only "the girl": a speaker of that sex from now on."""
        self.described.add(description)
        self.gender.setdefault(description, sex)

    def resolve_tag(self, written: str) -> str | None:
        """Like resolve, for a name in a tag that may run on into a second capitalised word:
        "said the March Hare" is the Hare, "said Harriet Smith" is Harriet."""
        if (who := self.resolve(written)) or " " not in written:
            return who
        first, _, last = written.rpartition(" ")
        if first.rstrip(".") in TITLES:
            return None
        return self.resolve(first) or self.resolve(last)

    def resolve(self, written: str) -> str | None:
        """Canonical name for a name as written in a tag, or None for words that name nobody."""
        if written in self.canonical:
            return self.canonical[written]
        title, _, rest = written.partition(" ")
        if rest and title in TITLES and (who := self.canonical.get(titled(title, rest))):
            return who  # "Mrs Croft", written without the title's full stop
        if is_stopword(written):
            return None
        base = base_form(written)
        if is_stopword(base):
            return None
        return self.canonical.get(base) or self.title_owner.get(base.lower(), base)


def build_lexicon(text: str) -> Lexicon:
    """Collect name forms that appear capitalised inside sentences, merge aliases, learn genders."""
    return _build_lexicon(lambda: iter((("\n" + text, len(text) + 1),)))


def build_lexicon_of(paragraphs: Sequence[str]) -> Lexicon:
    """build_lexicon("\n".join(paragraphs)), exactly, without the joined text: every pattern runs
    over paragraph-aligned windows of about _WINDOW_CHARS, so memory holds one window at a time."""
    if sum(map(len, paragraphs)) + len(paragraphs) < _KEPT_WINDOWS * _WINDOW_CHARS:
        # A story of a few windows: joined once, not again for every pass over the text.
        kept = list(_windows(paragraphs))
        return _build_lexicon(lambda: iter(kept))
    return _build_lexicon(lambda: _windows(paragraphs))


def build_lexicon_of_blocks(blocks: Callable[[], Iterator[Sequence[str]]], counts: WindowCounts) -> Lexicon:
    """The lexicon of a long story read in blocks (bot/parsing/parallel.py), from its blocks'
    counts merged (merge_counts): the passes that need the lexicon read the text again a block
    at a time from `blocks()` (each block's paragraphs), so it is never held whole; the narrator's
    "My name is ..." is looked for in one block's text at a time."""
    # Generator functions, not generator expressions: compiled by mypyc, an expression would be
    # made into a list of every window of the story at once.
    def windows() -> Iterator[tuple[str, int]]:
        for paragraphs in blocks():
            yield from _windows(paragraphs)

    def texts() -> Iterator[str]:
        for paragraphs in blocks():
            yield "\n".join(paragraphs)

    return _build_lexicon(windows, counts, texts)


# The text is read in windows of whole paragraphs this long (characters), each followed by a few
# paragraphs of look-ahead for the patterns that run on across a line feed (see _windows).
_WINDOW_CHARS = 1 << 20
# Up to this many windows, the windows are made once and kept while the lexicon is built.
_KEPT_WINDOWS = 4
# Non-blank lines of look-ahead after a window. _TAGGED, the pattern that crosses most line feeds,
# has four whitespace runs in a row that may each cross into the next non-blank line; a match
# starting in a window can then read no further than four non-blank lines past it.
_LOOKAHEAD_LINES = 8


def _windows(paragraphs: Sequence[str]) -> Iterator[tuple[str, int]]:
    """("\n" + paragraphs joined by line feeds + "\n" + look-ahead, cut) for consecutive runs of
    paragraphs; matches starting before `cut` belong to the window. Together the windows before
    their cut are "\n" + "\n".join(paragraphs)."""
    count = len(paragraphs)
    if not count:
        yield "\n", 1
        return
    start = 0
    while start < count:
        end, size = start, 0
        while end < count and (size < _WINDOW_CHARS or end == start):
            size += len(paragraphs[end]) + 1
            end += 1
        ahead, lines = end, 0
        while ahead < count and lines < _LOOKAHEAD_LINES:
            paragraph = paragraphs[ahead]
            lines += sum(1 for line in paragraph.split("\n") if line and not line.isspace())
            ahead += 1
        body = "\n" + "\n".join(paragraphs[start:end])
        if ahead > end:
            yield body + "\n" + "\n".join(paragraphs[end:ahead]), len(body)
        else:
            yield body, len(body)
        start = end


def _matches_at(pattern: re.Pattern[str], text: str, starts: list[int], pos: int, endpos: int) -> list[re.Match[str]]:
    """list(pattern.finditer(text, pos, endpos)), for a pattern that never matches empty text and
    can match only at `starts` (every place it can, in order, others too): tried only there."""
    found: list[re.Match[str]] = []
    for start in starts:
        if start >= pos:
            match = pattern.match(text, start, endpos)
            if match is not None:
                found.append(match)
                pos = match.end()
    return found


def _tag_starts(window: str, pos: int) -> list[int]:
    """Every place from `pos` on where _TAGGED may match (see _TAG_STARTS), in order."""
    starts: list[int] = []
    for mark, pattern in _TAG_STARTS:
        if mark in window:  # "”" in a text of Latin-1 characters only: no, at once
            for match in pattern.finditer(window, pos):
                starts.append(match.start() - 1)
    starts.sort()
    return starts


class _Scan:
    """finditer of a pattern that may run on across line feeds, over consecutive windows: the
    matches of the whole text, in order (the scan goes on where the last match ended). `starts`,
    when given, finds every place the pattern may match (in a window, from a position), and
    the pattern is tried only there."""

    def __init__(self, pattern: re.Pattern[str], starts: Callable[[str, int], list[int]] | None = None) -> None:
        self.pattern = pattern
        self.starts = starts
        self.carry = 0  # where the scan goes on in the next window

    def groups(self, window: str, cut: int) -> list[Any]:
        """match.groups("") of each of matches() (a pattern of several groups): findall's, no
        match object made, where the window is all the text left (a story of one window)."""
        if not self.carry and cut == len(window) and self.starts is None:
            return self.pattern.findall(window)
        return [match.groups("") for match in self.matches(window, cut)]

    def matches(self, window: str, cut: int) -> list[re.Match[str]]:
        """The matches starting in this window (before `cut`), in order."""
        if self.carry >= cut:
            self.carry -= cut
            return []
        # All at once (the matches past the cut are a few lines of look-ahead): a list made in C,
        # not a generator resumed for every sentence of the story.
        if self.starts is None:
            found = list(self.pattern.finditer(window, self.carry))
        else:
            found = _matches_at(self.pattern, window, self.starts(window, self.carry), self.carry, len(window))
        while found and found[-1].start() >= cut:
            found.pop()
        self.carry = max(found[-1].end() - cut, 0) if found else 0
        return found


def _caps_parts(found: str) -> tuple[str, str, str]:
    """A _CAPS match as (first word, "", " " or ". " before the second, second word or "")."""
    space = found.find(" ")
    if space < 0:
        return found, "", ""
    if found[space - 1] == ".":
        return found[: space - 1], ". ", found[space + 1 :]
    return found[:space], " ", found[space + 1 :]


WindowCounts = tuple[
    Counter[str], Counter[tuple[str, str]], Counter[str], Counter[str],
    Counter[tuple[str, str, str, str]], int, Counter[str], dict[str, Counter[str]], Counter[tuple[str, str]],
    dict[str, Counter[str]],
]
"""count_windows' counts, in the order _build_lexicon unpacks them."""


def count_windows(windows: Iterator[tuple[str, int]]) -> WindowCounts:
    """The lexicon's counts over a text's windows (see _windows): name forms, particles, sentence
    openings, people acting, speech tags, beats, the sentences' gender votes. Counts of consecutive
    texts add up (merge_counts), but for what runs across the end of one text into the next."""
    caps: Counter[str] = Counter()  # the text of each _CAPS match
    particles: Counter[tuple[str, str]] = Counter()
    initial: Counter[str] = Counter()
    acting: Counter[str] = Counter()
    # (verb, name, name2, verb2) of every speech tag with a name, and the first-person ones.
    named_tags: Counter[tuple[str, str, str, str]] = Counter()
    first_person = 0
    # Names whose sentence runs straight into a quotation: 'Sarutobi hmmed. "Follow him."'
    beats: Counter[str] = Counter()
    # What _learn_from_sentences needs of the sentences, gathered in this same scan (the names
    # are known only at the end, the clauses are not kept): the gender votes of the clause after
    # each first word that may be a name, and the first word of the sentence before each "He"
    # or "She" sentence.
    votes_of: dict[str, Counter[str]] = {}
    after: Counter[tuple[str, str]] = Counter()
    previous = ""
    # The gender votes of "The <form> <verb> ..." sentences by form, for _learn_the_genders: read
    # in this same pass (a story of more than a few windows would otherwise be joined again).
    the_votes: dict[str, Counter[str]] = {}
    sentence_scan, tag_scan = _Scan(_SENTENCE), _Scan(_TAGGED, _tag_starts)
    for window, cut in windows:
        caps.update(_CAPS.findall(window, 0, cut))
        _particle_names(window, cut, particles)
        for match in _THE_SENTENCE.finditer(window, 0, cut):
            if match.start() and not window[match.start() - 1].isspace():
                continue
            form, verb, rest = match.groups()
            _vote(the_votes, form, f"{verb}{rest}")
        # The window's leading newline lets the first sentence of the text count as one. What is
        # counted is listed, then counted by Counter.update (in C: the same counts, the keys in
        # the same order, without a Python-level __missing__ for each new one).
        names: list[str] = []
        actors: list[str] = []
        beaters: list[str] = []
        afters: list[tuple[str, str]] = []
        sentences: list[tuple[str, str, str, str]] = sentence_scan.groups(window, cut)
        # Not `name` and `verb`: compiled, a local keeps the type of its first assignment, and the
        # tags below read None into them.
        for word, next_word, clause, beat in sentences:
            names.append(word)
            if next_word:
                if next_word in _PERSON_VERBS or next_word.endswith("ed"):
                    actors.append(word)
                    if beat:
                        beaters.append(word)
                if word not in _NEVER_NAMES:
                    _vote(votes_of, word, next_word + clause)
            if previous and (word == "He" or word == "She"):
                afters.append((previous, "M" if word == "He" else "F"))
            previous = word
        initial.update(names)
        acting.update(actors)
        beats.update(beaters)
        after.update(afters)
        tags: list[tuple[str, str, str, str]] = []
        for match in tag_scan.matches(window, cut):
            verb, name, name2, verb2, first_verb, first_verb2 = match.group(1, 2, 3, 4, 5, 6)
            if name or name2:
                tags.append((verb or "", name or "", name2 or "", verb2 or ""))
            if (first_verb or first_verb2) in SPEECH_VERBS:
                first_person += 1
        named_tags.update(tags)
        del window
    return caps, particles, initial, acting, named_tags, first_person, beats, votes_of, after, the_votes


def paragraph_counts(paragraphs: Sequence[str]) -> WindowCounts:
    """count_windows of paragraphs joined by line feeds (a block of a long story's chapters)."""
    return count_windows(_windows(paragraphs))


def merge_counts(parts: Iterable[WindowCounts]) -> WindowCounts:
    """The counts of consecutive texts as one: added up, each form in the order first met."""
    merged: WindowCounts | None = None
    for part in parts:
        if merged is None:
            merged = part
            continue
        caps, particles, initial, acting, named_tags, first_person, beats, votes_of, after, the_votes = merged
        caps.update(part[0])
        particles.update(part[1])
        initial.update(part[2])
        acting.update(part[3])
        named_tags.update(part[4])
        beats.update(part[6])
        for name, votes in part[7].items():
            votes_of.setdefault(name, Counter()).update(votes)
        after.update(part[8])
        for form, votes in part[9].items():
            the_votes.setdefault(form, Counter()).update(votes)
        merged = caps, particles, initial, acting, named_tags, first_person + part[5], beats, votes_of, after, the_votes
    return merged if merged is not None else count_windows(_windows([]))


def _build_lexicon(
    windows: Callable[[], Iterator[tuple[str, int]]], counts: WindowCounts | None = None,
    texts: Callable[[], Iterator[str]] | None = None,
) -> Lexicon:
    """The lexicon of the text `windows()` yields (see _windows); `counts`: count_windows of it,
    when already counted; `texts()`: the text in the pieces the narrator's "My name is ..." is
    looked for in, one at a time (by default the whole text, joined)."""
    lexicon = Lexicon()
    totals: Counter[str] = Counter()
    pairs: Counter[tuple[str, str]] = Counter()
    caps, particles, initial, acting, named_tags, first_person, beats, votes_of, after, the_votes = (
        count_windows(windows()) if counts is None else counts
    )
    for found, count in caps.items():
        first, separator, second = _caps_parts(found)
        totals[first] += count
        if not second:
            continue
        totals[second] += count
        if first in TITLES:
            totals[titled(first, second)] += count
        elif separator == " ":
            pairs[first, second] += count
    del caps
    # "Mr. van der Luyden": a title, particles, then the family name; the particles belong to it.
    # "young van der Luyden Newland" is no given name with a family name after it.
    for (title, name), count in particles.items():
        if title:
            totals[titled(title, name)] += count
        else:
            first, second = name.rsplit(" ", 2)[-2:]
            pairs[first, second] -= count
            if pairs[first, second] <= 0:
                del pairs[first, second]
    # Decide per person, not per spelling: "Mizuki's" counts towards Mizuki.
    by_base: Counter[str] = Counter()
    mid_by_base: Counter[str] = Counter()
    acting_by_base: Counter[str] = Counter()
    forms_of: dict[str, list[str]] = {}
    honorific_uses: Counter[str] = Counter()
    # "May" is a month and a modal, and a name when the tags say so again and again ("said May").
    tagged_words: Counter[str] = Counter()
    for (verb, name, name2, verb2), count in named_tags.items():
        if (name2 or name) in _WORD_NAMES and (verb2 if name2 else verb) in SPEECH_VERBS:
            tagged_words[name2 or name] += count
    for form, total in totals.items():
        base = base_form(form)
        if len(base) < 2 or (is_stopword(base) and tagged_words[base] < _WORD_NAME_TAGS):
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
    _merge_titled(lexicon)
    _learn_from_sentences(votes_of, after, acting, lexicon)
    _merge_surnames(pairs, lexicon)
    _merge_titled_bare(lexicon)
    _learn_title_owners(lexicon)
    _learn_speakers(windows, named_tags, first_person, lexicon, texts)
    lexicon.present.update(who for name in beats if (who := lexicon.resolve(name)))
    _merge_miss(pairs, lexicon)
    _learn_families(lexicon)
    _learn_the_genders(the_votes, lexicon)
    _inherit_genders(lexicon)
    return lexicon


def _inherit_genders(lexicon: Lexicon) -> None:
    """"Harville" whose sex the text never shows is a man when every titled "<title> Harville"
    the story has is one ("Captain Harville"); a family name both sexes carry stays unknown."""
    found: dict[str, set[str]] = {}
    for name in set(lexicon.canonical.values()):
        title, _, rest = name.partition(" ")
        if rest and " " not in rest and title.rstrip(".") in TITLES and (gender := lexicon.gender.get(name)):
            found.setdefault(rest, set()).add(gender)
    for bare_name, genders in found.items():
        who = lexicon.canonical.get(bare_name)
        if who == bare_name and who not in lexicon.gender and len(genders) == 1:
            lexicon.gender[who] = next(iter(genders))


def _vote(votes: dict[str, Counter[str]], name: str, clause: str) -> None:
    """The first pronoun in the clause after a name, as a vote for the name's sex."""
    pronoun = _PRONOUN.search(clause)
    if pronoun and not CAPITALISED.search(clause, 0, pronoun.start()):
        weight = _PRONOUN_WEIGHT[pronoun[1]]
        leading = clause[: pronoun.start()].split()
        if pronoun[1] == "her" and leading and leading[-1] in _PREPOSITIONS:
            weight = 0
        # A Counter made only for a new name (made in Python, as its += of a new key is).
        counter = votes.get(name)
        if counter is None:
            counter = votes[name] = Counter()
        sex = PRONOUN_GENDER[pronoun[1]]
        counter[sex] = counter.get(sex, 0) + weight


def _winner(counter: Counter[str]) -> str | None:
    """The sex the votes settle on, if they clearly do."""
    ranked = counter.most_common(2)
    top, top_count = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0
    return top if top_count >= 4 and top_count >= _GENDER_MARGIN * runner_up + 2 else None


def _learn_the_genders(the_votes: dict[str, Counter[str]], lexicon: Lexicon) -> None:
    """"The General looked at his watch.": a character the text calls "the <name>" shows their
    sex the same way. Only for those still without one, and only once every name is settled, so
    that a title ("General") keeps naming its one owner. `the_votes` are the votes of such
    sentences by the form they name, in the order of the story (_build_lexicon)."""
    votes: dict[str, Counter[str]] = {}
    for form, counted in the_votes.items():
        name = lexicon.canonical.get(form)
        if name is None or name in lexicon.gender:
            continue
        merged = votes.setdefault(name, Counter())
        for said, weight in counted.items():
            merged[said] += weight
    for name, counter in votes.items():
        if sex := _winner(counter):
            lexicon.gender[name] = sex


def _particle_names(window: str, cut: int, found: Counter[tuple[str, str]]) -> None:
    """Counts (title or "", "van der Luyden") for names with lower-case particles in a window
    (before `cut`); without a title, the name is the family name and the capitalised word after it."""
    starts: list[int] = []
    for pattern in _PARTICLE_STARTS:
        for start in pattern.finditer(window, 0, cut):
            starts.append(start.start())
    starts.sort()
    for match in _matches_at(_PARTICLE_NAME, window, starts, 0, cut):
        first, more, name, after = match.groups()
        if first not in _PARTICLE_WORDS:
            continue
        particles = f"{first} {more}"
        title = _TITLE_BEFORE.search(window, max(0, match.start() - 12), match.start())
        if title:
            found[title[1], f"{particles}{name}"] += 1
        elif after:
            found["", f"{name} {after}"] += 1


def _learn_families(lexicon: Lexicon) -> None:
    """Each character's family name, from the two-word forms that name them: "Mrs. Bennet" and
    "Elizabeth Bennet" both say Bennet. Lets "her mother" find Mrs. Bennet."""
    seen: dict[str, Counter[str]] = {}
    for form, name in lexicon.canonical.items():
        first, _, rest = base_form(form).partition(" ")
        if rest and " " not in rest and (first.rstrip(".") in TITLES or first in lexicon.canonical):
            seen.setdefault(name, Counter())[rest] += max(lexicon.forms.get(form, 0), 1)
    for name, counter in seen.items():
        if len(counter) > 1:
            # "Miss Elizabeth" is Elizabeth's given name, not her family's (also when "Miss
            # Elizabeth" is the name she goes by).
            title, _, given = name.partition(" ")
            counter.pop(given if given and " " not in given and title.rstrip(".") in TITLES else name, None)
        lexicon.family[name] = counter.most_common(1)[0][0]


def _learn_title_owners(lexicon: Lexicon) -> None:
    """"the Colonel" / "the count" name the one character nearly every "Colonel <name>" is."""
    owners: dict[str, Counter[str]] = {}
    for form, count in lexicon.forms.items():
        first, _, rest = form.partition(" ")
        if not rest or first.endswith(".") or first in _NOT_TITLE_WORDS:
            continue
        owners.setdefault(first, Counter())[lexicon.canonical[form]] += max(count, 1)
    for word, counter in owners.items():
        (owner, count), *_ = counter.most_common(1)
        if lexicon.canonical.get(word, word) != word or word in lexicon.gender:
            continue  # a name in its own right (Ralph), not a title
        if count >= _DOMINANT_TITLE * sum(counter.values()):
            # "General Tilney" may already be called "General", the part the text uses most.
            lexicon.title_owner[word.lower()] = owner
            if word in lexicon.canonical and owner != word:
                _rename(lexicon, word, owner)


def _learn_speakers(
    windows: Callable[[], Iterator[tuple[str, int]]], named_tags: Counter[tuple[str, str, str, str]],
    first_person: int, lexicon: Lexicon, texts: Callable[[], Iterator[str]] | None = None,
) -> None:
    for (verb, name, name2, verb2), count in named_tags.items():
        if name2:
            name, verb = name2, verb2
        if verb in SPEECH_VERBS and (who := lexicon.resolve_tag(name)) and who in lexicon.evidence:
            lexicon.speakers[who] += count
        elif name2 and (verb in _PERSON_VERBS or verb.endswith(("ed", "s"))) and (who := lexicon.resolve(name)):
            lexicon.present.add(who)  # '." Kakashi dashed forward': a beat of the one who spoke
    if first_person and (named := _self_named(texts() if texts else iter(("".join(w[:cut] for w, cut in windows())[1:],)))):
        # "My name is Pell." / "Call me Ishmael.": the narrator says who they are, outside any
        # speech (inside one, whoever speaks is introducing themselves).
        name = named
        lexicon.narrator = who = lexicon.canonical.get(name) or name
        lexicon.canonical.setdefault(name, who)
        lexicon.speakers[who] += first_person
        return
    if first_person < _FIRST_PERSON_TAGS or first_person * 10 < sum(lexicon.speakers.values()):
        return
    # The narrator says "I said", so no tag names them, but the others call them by name:
    # "My dear Watson," / "Come on, Jake."
    called: Counter[str] = Counter()
    for text, cut in windows():
        for first, second in _VOCATIVE.findall(text, 0, cut):
            who = lexicon.canonical.get(first or second)
            if who and who not in lexicon.speakers:
                called[who] += 1
    if called:
        name, count = called.most_common(1)[0]
        if count >= _NARRATOR_CALLS:
            lexicon.narrator = name
            lexicon.speakers[name] += first_person


def _self_named(texts: Iterator[str]) -> str | None:
    """The name of the first "My name is ..." outside a speech in the texts, in order."""
    for text in texts:
        if named := first_self_named(_SPEECH.sub(" ", text)):
            return named
    return None


def first_self_named(text: str) -> str | None:
    """The name the text's first "My name is ...", "Call me ..." or "I am called ..." gives."""
    first, name = len(text), None
    for pattern in _SELF_NAMED:
        # Two phrases never start on the same letter: the first one found is the one.
        if (found := pattern.search(text)) and found.start() < first:
            first, name = found.start(), found[1]
    return name


def _merge_full_names(pairs: Counter[tuple[str, str]], lexicon: Lexicon, by_base: Counter[str]) -> None:
    """Uzumaki Naruto and Naruto Uzumaki are both Naruto: the more frequent part is the name."""
    in_pairs: Counter[str] = Counter()
    leads: set[str] = set()
    for (first, second), count in pairs.items():
        in_pairs[first] += count
        in_pairs[second] += count
        leads.add(first)
    firsts_of: dict[str, set[str]] = {}
    seconds_of: dict[str, set[str]] = {}
    for first, second in pairs:
        if first in by_base and second in by_base:
            firsts_of.setdefault(second, set()).add(first)
            seconds_of.setdefault(first, set()).add(second)
    titles_of: Counter[str] = Counter(
        form.split(" ", 1)[1] for form in lexicon.forms if " " in form and form.split(" ", 1)[0].rstrip(".") in TITLES
    )
    for (first, second), count in pairs.items():
        if first not in by_base or second not in by_base or first == second:
            continue
        if len(firsts_of[second]) >= 2 or titles_of[second] >= 2:
            main = first  # John Knightley, Isabella Knightley: the family name names nobody alone
        elif len(seconds_of[first]) >= 2:
            main = second  # Uzumaki Naruto, Uzumaki Kushina
        else:
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


def _merge_surnames(pairs: Counter[tuple[str, str]], lexicon: Lexicon) -> None:
    """Denham = Ralph = Ralph Denham when nearly every "<given> Denham" is Ralph Denham and the
    family name alone is more often him than his titled relatives (his mother stays "Mrs. Denham").

    Only for a given name the text shows to be a person (it has a gender), and that leads no other
    family name: Uzumaki in "Uzumaki Naruto" and "Uzumaki Kushina" is a family name itself.
    """
    canonical = lexicon.canonical
    given_of: dict[str, Counter[str]] = {}
    seconds_of: dict[str, set[str]] = {}
    for (first, second), count in pairs.items():
        if first in canonical and second in canonical:
            # "Newland Archer's" and "the Newland Archers" are still the one family name.
            surname = canonical[second] if base_form(second) != second or second.endswith("s") else second
            given_of.setdefault(surname, Counter())[first] += count
            seconds_of.setdefault(first, set()).add(surname)
    titled_uses: dict[str, Counter[str | None]] = {}
    for form, count in lexicon.forms.items():
        title, _, rest = form.partition(" ")
        if rest and title.rstrip(".") in TITLES:
            titled_uses.setdefault(rest, Counter())[TITLE_GENDER.get(title.rstrip("."))] += count
    for surname, givens in given_of.items():
        if canonical[surname] != surname:
            continue  # already a name of someone (Knightley = Mr. Knightley)
        (given, count), *_ = givens.most_common(1)
        owner = canonical[given]
        # "Mr. Archer" may be Newland Archer himself: only relatives of the other sex (his mother,
        # "Mrs. Archer") or of no known sex compete with him for the family name alone.
        titles = titled_uses.get(surname, Counter())
        relatives = sum(n for sex, n in titles.items() if sex != lexicon.gender.get(owner))
        if (
            count < _SURNAME_PAIRS
            # Among the given names that are people: "Mistah Oakley" in a dialect is no Oakley.
            or count < _DOMINANT_GIVEN * sum(n for other, n in givens.items() if canonical[other] in lexicon.gender)
            or count < _GIVEN_OVER_TITLED * relatives
            or len(seconds_of[given]) > 1
            or owner != given  # "Mrs. Lynde" in "Lynde's Hollow": a titled name leads no family name
            or owner not in lexicon.gender
            or sum(given_of.get(given, {}).values()) >= _SURNAME_PAIRS  # Lucas Lodge, Charlotte Lucas
        ):
            continue
        # The full name is the one name that is only theirs.
        full = f"{given} {surname}"
        _rename(lexicon, owner, full)
        _rename(lexicon, surname, full)
        lexicon.canonical[full] = full


def _rename(lexicon: Lexicon, old: str, new: str) -> None:
    """Every form of `old` now names `new`."""
    for form, name in lexicon.canonical.items():
        if name == old:
            lexicon.canonical[form] = new
    lexicon.evidence[new] += lexicon.evidence.pop(old, 0)
    if old in lexicon.gender:
        lexicon.gender.setdefault(new, lexicon.gender.pop(old))


def _merge_miss(pairs: Counter[tuple[str, str]], lexicon: Lexicon) -> None:
    """"Miss Hilbery" is Katharine when the text writes "Katharine Hilbery" and no other woman's
    given name before "Hilbery": the one daughter the family name and "Miss" can mean. With several
    ("Jane Bennet", "Elizabeth Bennet"), Miss Bennet stays apart."""
    daughters: dict[str, set[str]] = {}
    for first, second in pairs:
        who = lexicon.canonical.get(first)
        if (
            who and lexicon.gender.get(who) == "F" and first not in TITLES
            # A family name: the text also has "Mr. Hilbery" or "Mrs. Hilbery", or it names nobody
            # alone (not "Cassandra Katharine").
            and (
                f"Mr. {second}" in lexicon.canonical or f"Mrs. {second}" in lexicon.canonical
                or not (lexicon.canonical.get(second) == second and second in lexicon.gender)
            )
            and not lexicon.canonical.get(second, "").startswith(f"{second} ")  # "Miss Anne" of Anne Shirley
        ):
            daughters.setdefault(second, set()).add(who)
    for family, given in daughters.items():
        miss = f"Miss {family}"
        if len(given) != 1 or lexicon.canonical.get(miss) != miss or lexicon.speakers[miss]:
            continue  # "said Miss Steele": one the tags name is somebody of her own (the elder sister)
        who = next(iter(given))
        if who != miss:
            _rename(lexicon, miss, who)


def _merge_titled(lexicon: Lexicon) -> None:
    """Darcy = Mr. Darcy when nearly every titled use of the name has that one title.

    Miss Darcy (his sister) is rarer; Mr. Bennet, Mrs. Bennet and Miss Bennet stay apart because
    no title dominates.
    """
    titled_by_name: dict[str, Counter[str]] = {}
    for form in lexicon.forms:
        title, _, rest = form.partition(" ")
        if rest and " " not in rest and title.rstrip(".") in TITLES:
            titled_by_name.setdefault(rest, Counter())[form] += lexicon.forms[form]
    for name, titled_forms in titled_by_name.items():
        bare_name = lexicon.canonical.get(name)
        if bare_name is None or bare_name != name:
            continue
        (top, top_count), *_ = titled_forms.most_common(1)
        if top_count < _DOMINANT_TITLE * sum(titled_forms.values()):
            continue
        if top_count < _TITLED_SHARE * lexicon.forms.get(name, 0):
            continue  # "Miss Emma" now and then: Emma is a given name, not Miss Emma's surname
        winner = lexicon.canonical.get(top, top)
        if winner == bare_name:
            continue
        # The titled form is the name: "Knightley" alone could also be his brother.
        _rename(lexicon, bare_name, winner)


def _merge_titled_bare(lexicon: Lexicon) -> None:
    """"Mr. Syme" is Syme, and "Miss Emma" Emma: a name with a title before it is the person the
    name alone is, when the title says the sex the text shows for them and no other title of that
    sex goes with the name ("Miss Dashwood" and "Mrs. Dashwood" are two). _merge_titled left them
    apart when no title dominates or the bare name is the usual one; two characters for one
    person make a speech calling on "Mr. Syme" answerable by Syme himself. Titles of rank ("Sir
    John" beside a John, "Lady Mary" beside a Mary) and of kin name someone else as often.

    Not for a family's name ("Woodhouse" when the text also writes "Emma Woodhouse", "Collins" with
    a "Mrs. Collins" as well as a "Mr. Collins"): alone, it may be any of them."""
    canonical = lexicon.canonical
    titles_of: dict[tuple[str, str], set[str]] = {}  # (name, sex) -> titles ("Mr" and "Mr." one)
    seconds: set[str] = set()
    leads: set[str] = set()
    for form in canonical:
        first, _, rest = form.partition(" ")
        if not rest or " " in rest:
            continue
        if (sex := TITLE_GENDER.get(first.rstrip("."))) is not None:
            titles_of.setdefault((rest, sex), set()).add(first.rstrip("."))
        elif first not in TITLES and first in canonical:
            leads.add(first)
            if canonical[form] != canonical.get(rest):
                seconds.add(rest)  # "Emma Woodhouse": someone else of the Woodhouse family
    families = seconds - leads  # "Cassandra Katharine": Katharine leads "Katharine Hilbery"
    for form in list(canonical):
        title, _, name = form.partition(" ")
        sex = _BARE_TITLE_GENDER.get(title.rstrip("."))
        if sex is None or not name or " " in name or canonical[form] != form or len(titles_of[name, sex]) != 1:
            continue
        if canonical.get(name) != name or lexicon.gender.get(name) != sex or lexicon.gender.get(form, sex) != sex:
            continue
        if name not in families and (name, "F" if sex == "M" else "M") not in titles_of:
            _rename(lexicon, form, name)


def _learn_from_sentences(
    votes_of: dict[str, Counter[str]], after: Counter[tuple[str, str]], acting: Counter[str], lexicon: Lexicon,
) -> None:
    """What the sentences that open on a name say of it, now that the names are known: "Name
    <verb>" is a person, the first pronoun after it and the "He"/"She" opening the next sentence
    vote for their sex (_build_lexicon gathered these by first word)."""
    votes: dict[str, Counter[str]] = {}
    canonical = lexicon.canonical
    for form, count in acting.items():
        if (name := canonical.get(form)) is not None:
            lexicon.evidence[name] += count
    for (form, sex), count in after.items():
        if name := canonical.get(form):
            # "Itachi stopped. He looked up.": the next sentence's pronoun is usually the same person.
            votes.setdefault(name, Counter())[sex] += _NEXT_SENTENCE_WEIGHT * count
    for form, counter in votes_of.items():
        if (name := canonical.get(form)) is not None:
            votes.setdefault(name, Counter()).update(counter)
    titled: dict[str, Counter[str]] = {}
    for form, name in canonical.items():
        title = form.split(" ", 1)[0].rstrip(".") if " " in form else ""
        if title in TITLE_GENDER:
            titled.setdefault(name, Counter())[TITLE_GENDER[title]] += max(lexicon.forms.get(form, 0), 1)
        elif form.endswith("-kun"):
            votes.setdefault(name, Counter())["M"] += _NEXT_SENTENCE_WEIGHT
    for name, counter in votes.items():
        if winner := _winner(counter):
            lexicon.gender[name] = winner
        lexicon.evidence[name] += (sum(counter.values()) + 1) // 2
    for name in set(canonical.values()) - lexicon.gender.keys():
        # "the Grandmother", "the Duchess": the name is a noun that says it.
        if (noun := name.rsplit(" ", 1)[-1].lower()) in GENDERED_NOUNS:
            lexicon.gender[name] = PRONOUN_GENDER[GENDERED_NOUNS[noun]]
    for name, counter in titled.items():
        # A title settles it (Mr. Darcy is a man, however often "her" follows his name), unless
        # the name carries titles of both kinds about as often (Mr. and Mrs. Bennet).
        (top, top_count), *rest = counter.most_common()
        if not rest or top_count >= 4 * rest[0][1]:
            lexicon.gender[name] = top
        lexicon.evidence[name] += 3


def list_characters(lexicon: Lexicon, speakers: Counter[str], roles: dict[str, str] | None = None) -> tuple[Character, ...]:
    """Speakers and names with evidence of personhood, most mentioned first; a role found to be
    a named character ("the painter") is one of that character's aliases."""
    mentions: Counter[str] = Counter()
    aliases: dict[str, set[str]] = {}
    for form, count in lexicon.forms.items():
        name = lexicon.canonical[form]
        mentions[name] += max(count, 0)
        if form != name and "'" not in form and "’" not in form:
            aliases.setdefault(name, set()).add(form)
    for role, name in (roles or {}).items():
        aliases.setdefault(name, set()).add(role)
        if role in mentions:  # a title found to be a named character's ("Hokage"): one character
            mentions[name] += mentions.pop(role)
            aliases[name] |= aliases.pop(role, set())
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
