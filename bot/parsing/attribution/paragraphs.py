"""The per-paragraph reading: each speech's tag, or the lead-in before it, turned into a speaker
(a name, a role, kin, the narrator, a he or she), and the paragraph's other speeches after it."""
from __future__ import annotations

import re
from collections.abc import Sequence

from bot.parsing.attribution.narration import _SENTENCE_BREAK, _last_sentence, _names, _Sentence
from bot.parsing.attribution.result import (
    BEAT_BEFORE,
    EXPLICIT,
    EXPLICIT_FAR,
    INHERITED,
    NARRATOR,
    PRONOUN_NAMED,
    PRONOUN_NARRATED,
    PRONOUN_NEAR,
    PRONOUN_UNSURE,
    ROLE,
    UNNAMED_NARRATOR,
    Attribution,
)
from bot.parsing.attribution.tags import _WINDOW, _tag_after, _tag_before
from bot.parsing.attribution.unseen import unseen_voice
from bot.parsing.attribution.words import _KIN_TITLES, _read_name, _with_epithet
from bot.parsing.characters import Lexicon
from bot.parsing.names import GENDERED_NOUNS, PRONOUN_GENDER, TITLES, bare, titled
from bot.parsing.native import trait
from bot.parsing.quotations import RawQuote

TYPE_CHECKING = False  # typing's, without loading typing: `parse` starts without it (bot/startup.py)
if TYPE_CHECKING:
    from typing import Final

_ANY_VERB_PRONOUN: Final = re.compile(
    r"\s*(he|she)\s+(?:[a-z]+ly\s+)?(?:was |had )?(?:[a-z]+(?:ed|ing)|broke|began|spoke|went|burst|flung|threw|"
    r"brought|struck|caught|cut|drew|rose|came|ran|stood|sat|took|put|gave|shook|held|let|got)\b"
)
# Verbs that say the speaker goes on: '"...," she went on', 'and then she added:'.
_GOES_ON: Final = "(?:continued|went on|resumed|pursued|persisted|added)"
_GOES_ON_AFTER: Final = re.compile(rf"\s*,?\s*(?:he|she)\s+(?:[a-z]+ly\s+)?{_GOES_ON}\b")
_GOES_ON_BEFORE: Final = re.compile(rf"\b{_GOES_ON}[,:—–-]*\s*$")
# Verbs that say the speaker answers someone: '"Yes." He answered.', '"...," she replied'. How far back,
# in paragraphs, the speech answered may be.
_REPLIES_AFTER: Final = re.compile(r"\s*,?\s*(?:[Hh]e|[Ss]he)\s+(?:[a-z]+ly\s+)?(?:answered|replied|rejoined|retorted|responded)\b")
_REPLY_LOOKBACK: Final = 3
# '"I know," flashed Helen': a rarer verb still makes a tag when a known speaker follows it.
_INVERTED: Final = re.compile(r"\s*([a-z]{3,}(?:ed|s)) ((?:(?:Mr|Mrs|Miss|Dr|Sir|Lady|Lord|Madame|Colonel|Captain)\.? )?[A-Z][a-z]+)\b(?![ -][A-Z])")
# A paragraph ending in anything else may lead into the speech that opens the next one:
# "...said Emma:", "...and then added--", "...said in a small and quiet voice" (a dash lost).
_CLOSED: Final = frozenset(".!?\"”’')]*_")
# "Emma heard him say to himself,": the one heard speaks, not the one hearing.
_HEARD: Final = re.compile(r"\b(?:heard|overheard|hear|listened to)\s+(him|her)\b")
# 'Dolly interrupted him. "But..."': how far back a short sentence that says who speaks may start.
_SHORT_LEAD: Final = 60
# A previous paragraph ending in this many words after its last speech: that speech's own tag.
_OWN_TAG_WORDS: Final = 4
# "There came a man and a burro. Cameron knew them. / '...,' called the man": how far back, in
# characters of narration, "a man" may introduce the one "the man" of a tag is.
_INTRODUCED_CHARS: Final = 400
# "answered Syme, like a man standing on the drop": a likeness brings nobody in.
_LIKENED: Final = frozenset("like as than such".split())
_INDEFINITE: Final = frozenset(("a", "an", "another"))
# Words between "a" and the tag's words: "a tall man", "a tall, thin man" is not read.
_INTRODUCED_GAP: Final = 2


@trait  # a mixin of ChapterAttributor (rules.py), which holds the state
class ParagraphReader:
    """The paragraphs of a scene for ChapterAttributor (rules.py): its lexicon, and what this
    chapter's tags taught it ("said Count Orlov" makes "the count" him)."""

    _lexicon: Lexicon
    _titled: dict[str, str]
    _declined: str | None
    _epithets: dict[str, str]

    def _paragraph(
        self,
        paragraphs: Sequence[str],
        index: int,
        quotes: list[RawQuote],
        results: list[Attribution],
        earlier_speakers: dict[int, str],
    ) -> None:
        spoken_of: set[str] | None = None  # everyone the paragraph's speeches name
        # "Mizuki didn't listen." right after the paragraph's speech: Mizuki hears it, whoever says it.
        listener, seen = self._listener(quotes[-1].after)
        if listener is None and index + 1 < len(paragraphs) and len(quotes[-1].after.split()) <= _OWN_TAG_WORDS:
            reacting = self._reacting(paragraphs[index + 1])  # "Tsunade raised her brow at that."
            # Not someone this paragraph's own narration names: '"I am a fool," said Tobin. / Tobin
            # laughed at that.' is Tobin laughing at himself.
            if reacting and not any(reacting in q.before or reacting in q.after for q in quotes):
                listener = reacting
        if listener:
            for result in results:
                result.addressee = result.addressee or listener
        for position in range(len(quotes)):  # not zip(strict=True): compiled, a call parsing keywords
            quote = quotes[position]
            result = results[position]
            before = quote.before
            if index and quote is quotes[0] and paragraphs[index - 1][-1:] not in _CLOSED and (not before or before.isspace()):
                # "Emma took the opportunity of whispering," and the speech opens the next paragraph.
                # Not the tag of the previous paragraph's own speech: '"My thoughts." Naruto mumbled'.
                lead_in = paragraphs[index - 1]
                closing = max(lead_in.rfind('"'), lead_in.rfind("”"))
                trailing = lead_in[closing + 1 :]
                if closing < 0 or len(trailing.split()) > _OWN_TAG_WORDS or not _tag_after(trailing):
                    before = lead_in
            if unseen_voice(quote.after, before):
                result.unseen = True  # '"No!" cried a voice from the top of the table.'
                continue
            tag = after_tag = _tag_after(quote.after)
            if tag is None:
                tag = _tag_before(before)
            if tag is None and (
                before is not quote.before or (
                    before.rstrip(" -—–")[-1:] in (":", ",")
                    # A later speech of the paragraph: a lead-in of its own after the last speech's
                    # tag ('"...," Janey commented; and his mother added: "..."').
                    and (quote is quotes[0] or _SENTENCE_BREAK.search(before.strip()) is not None)
                )
            ):
                # "Willoughby, first rousing himself, broke it thus:" and the speech opens the next
                # paragraph, or follows in this one ("He pulled himself up and went on, smiling:"):
                # whoever the lead-in's last sentence is about speaks.
                lead = _Sentence(_last_sentence(before))
                if heard := _HEARD.search(lead.text):
                    tag = "pronoun", "he" if heard[1] == "him" else "she"  # "Emma heard him say,"
                elif lead.subject:
                    tag = "far", lead.subject
                elif lead.described and lead.article in ("his", "her"):
                    # "but her mother, without waiting for her assent, continued,": her mother
                    # speaks, not the she "her" stands for.
                    if lead.described in _KIN_TITLES:
                        tag = "kin", f"{lead.article} {lead.described}"
                    else:
                        tag = "pronoun", _with_epithet(GENDERED_NOUNS[lead.described], [lead.article, lead.described], 0)
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
                        "he" if possessive == "his" else "she", set(), paragraphs, index, quote, earlier_speakers,
                        owner=True,
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
                    self._epithets.setdefault(value, name)  # "The mariner stared." of this chapter's mariner
                elif value in GENDERED_NOUNS:
                    kind, value = "pronoun", GENDERED_NOUNS[value]
            if kind == "pronoun":
                # Whoever any speech of the paragraph names is talked to or about, not speaking.
                if spoken_of is None:
                    spoken_of = set().union(*(self._mentioned(q.text) for q in quotes))
                    if listener:
                        spoken_of.add(listener)
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
                        owner, _ = self._resolve_pronoun(value, spoken_of, paragraphs, index, quote, earlier_speakers, owner=True)
                        owner = owner or self._declined
                    if owner:
                        spoken_of = spoken_of | {owner}
                if epithet and (who := self._epithets.get(epithet)) and who not in spoken_of:
                    # "said the old man" again in this chapter: the same old man.
                    result.speaker, result.confidence, result.rule = who, PRONOUN_NARRATED, "pronoun"
                    continue
                if article == "the" and epithet and self._introduced(paragraphs, index, before, epithet):
                    # "There came a man and a burro. Cameron knew them. / '...,' called the man":
                    # the man just introduced, not the named one who saw him come.
                    who = self._unnamed(epithet, article, result.gender)
                    if who not in spoken_of:
                        result.speaker, result.confidence, result.rule = who, ROLE, "unnamed"
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
                if quote is quotes[0] and _REPLIES_AFTER.match(quote.after):
                    # '"Yes." He answered.': not the last one who spoke, whom he answers.
                    last = next(
                        (who for p in range(index - 1, max(index - 1 - _REPLY_LOOKBACK, -1), -1) if (who := earlier_speakers.get(p))),
                        None,
                    )
                    if last:
                        spoken_of = spoken_of | {last}
                name, confidence = self._resolve_pronoun(
                    value, spoken_of, paragraphs, index, quote, earlier_speakers, bool(epithet)
                )
                result.fallback = self._declined
                if name:
                    result.speaker = name
                    result.confidence = confidence
                    if self._lexicon.gender.get(name) is None:
                        result.confidence = PRONOUN_UNSURE
                    result.rule = "pronoun"
                    if epithet and confidence >= PRONOUN_NARRATED:
                        self._epithets[epithet] = name  # found by a subject or a name near
                elif (
                    epithet and article == "the" and not self._lexicon.speakers
                    and (guess := self._declined) and guess not in self._lexicon.gender
                ):
                    # 'Naruto had cried that he did not want to be alone. / "Why now?" the young
                    # boy asked.': in a story whose tags name nobody, a description is how it
                    # calls its characters, and the nearest one whose sex the text never showed
                    # may be the boy.
                    result.speaker, result.confidence, result.rule = guess, PRONOUN_UNSURE, "pronoun"
                elif epithet and article:
                    # "cried the girl" and nobody named fits: the girl, as the text calls her.
                    result.speaker, result.confidence, result.rule = self._unnamed(epithet, article, result.gender), ROLE, "unnamed"
        known = [r for r in results if r.speaker]
        if any(r.unseen for r in results):
            for result in results:
                # '"No!" cried a voice. "You are wrong."': the paragraph's untagged speeches go on
                # in the voice, whom nothing names.
                result.unseen = result.speaker is None
            return
        for position, result in enumerate(results):
            if result.speaker is None and known:
                # The nearest tagged speech before it in the paragraph, else the first one after it.
                source = next((r for r in reversed(results[:position]) if r.speaker and r.rule != "same-paragraph"), known[0])
                result.speaker = source.speaker
                result.confidence = INHERITED if source.rule == "explicit" else source.confidence
                result.rule = "same-paragraph"
        if not known:
            speaker, confidence, rule = self._beat(quotes, listener, seen)
            if speaker is None and (speaker := self._one_of(quotes)):
                confidence, rule = BEAT_BEFORE, "beat"
            if speaker is None:
                speaker, confidence, rule = self._pronoun_beat(paragraphs, index, quotes, earlier_speakers)
            for result in results:
                result.speaker, result.confidence, result.rule = speaker, confidence, rule

    def _introduced(self, paragraphs: Sequence[str], index: int, before: str, epithet: str) -> bool:
        """Whether the narration just before a speech (its paragraph's, then the paragraph
        before's) brings in "a man" for a tag's "the man" ("a tall man", "an old man" for "the old
        man"): the tag's words after "a" or "an", not in a likeness ("like a man")."""
        narration = before if index == 0 else self._narration(paragraphs, index - 1) + " " + before
        # Read word by word, not with a pattern made per epithet: `parse` compiles no pattern
        # while it runs (bot/precompiled.py).
        words = narration[-_INTRODUCED_CHARS:].split()
        phrase = epithet.split()
        for i in range(len(words)):
            if words[i].lower() not in _INDEFINITE or (i > 0 and bare(words[i - 1]).lower() in _LIKENED):
                continue
            for gap in range(_INTRODUCED_GAP + 1):
                found = words[i + 1 : i + 1 + gap + len(phrase)]
                if len(found) < gap + len(phrase) or not all(w.isalpha() or w.replace("-", "").isalpha() for w in found[: gap + len(phrase) - 1]):
                    break  # "a man, old and grey": the phrase stops at a mark
                if [bare(w).lower() for w in found[gap:]] == phrase and all(w.islower() for w in found[:gap]):
                    return True
        return False

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

    def _name(self, written: str) -> str | None:
        """Canonical speaker for a name in a tag."""
        return self._lexicon.resolve_tag(written)
