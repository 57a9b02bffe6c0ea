"""Who says each quotation by the rules: the chapter's attributor, which reads each paragraph's
tags and beats, resolves pronouns, then settles the exchanges' untagged turns."""
from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence

from bot.parsing.attribution.narration import (
    _QUOTED,
    _SENTENCE_BREAK,
    _last_sentence,
    _names,
    _Narration,
    _ParagraphNarration,
    _Sentence,
    _subjects,
)
from bot.parsing.attribution.result import (
    BEAT_AFTER,
    BEAT_BEFORE,
    BEAT_PARAGRAPH,
    EXPLICIT,
    EXPLICIT_FAR,
    INHERITED,
    NARRATOR,
    PRONOUN_BEAT,
    PRONOUN_CALLED,
    PRONOUN_FAR,
    PRONOUN_MENTIONED,
    PRONOUN_NAMED,
    PRONOUN_NARRATED,
    PRONOUN_NEAR,
    PRONOUN_TURN,
    PRONOUN_UNSURE,
    ROLE,
    TURN,
    UNNAMED_NARRATOR,
    VOCATIVE,
    Attribution,
    rule_trust,
)
from bot.parsing.attribution.tags import _WINDOW, _tag_after, _tag_before
from bot.parsing.attribution.words import _KIN_TITLES, _read_name
from bot.parsing.characters import Lexicon
from bot.parsing.names import CAPITALISED, GENDERED_NOUNS, PRONOUN_GENDER, TITLES, bare, titled
from bot.parsing.quotations import RawQuote

log = logging.getLogger(__name__)

_PRONOUN_SUBJECT = re.compile(r"\s*(He|She)\s+(?:[a-z]+ly\s+)?[a-z]+(?:ed|s)\b")
_PRONOUN_SUBJECT_END = re.compile(r"(?:^|[.!?]\s+)(He|She)\s+(?:[a-z]+ly\s+)?[a-z]+(?:ed|s)\b[^.!?\"“”]*[.!?]\s*$")
_ANY_VERB_PRONOUN = re.compile(
    r"\s*(he|she)\s+(?:[a-z]+ly\s+)?(?:was |had )?(?:[a-z]+(?:ed|ing)|broke|began|spoke|went|burst|flung|threw|"
    r"brought|struck|caught|cut|drew|rose|came|ran|stood|sat|took|put|gave|shook|held|let|got)\b"
)
# Verbs that say the speaker goes on: '"...," she went on', 'and then she added:'.
_GOES_ON = "(?:continued|went on|resumed|pursued|persisted|added)"
_GOES_ON_AFTER = re.compile(rf"\s*,?\s*(?:he|she)\s+(?:[a-z]+ly\s+)?{_GOES_ON}\b")
_GOES_ON_BEFORE = re.compile(rf"\b{_GOES_ON}[,:—–-]*\s*$")
# '"I know," flashed Helen': a rarer verb still makes a tag when a known speaker follows it.
_INVERTED = re.compile(r"\s*([a-z]{3,}(?:ed|s)) ((?:(?:Mr|Mrs|Miss|Dr|Sir|Lady|Lord|Madame|Colonel|Captain)\.? )?[A-Z][a-z]+)\b(?![ -][A-Z])")
# A paragraph ending in anything else may lead into the speech that opens the next one:
# "...said Emma:", "...and then added--", "...said in a small and quiet voice" (a dash lost).
_CLOSED = frozenset(".!?\"”’')]*_")
# A narration paragraph whose subject keeps quiet, reacts or is reported asking: "Elinor could
# only smile.", "Joe remained silent.", "Margaret asked who they were.": the next speech answers
# them, it is not theirs.
_LISTENING = re.compile(
    r"\b(?:could only|silent|silence|no answer|no reply|made no|did not (?:answer|reply|speak)"
    r"|asked (?:who|what|whether|if|how|why|where|when)|said nothing|relieved|in reply|smiled\.|listened)(?!\w)"
)
# "Emma heard him say to himself,": the one heard speaks, not the one hearing.
_HEARD = re.compile(r"\b(?:heard|overheard|hear|listened to)\s+(him|her)\b")
# 'Dolly interrupted him. "But..."': how far back a short sentence that says who speaks may start.
_SHORT_LEAD = 60
# A previous paragraph ending in this many words after its last speech: that speech's own tag.
_OWN_TAG_WORDS = 4
_GREETING = frozenset(
    "hey oh yes no thanks sorry dear hi hello bye goodbye morning dearest darling sweet sweetest ah well why".split()
)
_RECENT_SPEAKERS = 3
# Narration that ends an exchange: two paragraphs of it, or one long one (a short beat between
# two speeches keeps the turns going).
EXCHANGE_BREAK = 500
# Scores for the other side of an exchange whose speeches only ever name one side.
_CALLED_WEIGHT = 2.0
_PARTNER_WEIGHT = 2.0
# A pronoun's guess left to the exchange still makes its character a likely part of it.
_GUESS_WEIGHT = 0.5
# The story's leading man or woman, brought into an exchange that has a he or she and nobody of
# that sex: a small weight, as the leading character is only a guess there.
_LEAD_WEIGHT = 0.1
# What crossing narration between two turns costs when choosing the nearest tagged turn, in
# turns: parity survives one step next to each other 96% of the time and one across narration
# 60% of the time, so a crossing is worth about ten steps.
_GAP_COST = 10
_RECENCY_WEIGHTS = (1.5, 1.0, 0.7, 0.5, 0.3, 0.2)
# Turns whose rule is trusted at least this much (rule_trust) are never overruled.
_FIXED = 0.8
# Speakers of results trusted at least this much always take part in the decoding.
_KEEP = 0.6
_MAX_PARTICIPANTS = 4
_WRONG_GENDER = math.log(0.03)
_SELF_CALLED = math.log(0.01)  # "Tobin, come here" is not Tobin
_SELF_MENTIONED = math.log(0.3)
_CALLED_NEXT = math.log(8.0)  # the one called on answers
_CALLED_NEXT_GAP = math.log(2.0)
# Search limits, in log-likelihood: a turn's speakers within _PRUNE of its best evidence, states
# within _BEAM of the best (wider limits measured no better, only slower).
_PRUNE = 3.0
_BEAM = 2.0
_NEVER = -math.inf  # the score of a state not reached
# How exchanges go (second-order, measured on the annotated corpus): next to each other, after an
# alternating pair the last speaker but one answers, after one speaker twice someone else does.
_ADJACENT = {k: math.log(v) for k, v in {
    "start-same": 0.04, "start-other": 0.96, "alt-same": 0.03, "alt-back": 0.84, "alt-new": 0.13,
    "run-same": 0.2, "run-new": 0.8}.items()}
_AFTER_GAP = {k: math.log(v) for k, v in {
    "start-same": 0.4, "start-other": 0.6, "alt-same": 0.39, "alt-back": 0.43, "alt-new": 0.18,
    "run-same": 0.5, "run-new": 0.5}.items()}


def _turn_hint(turn: list[int], results: list[Attribution]) -> str | None:
    """Who a turn's speaker can be: nobody named when it is an unnamed "I" ("" stands for that),
    else the sex its tag gave ("M"/"F"), if any."""
    if len(turn) == 1:
        result = results[turn[0]]
        return "" if result.first_person else result.gender
    turn_results = [results[n] for n in turn]
    if any(r.first_person for r in turn_results):
        return ""
    return next((r.gender for r in turn_results if r.gender), None)


_LOOKBACK_PARAGRAPHS = 4
_LOOKBACK_CHARS = 600
# Narration after a paragraph's last speech, in words, that makes it more than the speech's tag.
_TAIL_WORDS = 4
# How far back, in paragraphs, narration naming a pronoun's character may lie and still stand
# against turn-taking; further back, the exchange around the speech decides.
_SURE_NARRATION = 2


def _weak(results: list[Attribution], turn: list[int]) -> bool:
    """A turn named only by a pronoun resolved through earlier paragraphs."""
    return any(results[n].rule == "pronoun" for n in turn) and all(
        results[n].rule in ("pronoun", "same-paragraph") and results[n].confidence < PRONOUN_NEAR for n in turn
    )


class ChapterAttributor:
    """Attributes the quotations of one scene at a time."""

    def __init__(self, lexicon: Lexicon) -> None:
        self._lexicon = lexicon
        self._speech_names: dict[str, tuple[set[str], set[str]]] = {}
        # The last speaker of each gender in the chapter so far: a "she said" whose speaker the
        # last few paragraphs never name is most often the last woman who spoke.
        self._last_of_gender: dict[str, str] = {}
        self._titled: dict[str, str] = {}  # "count" -> "Count Orlov", from this chapter's tags
        self._declined: str | None = None  # the last pronoun's guess that was not good enough
        self._epithets: dict[str, str] = {}  # "old man" -> whom "said the old man" named in this chapter
        self._leads: dict[str, str | None] = {}  # sex -> the character the tags name most

    def scene(self, paragraphs: Sequence[str], quotes: Sequence[RawQuote]) -> list[Attribution]:
        results = [Attribution() for _ in quotes]
        self._narration_text: dict[int, str] = {}
        self._names_cache: dict[int, list[str]] = {}
        self._sentences_cache: dict[int, _Narration] = {}
        self._tails: dict[int, _Narration | None] = {}
        self._paragraph_narrations: dict[int, _ParagraphNarration] = {}
        self._plans_by_text: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self._called_in: dict[int, set[str]] = {}  # paragraph -> whom its speeches call on
        by_paragraph: dict[int, list[int]] = {}
        for number, quote in enumerate(quotes):
            by_paragraph.setdefault(quote.paragraph, []).append(number)
        speakers_by_paragraph: dict[int, str] = {}
        spoken = {p for quote in quotes for p in range(quote.paragraph, quote.last_paragraph + 1)}
        for index, numbers in by_paragraph.items():
            self._paragraph(
                paragraphs, index, [quotes[n] for n in numbers], [results[n] for n in numbers],
                speakers_by_paragraph,
            )
            if results[numbers[0]].speaker is None and index and index - 1 not in spoken:
                self._opening_subject(paragraphs[index - 1], [quotes[n] for n in numbers], [results[n] for n in numbers])
            if who := results[numbers[0]].speaker:
                speakers_by_paragraph[index] = who
                if gender := self._lexicon.gender.get(who):
                    self._last_of_gender[gender] = who
        self._turn_taking(quotes, results, paragraphs)
        guessed: dict[int, str] = {}
        for quote, result in zip(quotes, results, strict=True):
            # A he or she nothing else named: the pronoun's own far guess, else the story's leading
            # man or woman.
            if result.speaker is None and (who := result.fallback or (result.gender and self._lead(result.gender))):
                result.speaker, result.confidence, result.rule = who, PRONOUN_UNSURE, "pronoun"
                guessed.setdefault(quote.paragraph, who)
        for quote, result in zip(quotes, results, strict=True):
            if result.speaker is None and (who := guessed.get(quote.paragraph)):
                # The rest of that speech's paragraph ('"...," said he. "The Fussells..."').
                result.speaker, result.confidence, result.rule = who, PRONOUN_UNSURE, "same-paragraph"
        self._note_role_calls(quotes, results)
        return results

    def _note_role_calls(self, quotes: Sequence[RawQuote], results: list[Attribution]) -> None:
        """'"Sit down, Basil." / "...," said the painter.': whom the speech just before a role's
        turn calls on, when not its own speaker, is likely the role (see Lexicon.roles)."""
        turns: dict[int, tuple[str | None, list[str]]] = {}
        for quote, result in zip(quotes, results, strict=True):
            turn = turns.setdefault(quote.paragraph, (result.speaker, []))
            turn[1].append(quote.text)
        for index, (speaker, _) in turns.items():
            if not speaker or not speaker.startswith("the ") or index - 1 not in turns:
                continue
            previous, texts = turns[index - 1]
            noun = speaker[4:]
            for text in texts:
                for called in self._names_in_speech(text)[1]:
                    if called != previous and called.lower() != noun:  # "Duchess" calls on a title
                        self._lexicon.role_calls.setdefault(speaker, Counter())[called] += 1

    def _paragraph(
        self,
        paragraphs: Sequence[str],
        index: int,
        quotes: list[RawQuote],
        results: list[Attribution],
        earlier_speakers: dict[int, str],
    ) -> None:
        spoken_of: set[str] | None = None  # everyone the paragraph's speeches name
        for quote, result in zip(quotes, results, strict=True):
            before = quote.before
            if index and quote is quotes[0] and paragraphs[index - 1][-1:] not in _CLOSED and (not before or before.isspace()):
                # "Emma took the opportunity of whispering," and the speech opens the next paragraph.
                # Not the tag of the previous paragraph's own speech: '"My thoughts." Naruto mumbled'.
                lead_in = paragraphs[index - 1]
                closing = max(lead_in.rfind('"'), lead_in.rfind("”"))
                trailing = lead_in[closing + 1 :]
                if closing < 0 or len(trailing.split()) > _OWN_TAG_WORDS or not _tag_after(trailing):
                    before = lead_in
            tag = after_tag = _tag_after(quote.after)
            if tag is None:
                tag = _tag_before(before)
            if tag is None and (
                before is not quote.before or (quote is quotes[0] and before.rstrip(" -—–")[-1:] in (":", ","))
            ):
                # "Willoughby, first rousing himself, broke it thus:" and the speech opens the next
                # paragraph, or follows in this one ("He pulled himself up and went on, smiling:"):
                # whoever the lead-in's last sentence is about speaks.
                lead = _Sentence(_last_sentence(before))
                if heard := _HEARD.search(lead.text):
                    tag = "pronoun", "he" if heard[1] == "him" else "she"  # "Emma heard him say,"
                elif lead.subject:
                    tag = "far", lead.subject
                elif lead.pronoun:
                    tag = "pronoun", "he" if lead.pronoun == "M" else "she"
            if tag is None and before.rstrip().endswith(".") and quote is quotes[0]:
                # 'Dolly interrupted him. "But I say..."': a short sentence saying who speaks.
                sentence = before.rstrip()[-_SHORT_LEAD:].rsplit(". ", 1)[-1].rstrip(".")
                if len(sentence.split()) <= 4 and not any(mark in sentence for mark in '"“”'):
                    tag = _tag_before(sentence)
                    if tag and tag[0] not in ("name", "pronoun"):
                        tag = None
            if tag is None and quote.text[-1:] in ",!?" and (match := _ANY_VERB_PRONOUN.match(quote.after)):
                # '"...," she prattled': after a speech that runs on, he or she and a verb is its
                # tag, whatever the verb.
                tag = "pronoun", match[1].lower()
            if tag is None:
                if quote.text[-1:] in ",!?" and (match := _INVERTED.match(quote.after)):
                    name = self._lexicon.canonical.get(match[2])
                    if name and name in self._lexicon.speakers:
                        result.speaker, result.confidence, result.rule = name, EXPLICIT, "explicit"
                continue
            kind, value = tag
            if kind == "narrator":
                if self._lexicon.narrator:
                    result.speaker, result.confidence, result.rule = self._lexicon.narrator, NARRATOR, "narrator"
                else:
                    result.first_person = True
                    result.speaker, result.confidence, result.rule = UNNAMED_NARRATOR, NARRATOR, "narrator"
                    self._lexicon.described.add(UNNAMED_NARRATOR)
                continue
            if kind == "name":
                name = self._name(value)
                if name:
                    result.speaker, result.confidence, result.rule = name, EXPLICIT, "explicit"
                    title, _, rest = value.partition(" ")
                    if rest and title[:1].isupper() and title.rstrip(".") not in TITLES:
                        # "said Count Orlov": a later "said the count" in this chapter is him.
                        self._titled.setdefault(title.lower(), name)
            elif kind == "far":
                for candidate in value.split("|"):
                    # Someone the tags name, or at least a person (the text shows their sex).
                    if (name := self._name(candidate)) and (self._lexicon.can_speak(name) or name in self._lexicon.gender):
                        result.speaker, result.confidence, result.rule = name, EXPLICIT_FAR, "explicit-far"
                        break
            elif kind == "kin":
                if spoken_of is None:
                    spoken_of = set().union(*(self._mentioned(q.text) for q in quotes))
                possessive, noun = value.split()
                # Whose mother: most often the one who just spoke, else whom the pronoun picks up.
                sex = PRONOUN_GENDER[possessive]
                owners = [earlier_speakers.get(index - 1)]
                if self._lexicon.gender.get(owners[0] or "") != sex:
                    owner, _ = self._resolve_pronoun(
                        "he" if possessive == "his" else "she", set(), paragraphs, index, quote, earlier_speakers
                    )
                    owners = [owner, self._declined]  # whose mother needs a guess, not a speaker
                # Kitty's family the text never writes out: "her" is most often of the family of
                # the chapter's last woman to speak, or of the story's leading one.
                owners += [self._last_of_gender.get(sex), self._lead(sex)]
                found = None
                for owner in owners:
                    if family := self._lexicon.family.get(owner or ""):
                        who = self._lexicon.canonical.get(titled(_KIN_TITLES[noun], family))
                        if who and who != owner and who not in spoken_of and self._lexicon.can_speak(who):
                            found = who
                            break
                if found:
                    result.speaker, result.confidence, result.rule = found, PRONOUN_NEAR, "kin"
                    continue
                kind, value = "pronoun", GENDERED_NOUNS[noun]
            if kind == "role":
                if name := self._lexicon.title_owner.get(value) or self._titled.get(value) or self._lexicon.role(value):
                    result.speaker, result.confidence, result.rule = name, ROLE, "role"
                elif value in GENDERED_NOUNS:
                    kind, value = "pronoun", GENDERED_NOUNS[value]
            if kind == "pronoun":
                # Whoever any speech of the paragraph names is talked to or about, not speaking.
                if spoken_of is None:
                    spoken_of = set().union(*(self._mentioned(q.text) for q in quotes))
                if to := self._addressee(quote.after):
                    result.addressee = to
                    spoken_of = spoken_of | {to}
                if after_tag:
                    spoken_of = spoken_of | self._beside_tag(quote.after)
                else:
                    spoken_of = spoken_of | self._spoken_to(before)
                value, _, epithet = value.partition("|")
                epithet, _, article = epithet.partition("|")
                value, _, owner_pronoun = value.partition("^")
                if epithet:
                    # "said the old man" is not the boy the chapter described before.
                    spoken_of = spoken_of | {d for d in self._lexicon.described if d.partition(" ")[2] != epithet}
                result.gender = PRONOUN_GENDER[value]
                if owner_pronoun == value:
                    # "said her aunt": whose aunt (the one who just spoke, else whom "her" picks
                    # up) is not the one speaking.
                    owner = earlier_speakers.get(index - 1)
                    if self._lexicon.gender.get(owner or "") != result.gender:
                        owner, _ = self._resolve_pronoun(value, spoken_of, paragraphs, index, quote, earlier_speakers)
                        owner = owner or self._declined
                    if owner:
                        spoken_of = spoken_of | {owner}
                if epithet and (who := self._epithets.get(epithet)) and who not in spoken_of:
                    # "said the old man" again in this chapter: the same old man.
                    result.speaker, result.confidence, result.rule = who, PRONOUN_NARRATED, "pronoun"
                    continue
                if article == "my":
                    # "returned my father": the narrator's relative, whom no he/she picks up.
                    result.speaker, result.confidence, result.rule = self._unnamed(epithet, article, result.gender), ROLE, "unnamed"
                    continue
                previous = earlier_speakers.get(index - 1)
                if (
                    previous and quote is quotes[0] and previous not in spoken_of
                    and self._lexicon.gender.get(previous) == result.gender
                    and (_GOES_ON_AFTER.match(quote.after) or _GOES_ON_BEFORE.search(before[-40:]))
                ):
                    # '"...," he said. / "...," he went on.': whoever spoke goes on.
                    result.speaker, result.confidence, result.rule = previous, PRONOUN_NAMED, "pronoun"
                    continue
                name, confidence = self._resolve_pronoun(value, spoken_of, paragraphs, index, quote, earlier_speakers)
                result.fallback = self._declined
                if name:
                    result.speaker = name
                    result.confidence = confidence
                    if self._lexicon.gender.get(name) is None:
                        result.confidence = PRONOUN_UNSURE
                    result.rule = "pronoun"
                    if epithet and confidence >= PRONOUN_NARRATED:
                        self._epithets[epithet] = name  # found by a subject or a name near
                elif epithet and article:
                    # "cried the girl" and nobody named fits: the girl, as the text calls her.
                    result.speaker, result.confidence, result.rule = self._unnamed(epithet, article, result.gender), ROLE, "unnamed"
        known = [r for r in results if r.speaker]
        for position, result in enumerate(results):
            if result.speaker is None and known:
                # The nearest tagged speech before it in the paragraph, else the first one after it.
                source = next((r for r in reversed(results[:position]) if r.speaker and r.rule != "same-paragraph"), known[0])
                result.speaker = source.speaker
                result.confidence = INHERITED if source.rule == "explicit" else source.confidence
                result.rule = "same-paragraph"
        if not known:
            speaker, confidence, rule = self._beat(quotes)
            if speaker is None:
                speaker, confidence, rule = self._pronoun_beat(paragraphs, index, quotes, earlier_speakers)
            for result in results:
                result.speaker, result.confidence, result.rule = speaker, confidence, rule

    def _beside_tag(self, after: str) -> set[str]:
        """'," she said, genuinely disturbed by Anne's face.': whom the rest of a he/she tag's
        sentence names is someone other than the speaker."""
        tail = after[:_WINDOW]
        for mark in ('"', "“", "”"):
            tail = tail.split(mark, 1)[0]
        words = _SENTENCE_BREAK.split(tail, 1)[0].split(None, 2)
        if len(words) < 3:
            return set()
        canonical = self._lexicon.canonical
        return {who for form in _names(words[2]) if (who := canonical.get(form.removesuffix("'s").removesuffix("’s")))}

    def _spoken_to(self, before: str) -> set[str]:
        """'Turning to Anne, she said:', 'she continued to Lucy:': whom the tag's sentence before
        the speech turns to is someone other than the speaker."""
        words = _last_sentence(before).split()
        found = set()
        for i in range(1, len(words)):
            if words[i - 1].lower() == "to" and words[i][:1].isupper():
                name, _ = _read_name(words, i)
                if name and (who := self._lexicon.canonical.get(name)):
                    found.add(who)
        return found

    def _addressee(self, after: str) -> str | None:
        """'," she said to Elizabeth': the one character a tag says the speech is to."""
        words = after[:_WINDOW].split(None, 8)[:8]
        for i in range(1, len(words) - 1):
            if bare(words[i]).lower() in ("to", "at", "towards") and words[i + 1][:1].isupper():
                name, _ = _read_name(words, i + 1)
                return self._lexicon.canonical.get(name) if name else None
            if not words[i][-1].isalpha() and i > 1:
                break
        return None

    def _opening_subject(self, narration: str, quotes: list[RawQuote], results: list[Attribution]) -> None:
        """'Marla put down her cup.' then an untagged speech: the one the narration opened on
        acting is likely to speak next, whatever the turns' parity says."""
        if quotes[0].before.strip() or _LISTENING.search(narration):
            return
        words = narration.split(None, 4)
        name, end = _read_name(words, 1 if words[:1] == ["The"] else 0)
        if not name or end >= len(words) or not words[end - 1][-1].isalpha() or not words[end].islower():
            return
        who = self._lexicon.canonical.get(name)
        if not self._lexicon.can_speak(who) or any(who in self._mentioned(q.text) for q in quotes):
            return
        if any(r.addressee == who or (r.gender and self._lexicon.gender.get(who, r.gender) != r.gender) for r in results):
            return  # a "she said" is no man, and "she said to Lucy" is not Lucy
        for result in results:
            result.speaker, result.confidence, result.rule = who, BEAT_PARAGRAPH, "beat-paragraph"

    def _name(self, written: str) -> str | None:
        """Canonical speaker for a name in a tag."""
        return self._lexicon.resolve_tag(written)

    def _resolve_pronoun(
        self,
        pronoun: str,
        excluded: set[str],
        paragraphs: Sequence[str],
        index: int,
        quote: RawQuote,
        earlier_speakers: dict[int, str],
    ) -> tuple[str | None, float]:
        """The nearest earlier named character of the pronoun's gender who is not addressed, and a
        confidence that says how the answer was found (each way's measured precision differs)."""
        gender = PRONOUN_GENDER[pronoun]
        genders = self._lexicon.gender
        canonical = self._lexicon.canonical
        self._declined = None
        self._unnamed_seen: list[str] = []
        unsure: str | None = None  # nearest character whose gender the text never showed

        can_speak = self._lexicon.can_speak

        narrator = self._lexicon.narrator

        def fits(who: str | None) -> bool:
            nonlocal unsure
            # The narrator of a first-person story is "I", never "he" or "she".
            if not who or who in excluded or not can_speak(who) or who == narrator:
                return False
            known = genders.get(who)
            if known is None and unsure is None:
                unsure = who
            return known == gender

        before = quote.before[-_LOOKBACK_CHARS:]
        if len(before) > 2:
            who, kind = self._walk(self._plan_of(before, gender), fits)
            if who:
                return who, PRONOUN_NEAR if kind == "subject" else PRONOUN_NAMED
        head = quote.start - len(quote.before)
        if head > 2 and len(before) < _LOOKBACK_CHARS:
            # An earlier speech of the paragraph came between: the narration before it still
            # belongs to the same paragraph ('Mrs. Honeychurch was silent. She was thinking, "..."
            # And ... she burst out with:').
            who, _ = self._walk(self._plan_before(paragraphs, index, head, gender), fits)
            if who:
                return who, PRONOUN_NAMED
        for name in reversed(_subjects(before) if len(before) > 2 else ()):
            who = canonical.get(name)
            if who and who not in excluded and genders.get(who) is None and can_speak(who):
                # Someone acting in this very paragraph whose gender the text never showed beats
                # a better-known character from an earlier one: "Mizuki smiled. '...' he asked."
                return who, PRONOUN_NEAR
        unsure = None
        previous = earlier_speakers.get(index - 1)
        if index:
            # "Are you coming, Tobin?" / '"No," he said.': the one called on answers.
            called = self._called_in.get(index - 1)
            if called is None:
                called = self._called_in[index - 1] = set()
                for speech in _QUOTED.findall(paragraphs[index - 1][-_LOOKBACK_CHARS:]):
                    called |= self._names_in_speech(speech.strip("\"“”"))[1]
            if len(called) == 1 and (who := next(iter(called))) != previous and fits(who):
                return who, PRONOUN_CALLED
        if previous is not None:
            # The last turn ended in narration ('"...," said Mary, and she put her hand on his
            # arm.'): whom that narration is about comes before the other side of the exchange.
            narration = self._tail(paragraphs, index - 1)
            if narration is not None:
                who, _ = self._walk(narration.plan(gender), fits)
                if who:
                    return who, PRONOUN_NARRATED
                if fits(previous) and any(sentence.pronoun == gender for sentence in narration):
                    # '"...," he returned. He sat staring out.' and nobody else of his sex named:
                    # he is still the one who spoke.
                    return previous, PRONOUN_NARRATED
        if previous is not None:
            # In a running exchange the pronoun is the other side of the last turn, not whoever
            # the speeches happened to name. Turn-taking knows the exchange best (measured): the
            # last earlier speaker of that gender but the last is only the guess kept aside.
            for earlier in range(index - 2, max(index - 2 - _LOOKBACK_PARAGRAPHS, -1), -1):
                who = earlier_speakers.get(earlier)
                if who and who != previous and fits(who):
                    return self._decline(who)
        for earlier in range(index - 1, max(index - 1 - _LOOKBACK_PARAGRAPHS, -1), -1):
            who, kind = self._walk(self._read_narration(paragraphs, earlier).plan(gender), fits)
            if who and earlier < index - _SURE_NARRATION:
                return self._decline(who)
            if kind == "subject":
                return who, PRONOUN_NARRATED
            speaker = earlier_speakers.get(earlier)
            if who:
                return who, PRONOUN_MENTIONED
            if fits(speaker):
                return speaker, PRONOUN_FAR
        # Nobody near: the last of that sex in the chapter, or someone whose sex is unknown, is
        # right less often than the exchange around the speech.
        for form in self._unnamed_seen:
            # "A girl sat on the fence." and nobody named of her sex about: the girl speaks.
            if PRONOUN_GENDER[GENDERED_NOUNS[form.rsplit(" ", 1)[-1]]] == gender:
                article, _, phrase = form.partition(" ")
                if (who := self._unnamed(phrase, article, gender)) not in excluded:
                    return who, PRONOUN_MENTIONED
        return self._decline(who if unsure is None and fits(who := self._last_of_gender.get(gender)) else unsure)

    def _unnamed(self, phrase: str, article: str, sex: str) -> str:
        """The speaker a description names ("the girl", "my father") when the chapter ties it to
        nobody named: called as the text first describes them, and a character from then on."""
        who = self._epithets.get(phrase)
        if who is None:
            who = self._epithets[phrase] = f"{'the' if article == 'this' or article == 'that' else article} {phrase}"
            self._lexicon.describe(who, sex)
        return who

    def _decline(self, guess: str | None) -> tuple[None, float]:
        """No answer for a pronoun, the guess kept aside (see Attribution.fallback)."""
        self._declined = guess
        return None, PRONOUN_UNSURE

    def _plan_of(self, narration: str, gender: str) -> list[tuple[str, str]]:
        """The walk plan of a short narration; the same tag text ('he said.') is read once."""
        plan = self._plans_by_text.get((narration, gender))
        if plan is None:
            plan = self._plans_by_text[narration, gender] = _Narration(narration).plan(gender)
        return plan

    def _plan_before(self, paragraphs: Sequence[str], index: int, head: int, gender: str) -> list[tuple[str, str]]:
        """The walk plan of a paragraph's narration in the _LOOKBACK_CHARS before `head`."""
        found = self._paragraph_narrations.get(index)
        if found is None:
            found = self._paragraph_narrations[index] = _ParagraphNarration(paragraphs[index])
        return found.plan_between(max(0, head - _LOOKBACK_CHARS), head, gender, self._plan_of)

    def _tail(self, paragraphs: Sequence[str], index: int) -> _Narration | None:
        """The narration after a paragraph's last speech, when it is more than the speech's tag."""
        if index not in self._tails:
            lead = paragraphs[index]
            tail = lead[max(lead.rfind('"'), lead.rfind("”")) + 1 :]
            self._tails[index] = _Narration(tail[-_LOOKBACK_CHARS:]) if len(tail.split()) > _TAIL_WORDS else None
        return self._tails[index]

    def _narration(self, paragraphs: Sequence[str], index: int) -> str:
        """A paragraph's narration, its speeches blanked: only its end, since reading all of a
        long paragraph for every tag would make one huge paragraph cost once per quotation."""
        text = self._narration_text.get(index)
        if text is None:
            # Blanked whole, then cut: cut first, a window opening inside a speech would take
            # the speeches for narration and the narration for speeches.
            text = self._narration_text[index] = " ".join(_QUOTED.sub(" ", paragraphs[index]).split())[-_LOOKBACK_CHARS:]
        return text

    def _read_narration(self, paragraphs: Sequence[str], index: int) -> _Narration:
        """A paragraph's narration sentences, each read once, latest first."""
        found = self._sentences_cache.get(index)
        if found is None:
            found = self._sentences_cache[index] = _Narration(self._narration(paragraphs, index))
        return found

    def _walk(self, plan: list[tuple[str, str]], fits: Callable[[str | None], bool]) -> tuple[str | None, str | None]:
        """Back through narration (its walk plan, see _walk_plan) for whom a he/she picks up: the
        subject of a sentence, else a name in one whose subject is nobody of that sex. Returns the
        character and "subject" or "mention"."""
        canonical = self._lexicon.canonical
        epithets = self._epithets
        for kind, form in plan:
            if kind == "unnamed":
                # Someone the text has not named: kept aside in case no named character fits.
                self._unnamed_seen.append(form)
                continue
            # "The old man sighed." of the old man the tags named
            who = epithets.get(form) if kind == "described" else canonical.get(form)
            if fits(who):
                return who, "mention" if kind == "mention" else "subject"
        return None, None

    def _narration_names(self, paragraphs: Sequence[str], index: int) -> list[str]:
        """The characters a paragraph's narration names, latest first (read once per paragraph)."""
        found = self._names_cache.get(index)
        if found is None:
            canonical = self._lexicon.canonical
            found = [who for name in reversed(_names(self._narration(paragraphs, index))) if (who := canonical.get(name))]
            self._names_cache[index] = found
        return found

    def _beat(self, quotes: list[RawQuote]) -> tuple[str | None, float, str | None]:
        """An action beat: the one character doing something in the paragraph's narration."""
        canonical = self._lexicon.canonical
        excluded: set[str] | None = None
        segments = [(quotes[0].before, BEAT_BEFORE, "beat")]
        segments += [(q.after, BEAT_BEFORE, "beat") for q in quotes[:-1]]  # between two quotations
        segments.append((quotes[-1].after, BEAT_AFTER, "beat-after"))
        for text, confidence, rule in segments:
            if len(text) < 4:
                continue
            can_speak = self._lexicon.can_speak
            subjects = {name for form in _subjects(text) if can_speak(name := canonical.get(form))}
            if not subjects:
                continue
            if excluded is None:
                excluded = set().union(*(self._mentioned(q.text) for q in quotes))
            subjects -= excluded
            if len(subjects) == 1:
                return subjects.pop(), confidence, rule
        return None, 0.0, None

    def _pronoun_beat(
        self, paragraphs: Sequence[str], index: int, quotes: list[RawQuote], earlier_speakers: dict[int, str]
    ) -> tuple[str | None, float, str | None]:
        """'"Don't.." He coughed.': a pronoun doing something right next to the quotation."""
        for quote, text in ((quotes[0], quotes[0].after), (quotes[0], quotes[0].before)):
            match = _PRONOUN_SUBJECT.match(text) if text is quote.after else _PRONOUN_SUBJECT_END.search(text[-80:])
            if match:
                addressed = set().union(*(self._mentioned(q.text) for q in quotes))
                name, _ = self._resolve_pronoun(match[1].lower(), addressed, paragraphs, index, quote, earlier_speakers)
                if name:
                    return name, PRONOUN_BEAT, "pronoun-beat"
        return None, 0.0, None

    @property
    def lexicon(self) -> Lexicon:
        return self._lexicon

    def narration_names(self, paragraphs: Sequence[str], index: int) -> list[str]:
        """The characters a paragraph's narration names, latest first (this scene's paragraphs)."""
        return self._narration_names(paragraphs, index)

    def speech_names(self, text: str) -> tuple[set[str], set[str]]:
        """Names a quotation mentions, and those it addresses."""
        return self._names_in_speech(text)

    def _mentioned(self, text: str) -> set[str]:
        return self._names_in_speech(text)[0]

    def _names_in_speech(self, text: str) -> tuple[set[str], set[str]]:
        """Names a quotation mentions, and those it addresses ('Naruto, you fail.').

        Remembered per text: the same quotation is looked at by several rules.
        """
        known = self._speech_names.get(text)
        if known is not None:
            return known
        canonical = self._lexicon.canonical
        mentioned: set[str] = set()
        addressed: set[str] = set()
        # A capitalised word that ends no name form cannot name anyone, with or without a title;
        # most speeches name nobody, and those need no closer look.
        name_words = self._lexicon.name_words()
        if name_words.isdisjoint(CAPITALISED.findall(text)):
            self._speech_names[text] = (mentioned, addressed)
            return mentioned, addressed
        for match in CAPITALISED.finditer(text):
            if match[0] not in name_words:
                continue
            start, end = match.span()
            before = text[max(0, start - 12) : start].rstrip()
            title = before.rsplit(None, 1)[-1] if before else ""
            if title.rstrip(".") in TITLES:
                # "with Mr. Bingley!": the title's full stop is no punctuation before an address.
                name = canonical.get(titled(title, match[0])) or canonical.get(match[0])
                before = before[: -len(title)].rstrip()
            else:
                name = canonical.get(match[0])
            if not name:
                continue
            mentioned.add(name)
            after = text[end : end + 2].lstrip()
            if after and after[0] not in ",!?.…":
                continue
            if not before or before[-1] in ",!?.…" or before.rsplit(None, 1)[-1].lower() in _GREETING:
                addressed.add(name)
        self._speech_names[text] = (mentioned, addressed)
        return mentioned, addressed

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
            if current and (len(gap) > 1 or any(len(paragraphs[p]) > EXCHANGE_BREAK for p in gap)):
                runs.append(current)  # long narration ends the exchange
                current = []
            current.append([number])
            last_end = quote.last_paragraph
        if current:
            runs.append(current)
        recent: list[str] = []  # speakers of the scene so far, latest last
        for run in runs:
            if len(run) > 1 and any(rule_trust(results[t[0]]) < _FIXED for t in run):
                self._decode(run, quotes, results, paragraphs, recent[-_RECENT_SPEAKERS:])
            previous: str | None = None
            for turn in run:
                result = results[turn[0]]
                who = result.speaker
                if who and (not recent or recent[-1] != who):
                    recent.append(who)
                if result.confidence < PRONOUN_UNSURE:
                    who = None  # only turns named by their own tag say who talks with whom
                if who and previous and who != previous:
                    partners = self._lexicon.partners
                    for one, other in ((who, previous), (previous, who)):
                        if one not in partners:
                            partners[one] = Counter()
                        partners[one][other] += 1
                previous = who

    def _turn_names(self, turn: list[int], quotes: Sequence[RawQuote]) -> tuple[set[str], set[str]]:
        """The names a turn's speeches mention, and those they call on."""
        if len(turn) == 1:
            return self._names_in_speech(quotes[turn[0]].text)  # only ever read
        found = [self._names_in_speech(quotes[n].text) for n in turn]
        return set().union(*(m for m, _ in found)), set().union(*(a for _, a in found))

    def _alternate(
        self,
        run: list[list[int]],
        quotes: Sequence[RawQuote],
        results: list[Attribution],
        paragraphs: Sequence[str],
        recent: list[str],
    ) -> None:
        """Speakers alternate: each untagged turn takes its side of the exchange from the nearest
        tagged turn, so one tag after a long untagged run settles the parity of the whole run."""
        # A pronoun resolved only through earlier paragraphs is a guess the exchange can overrule.
        weak = {i: results[t[0]].speaker for i, t in enumerate(run) if _weak(results, t)}
        speakers: list[str | None] = [None if i in weak else results[t[0]].speaker for i, t in enumerate(run)]
        names: dict[int, tuple[set[str], set[str]]] = {}
        genders = self._lexicon.gender

        def names_of(i: int) -> tuple[set[str], set[str]]:
            known = names.get(i)
            if known is None:
                known = names[i] = self._turn_names(run[i], quotes)
            return known

        # Asked for every guess, so worked out once per turn.
        hints: dict[int, str | None] = {}

        def hint_of(i: int) -> str | None:
            if i not in hints:
                hints[i] = _turn_hint(run[i], results)
            return hints[i]

        def fits(i: int, who: str | None) -> bool:
            if not who or who in names_of(i)[0]:
                return False
            hint = hint_of(i)
            return hint is None or (hint != "" and genders.get(who, hint) == hint)

        def assign(i: int, who: str, confidence: float, rule: str) -> None:
            speakers[i] = who
            for n in run[i]:
                results[n].speaker, results[n].confidence, results[n].rule = who, confidence, rule

        # Narration between two turns: the one after it is the same speaker again 40% of the time
        # (next to each other, 4%), so parity read across it is worth little.
        gaps_upto = [0] * len(run)
        for i in range(1, len(run)):
            previous_end = max(quotes[n].last_paragraph for n in run[i - 1])
            gaps_upto[i] = gaps_upto[i - 1] + (quotes[run[i][0]].paragraph > previous_end + 1)

        # "Are you coming, Tobin?" -- the one called on answers next.
        for i in range(1, len(run)):
            if speakers[i] is None:
                called = names_of(i - 1)[1]
                if len(called) == 1:
                    who = next(iter(called))
                    if who != speakers[i - 1] and self._lexicon.can_speak(who) and fits(i, who):
                        assign(i, who, VOCATIVE, "vocative")
        anchors = [i for i, s in enumerate(speakers) if s]
        # For each anchor, the nearest tagged turn before and after it with a different speaker;
        # and for each turn, the nearest anchor before and after it (linear sweeps: runs can be long).
        differ_before: dict[int, tuple[str | None, int]] = {}
        differ_after: dict[int, tuple[str | None, int]] = {}
        for order, step in ((anchors, differ_before), (anchors[::-1], differ_after)):
            last: str | None = None
            last_at = 0
            other: str | None = None
            other_at = 0
            for j in order:
                if speakers[j] != last:
                    other, other_at, last = last, last_at, speakers[j]
                last_at = j
                step[j] = (other, abs(j - other_at))
        anchor_before: list[int | None] = []
        anchor_after: list[int | None] = [None] * len(run)
        last_anchor: int | None = None
        for i, who in enumerate(speakers):
            anchor_before.append(last_anchor)
            if who:
                last_anchor = i
        last_anchor = None
        for i in range(len(run) - 1, -1, -1):
            anchor_after[i] = last_anchor
            if speakers[i]:
                last_anchor = i
        narrated: list[str] | None = None

        sides_at: dict[tuple[int, bool], str | None] = {}
        can_speak = self._lexicon.can_speak

        def ranked(i: int, guesses: list[tuple[int, str | None]]) -> list[str]:
            """The guesses that could speak turn i, nearest anchor first."""
            return [g for _, g in sorted(guesses, key=lambda g: g[0]) if g and fits(i, g) and can_speak(g)]

        def other_side(anchor: int, ahead: bool) -> str | None:
            if (anchor, ahead) not in sides_at:
                sides_at[anchor, ahead] = find_other_side(anchor, ahead)
            return sides_at[anchor, ahead]

        def find_other_side(anchor: int, ahead: bool) -> str | None:
            """The other side of the exchange at an anchor: the nearest different speaker in the
            run (on the side of the untagged turns when both are as near), then the speakers
            before the run, then the narration."""
            nonlocal narrated
            sides = (differ_after, differ_before) if ahead else (differ_before, differ_after)
            near = [side[anchor] for side in sides if side[anchor][0]]
            if near:
                return min(near, key=lambda side: side[1])[0]
            speaker = speakers[anchor]
            scores = candidates()
            # The turns on the other side of the anchor: a pronoun tag among them tells its gender.
            wanted = {hint_of(i) for i in range(anchor % 2 ^ 1, len(run), 2)} - {None, ""}
            if partners := self._lexicon.partners.get(speaker):
                # The known side's usual partners in the story so far.
                total = sum(partners.values())
                scores = scores + Counter({who: _PARTNER_WEIGHT * n / total for who, n in partners.items()})
            best: str | None = None
            for who, score in scores.items():
                if who == speaker or not can_speak(who) or score <= scores.get(best, 0.0):
                    continue
                if len(wanted) == 1 and genders.get(who, next(iter(wanted))) not in wanted:
                    continue
                best = who
            return best

        scored: Counter[str] | None = None

        def candidates() -> Counter[str]:
            """Who the other side of this run could be, scored: whoever its speeches call on, the
            speakers just before it (the conversation goes on after narration) and the characters
            the narration before it names, the most recent weighing most."""
            nonlocal scored, narrated
            if scored is None:
                scored = Counter()
                for i in range(len(run)):
                    for who in sorted(names_of(i)[1]):  # sorted: ties must not hang on the hash seed
                        scored[who] += _CALLED_WEIGHT
                for weight, who in zip(_RECENCY_WEIGHTS, reversed(recent), strict=False):
                    scored[who] += weight
                narrated = self._narrated(paragraphs, quotes[run[0][0]])
                for weight, who in zip(_RECENCY_WEIGHTS, narrated, strict=False):
                    scored[who] += weight
            return scored

        for i in range(len(run)):
            if speakers[i] is not None:
                continue
            back, ahead = anchor_before[i], anchor_after[i]
            primary: list[tuple[int, str | None]] = []
            secondary: list[tuple[int, str | None]] = []
            for anchor, is_ahead in ((back, True), (ahead, False)):
                if anchor is None:
                    continue
                distance = abs(i - anchor)
                cost = distance + _GAP_COST * abs(gaps_upto[i] - gaps_upto[anchor])
                sides = (speakers[anchor], other_side(anchor, is_ahead))
                primary.append((cost, sides[distance % 2]))
                # "Sakura, I told you." is not Sakura, whatever the parity says.
                secondary.append((cost, sides[1 - distance % 2]))
            # Next to each other, nobody answers themself; across narration they often go on.
            neighbours = {
                speakers[j] for j in (i - 1, i + 1) if 0 <= j < len(run) and gaps_upto[max(i, j)] == gaps_upto[min(i, j)]
            }

            first = ranked(i, primary)
            # Nobody answers themself; failing that, the nearest guess is still better than none.
            guess = next((g for g in first if g not in neighbours), None)
            if guess is None:
                second = ranked(i, secondary)
                guess = next((g for g in second if g not in neighbours), next(iter(first + second), None))
            if i in weak:
                if weak[i] in first and weak[i] not in neighbours:
                    guess = weak[i]  # the exchange allows the pronoun's own answer: keep it
                if guess and genders.get(guess) is not None:
                    rule = "pronoun" if guess == weak[i] else "pronoun-turn"
                    assign(i, guess, PRONOUN_TURN, rule)
                else:
                    speakers[i] = weak[i]
            elif guess:
                assign(i, guess, TURN, "turn-taking")

    def _decode(
        self,
        run: list[list[int]],
        quotes: Sequence[RawQuote],
        results: list[Attribution],
        paragraphs: Sequence[str],
        recent: list[str],
    ) -> None:
        """Who speaks each turn of an exchange, decided for the whole exchange at once.

        Each turn's evidence (its tag and the rule's measured precision, a pronoun's gender, the
        names it calls on or mentions, a name the turn before called on) is weighed against how
        exchanges go: next to each other the last speaker but one answers (84%), the same one
        seldom goes on (3%), someone new comes in now and then (13%); across a narration paragraph
        any of them may. The most likely sequence of speakers wins (Viterbi over the last two
        speakers, so the A-B-A pattern of a conversation is a transition of its own)."""
        lexicon = self._lexicon
        genders = lexicon.gender
        can_speak = lexicon.can_speak
        size = len(run)
        gaps = [False] * size
        for i in range(1, size):
            turn = run[i - 1]
            previous_end = quotes[turn[0]].last_paragraph if len(turn) == 1 else max(quotes[n].last_paragraph for n in turn)
            gaps[i] = quotes[run[i][0]].paragraph > previous_end + 1
        heads = [results[t[0]] for t in run]
        trusts = [rule_trust(h) for h in heads]
        # The names a turn's speeches mention and call on; read only where they can change the
        # answer: the turns to decide and the ones just before them (the one called on answers).
        open_turns = [trust < _FIXED for trust in trusts]
        none: tuple[set[str], set[str]] = (set(), set())
        names: list[tuple[set[str], set[str]]] = []
        for i, turn in enumerate(run):
            if not (open_turns[i] or (i + 1 < size and open_turns[i + 1])):
                names.append(none)
            else:
                names.append(self._turn_names(turn, quotes))
        hints = [_turn_hint(turn, results) for turn in run]

        # Who may take part: the speakers the turns already name, whoever they call on, then
        # the speakers just before and the characters the narration before names.
        weight: Counter[str] = Counter()
        for head in heads:
            if head.speaker:
                weight[head.speaker] += 2.0 if head.confidence >= EXPLICIT_FAR else 1.0
            elif head.fallback:
                weight[head.fallback] += _GUESS_WEIGHT  # whom a pronoun would have picked far back
        for _, called in names:
            for who in sorted(called):
                if can_speak(who):
                    weight[who] += _CALLED_WEIGHT
        for w, who in zip(_RECENCY_WEIGHTS, reversed(recent), strict=False):
            weight[who] += w
        if len(weight) < _MAX_PARTICIPANTS and sum(trust >= _FIXED for trust in trusts) < 2:
            # Too few so far: the characters the narration before the exchange names.
            for w, who in zip(_RECENCY_WEIGHTS, self._narrated(paragraphs, quotes[run[0][0]]), strict=False):
                weight[who] += w
        if lexicon.narrator:
            weight[lexicon.narrator] += 0.5
        for speaker in sorted({h.speaker for h, trust in zip(heads, trusts, strict=True) if trust >= _FIXED}):
            # Those a speaker of this exchange usually talks with, in the story so far.
            if partners := lexicon.partners.get(speaker):
                total = sum(partners.values())
                for who, n in partners.items():
                    weight[who] += _PARTNER_WEIGHT * n / total
        fixed_speakers = {h.speaker for h, trust in zip(heads, trusts, strict=True) if trust >= _KEEP}
        ranked = sorted(weight.items(), key=lambda kv: (-kv[1], kv[0]))
        cands = [who for who, _ in ranked if who in fixed_speakers]
        for who, _ in ranked:
            if len(cands) >= _MAX_PARTICIPANTS:
                break
            if who not in cands:
                cands.append(who)
        for hint in sorted({hint for hint in hints if hint}):
            if not any(genders.get(c) == hint for c in cands) and (lead := self._lead(hint)):
                # A he or she with nobody of that sex about: most often the story's leading one.
                cands.append(lead)
                weight[lead] += _LEAD_WEIGHT
        if len(cands) < 2:
            self._alternate(run, quotes, results, paragraphs, recent)
            return
        total = sum(weight[c] for c in cands)
        prior = {c: max(weight[c], 0.1) / total for c in cands}
        log = math.log

        k = len(cands)
        index_of = {c: j for j, c in enumerate(cands)}
        share = [prior[c] for c in cands]
        # A he or she is never the narrator of a first-person story, whatever their sex.
        narrator = lexicon.narrator
        wrong_gender = {
            hint: [_WRONG_GENDER if c == narrator or genders.get(c) not in (None, hint) else 0.0 for c in cands]
            for hint in ("M", "F")
        }

        # Emissions, in logs, by candidate index.
        emissions: list[list[float]] = []
        for i in range(size):
            head = heads[i]
            trust = trusts[i]
            j = index_of.get(head.speaker, -1) if trust else -1
            if j >= 0:
                e = [log(max(1e-6, (1 - trust) / (k - 1)))] * k
                e[j] = log(trust)
            else:
                e = [0.0] * k
            if hint := hints[i]:
                e = [a + b for a, b in zip(e, wrong_gender[hint], strict=True)]
            mentioned, called = names[i]
            if (to := head.addressee) and (j := index_of.get(to, -1)) >= 0:
                e[j] += _SELF_CALLED  # "she said to Elizabeth" is not Elizabeth
            for c in mentioned:
                if (j := index_of.get(c, -1)) >= 0:
                    e[j] += _SELF_CALLED if c in called else _SELF_MENTIONED
            if i:
                for c in names[i - 1][1]:
                    if (j := index_of.get(c, -1)) >= 0:
                        e[j] += _CALLED_NEXT_GAP if gaps[i] else _CALLED_NEXT
            emissions.append(e)

        # Transition scores [speaker before][speaker][next], by index, worked out as needed; the
        # index k (one past the candidates) stands for "nobody before".
        rows: dict[tuple[bool, int, int], list[float]] = {}

        def transitions(gap: bool, i0: int, i1: int) -> list[float]:
            row = rows.get((gap, i0, i1))
            if row is None:
                table = _AFTER_GAP if gap else _ADJACENT
                row = []
                for i2 in range(k):
                    if i0 == k:
                        value = table["start-same"] if i2 == i1 else (
                            table["start-other"] + log(share[i2] / max(1 - share[i1], 1e-9)))
                    elif i0 != i1:
                        if i2 == i1:
                            value = table["alt-same"]
                        elif i2 == i0:
                            value = table["alt-back"]
                        else:
                            value = table["alt-new"] + log(share[i2] / max(1 - share[i0] - share[i1], 1e-9))
                    else:
                        value = table["run-same"] if i2 == i1 else (
                            table["run-new"] + log(share[i2] / max(1 - share[i1], 1e-9)))
                    row.append(value)
                rows[gap, i0, i1] = row
            return row

        # Viterbi over (speaker before, speaker) pairs; a turn's evidence prunes the speakers it
        # rules out, and each state keeps its best score and the state it came from.
        span = range(k)

        def allowed(i: int) -> list[int]:
            row = emissions[i]
            floor = max(row) - _PRUNE
            return [j for j in span if row[j] >= floor]

        # States are (speaker before, speaker) packed as before * k + speaker, before k for nobody.
        scores = {k * k + j: log(share[j]) + emissions[0][j] for j in allowed(0)}
        back: list[dict[int, int]] = []
        for i in range(1, size):
            options = allowed(i)
            gap = gaps[i]
            row = emissions[i]
            best: dict[int, float] = {}
            came: dict[int, int] = {}
            best_of = best.get
            for state, score in scores.items():
                i0, i1 = divmod(state, k)
                trans = rows.get((gap, i0, i1)) or transitions(gap, i0, i1)
                base = i1 * k
                for i2 in options:
                    value = score + trans[i2]
                    key = base + i2
                    if value > best_of(key, _NEVER):
                        best[key] = value
                        came[key] = state
            top = _NEVER
            for state in best:
                value = best[state] = best[state] + row[state % k]
                if value > top:
                    top = value
            floor = top - _BEAM
            scores = {state: value for state, value in best.items() if value >= floor}
            back.append(came)
        state = max(scores, key=lambda key: (scores[key], -(key % k), -(key // k)))
        best_path = [cands[state % k]]
        for came in reversed(back):
            state = came[state]
            best_path.append(cands[state % k])
        best_path.reverse()

        for i, who in enumerate(best_path):
            head = heads[i]
            if head.speaker == who or hints[i] == "":
                continue
            if trusts[i] >= _FIXED:
                continue
            called_before = i and who in names[i - 1][1]
            if hints[i]:
                rule, confidence = "pronoun-turn", PRONOUN_TURN  # a he/she the exchange settles
            elif called_before:
                rule, confidence = "vocative", VOCATIVE
            else:
                rule, confidence = "turn-taking", TURN
            for n in run[i]:
                results[n].speaker, results[n].confidence, results[n].rule = who, confidence, rule

    def _lead(self, sex: str) -> str | None:
        """The character of that sex the story's tags name most."""
        if sex not in self._leads:
            genders = self._lexicon.gender
            ranked = sorted(self._lexicon.speakers.items(), key=lambda kv: (-kv[1], kv[0]))
            self._leads[sex] = next((who for who, _ in ranked if genders.get(who) == sex), None)
        return self._leads[sex]

    def _narrated(self, paragraphs: Sequence[str], first: RawQuote) -> list[str]:
        """Characters named in the narration before an exchange, most recent first."""
        canonical = self._lexicon.canonical
        can_speak = self._lexicon.can_speak
        found: list[str] = []
        named = [canonical.get(form) for form in reversed(_names(first.before[-_LOOKBACK_CHARS:]))]
        for p in range(first.paragraph - 1, max(first.paragraph - 1 - _LOOKBACK_PARAGRAPHS, -1), -1):
            named += self._narration_names(paragraphs, p)
        for name in named:
            if name and name not in found and can_speak(name):
                found.append(name)
        return found
