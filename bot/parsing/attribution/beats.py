"""Action beats: the one character, or he or she, doing something right next to an untagged
speech, and the narration paragraph that opens on someone acting before one."""
from __future__ import annotations

import re
from collections.abc import Sequence

from bot.parsing.attribution.narration import _sentences, _subjects
from bot.parsing.attribution.result import (
    BEAT_AFTER,
    BEAT_BEFORE,
    BEAT_PARAGRAPH,
    PRONOUN_BEAT,
    Attribution,
)
from bot.parsing.attribution.words import _read_name
from bot.parsing.characters import Lexicon
from bot.parsing.native import trait
from bot.parsing.quotations import RawQuote

TYPE_CHECKING = False  # typing's, without loading typing: `parse` starts without it (bot/startup.py)
if TYPE_CHECKING:
    from typing import Final

# He or she and a verb right after a speech, or ending the narration just before it.
_PRONOUN_SUBJECT: Final = re.compile(r"\s*(He|She)\s+(?:[a-z]+ly\s+)?[a-z]+(?:ed|s)\b")
_PRONOUN_SUBJECT_END: Final = re.compile(r"(?:^|[.!?]\s+)(He|She)\s+(?:[a-z]+ly\s+)?[a-z]+(?:ed|s)\b[^.!?\"“”]*[.!?]\s*$")
# A narration paragraph whose subject keeps quiet, reacts or is reported asking: "Elinor could
# only smile.", "Joe remained silent.", "Margaret asked who they were.": the next speech answers
# them, it is not theirs.
_LISTENING: Final = re.compile(
    r"\b(?:could only|silent|silence|no answer|no reply|made no|did not (?:answer|reply|speak)"
    r"|asked (?:who|what|whether|if|how|why|where|when)|said nothing|relieved|in reply|smiled\.|listened)(?!\w)"
)
# A piece of every _LISTENING word: a narration with none of them is settled by str.find, several
# times faster than the pattern, which has to be tried at every position.
_LISTENING_PIECES = (
    "could only", "silen", "no answer", "no reply", "made no", "did not ", "asked ", "said nothing", "relieved",
    "in reply", "smiled.", "listened",
)


# A beat right after a speech whose subject hears it: "Mizuki didn't listen.", "Naruto turned to see
# Shizune running." ("ignored" is not one: "Pell ignored the hand on his arm.") The subject is the listener, never the speaker; whom
# they turn to see (a name right after "to see") is likely the speaker.
_HEARS = re.compile(
    r"\s+(?:(?:did not|didn't|would not|wouldn't|could not|couldn't) (?:listen|hear)\b|listened\b"
    r"|(?:turned|looked|glanced|spun|whirled)\b[^.!?,;]{0,30}?\bto (?:see|find) (?P<seen>[A-Z][a-z]+)?)"
)
_NAME_AT = re.compile(r"([A-Z][a-z]+)(?:['’]s)?(?=[ ,])")
# The narration after a speech read for its listener, in characters.
_WINDOW_AFTER = 200
# A piece of every _HEARS phrase, tried with str.find before the pattern.
_HEARS_PIECES = ("listen", "hear", " to see", " to find")
# How much narration after a speech, in sentences, a listener's beat may be in: the speech's own
# tag may come first ('"..." He said in a calm tone. Mizuki didn't listen.').
_LISTENER_SENTENCES = 2


# A narration paragraph opening on someone reacting to what was just said ("Tsunade raised her
# brow at that."): they heard the speech before it.
_REACTS: Final = re.compile(
    r"([A-Z][a-z]+)\s+(?:[a-z]+ly\s+)?[a-z]+(?:ed|s)\b[^.!?\"“”]{0,30}?\bat (?:that|this|those words|the words)\b"
)


# A paragraph opening on one of a group acting, in the one sentence before its speech: "One of
# his guards dropped down in front of him." (a group of at most three words, then a verb).
_ONE_OF_ACTING: Final = re.compile(
    r"One of ((?:the|his|her|their|its) (?:[A-Za-z-]+ ){0,2}[a-z]+s) (?:[a-z]+ly )?[a-z]+(?:ed|s)\b[^.!?\"“”]*[.!?]\s*$"
)


# A he or she as the subject of a sentence or clause of narration ("She would not accept it").
SUBJECT_PRONOUN: Final = re.compile(
    r"(?:^|[.!?…]\s+|[,;]\s+)(?:(He|(?<=[,;] )he)|(She|(?<=[,;] )she))\s+(?:[a-z]+ly\s+)?[a-z]+"
)


def narrated_sex(narration: str) -> str | None:
    """The sex of the he or she a narration paragraph is about ("That would be his last resort, but
    he would agree to it."), when the subjects it has are all one ("M", "F"), else None."""
    found = {"M" if match[1] else "F" for match in SUBJECT_PRONOUN.finditer(narration)}
    return found.pop() if len(found) == 1 else None


def _listening(narration: str) -> bool:
    """Whether _LISTENING is in the narration."""
    for piece in _LISTENING_PIECES:
        if piece in narration:
            return _LISTENING.search(narration) is not None
    return False


@trait  # a mixin of ChapterAttributor (rules.py), which holds the state
class BeatReader:
    """Beats for ChapterAttributor (rules.py), for paragraphs whose speeches no tag names."""

    _lexicon: Lexicon

    def _opening_subject(self, narration: str, quotes: list[RawQuote], results: list[Attribution]) -> None:
        """'Marla put down her cup.' then an untagged speech: the one the narration opened on
        acting is likely to speak next, whatever the turns' parity says."""
        if quotes[0].before.strip() or _listening(narration):
            return
        words = narration.split(None, 4)
        name, end = _read_name(words, 1 if words[:1] == ["The"] else 0)
        if not name or end >= len(words) or not words[end - 1][-1].isalpha() or not words[end].islower():
            return
        who = self._lexicon.canonical.get(name)
        if not self._lexicon.can_speak(who) or any(who in self._mentioned(q.text) for q in quotes):
            return
        if any(r.addressee == who or (r.gender and self._lexicon.gender.get(who, r.gender) != r.gender) for r in results):  # type: ignore[arg-type]
            return  # a "she said" is no man, and "she said to Lucy" is not Lucy
        for result in results:
            result.speaker, result.confidence, result.rule = who, BEAT_PARAGRAPH, "beat-paragraph"

    def _listener(self, after: str) -> tuple[str | None, str | None]:
        """Who hears a speech, by a beat in the first sentences of the narration right after it
        ("Mizuki didn't listen.", "Naruto turned to see Shizune running"), and whom they see
        there, if anyone: (listener, seen)."""
        head = after[:_WINDOW_AFTER]
        if not any(piece in head for piece in _HEARS_PIECES):
            return None, None
        canonical = self._lexicon.canonical
        for sentence in _sentences(head)[:_LISTENER_SENTENCES]:
            for match in _NAME_AT.finditer(sentence):
                before = sentence[: match.start()].rstrip(" \"”’'")
                if before and before[-1] not in ",.!?…;":
                    continue  # only a name opening the sentence or a clause is its subject
                who = canonical.get(match[1])
                heard = _HEARS.match(sentence, match.end())
                if who and heard and self._lexicon.can_speak(who):
                    seen = canonical.get(heard["seen"] or "")
                    return who, (seen if seen != who and self._lexicon.can_speak(seen) else None)
        return None, None

    def _reacting(self, narration: str) -> str | None:
        """Who a narration paragraph opens on reacting to the speech before it ("Tsunade raised
        her brow at that."): its listener, not its speaker."""
        if '"' in narration or "“" in narration or " at th" not in narration[:_WINDOW_AFTER]:
            return None
        reacting = _REACTS.match(narration)
        who = self._lexicon.canonical.get(reacting[1]) if reacting else None
        return who if who and self._lexicon.can_speak(who) else None

    def _beat(
        self, quotes: list[RawQuote], listener: str | None = None, seen: str | None = None
    ) -> tuple[str | None, float, str | None]:
        """An action beat: the one character doing something in the paragraph's narration, never
        the one who hears the speech; else whom they turn to see (see _listener)."""
        canonical = self._lexicon.canonical
        excluded: set[str] | None = None
        segments = [(quotes[0].before, BEAT_BEFORE, "beat")]
        segments += [(q.after, BEAT_BEFORE, "beat") for q in quotes[:-1]]  # between two quotations
        segments.append((quotes[-1].after, BEAT_AFTER, "beat-after"))
        for text, confidence, rule in segments:
            if len(text) < 4:
                continue
            lexicon = self._lexicon
            subjects = {name for form in _subjects(text) if lexicon.can_speak(name := canonical.get(form))}
            if not subjects:
                continue
            if excluded is None:
                excluded = set().union(*(self._mentioned(q.text) for q in quotes))
                if listener:
                    excluded.add(listener)
            subjects -= excluded
            if len(subjects) == 1:
                who = subjects.pop()
                if rule == "beat-after" and who is not None and self._opens_on(text, who):
                    # '"No.." Kakashi dashed forward.': the narration right after the speech opens
                    # on them, as a beat before one does; further into the narration, anyone may act.
                    return who, BEAT_BEFORE, "beat"
                return who, confidence, rule
        if seen and not any(seen in self._mentioned(q.text) for q in quotes):
            return seen, BEAT_BEFORE, "beat"
        return None, 0.0, None

    def _one_of(self, quotes: list[RawQuote]) -> str | None:
        """'One of his guards dropped down in front of him. "Sir?"': the one of the group, as the
        text calls them, speaks (a character from then on)."""
        match = _ONE_OF_ACTING.match(quotes[0].before.strip())
        if match is None:
            return None
        who = f"one of {match[1]}"
        self._lexicon.described.add(who)
        return who

    def _opens_on(self, text: str, who: str) -> bool:
        """Whether narration opens on the character ("Mizuki's smile was...", "Kimimaro knew")."""
        words = text.split(None, 3)
        name, _ = _read_name(words, 0)
        if name is None:
            return False
        canonical = self._lexicon.canonical
        return (canonical.get(name) or canonical.get(name.removesuffix("'s").removesuffix("’s"))) == who

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
