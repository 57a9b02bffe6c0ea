"""Tell author's notes, disclaimers, summaries and formatting legends apart from story text."""
from __future__ import annotations

import re

from bot.lazylog import Logger

log = Logger(__name__)

_LABELLED = re.compile(
    r"""(?x)
    [\s(\[*~_-]*
    (?:
        (?P<summary>summary|full\ summary|story\ summary|description)
      | (?P<disclaimer>disclaimer|disclaimers|disclaimed|standard\ disclaimer)
      | (?P<note>(?i:author'?s?'?\s*notes?|authors?'?\s*notes?|a\s*/\s*n|note|notes|n/?b|warnings?|
                  ratings?|pairings?|genres?|spoilers?|dedication|beta(?:'d|ed)?\ by|beta\ reader))
    )
    \s*(?:[:.\-–—)\]]|$)
    """,
    re.IGNORECASE,
)
# The characters a label can start with: its leading symbols, and the first letters of the label
# words in either case ("ſ" is an s to a case-insensitive regex).
_LABEL_FIRST = frozenset("([*~_-" + "sfdanwrpgb" + "SFDANWRPGB" + "ſ")
# "AN:" must be written in capitals (or with the slash) so the article "An" is never taken for it.
_AN = re.compile(r"[\s(\[*~_-]*AN\s*[:\-–—)]")
_OWNERSHIP = re.compile(
    r"(?i)\b(?:i|we)\s+(?:do\s+not|don'?t|dont|never\s+will|will\s+never)\s+own\b"
    r"|\bis\s+(?:owned|the\s+property)\s+(?:by|of)\b|\bbelongs?\s+to\s+(?:masashi\s+)?kishimoto\b"
    r"|\bno\s+(?:copyright|infringement)\b"
)
# Pieces of every way _OWNERSHIP can match, in lower case with single spaces, free of "i" and "s"
# (a case-insensitive regex also matches "ı" and "ſ" to those, which str.lower does not).
_OWNERSHIP_HINTS = (
    "not own", "n't own", "dont own", "ll own", "never own", "owned", "propert", "moto", "copyr", "ngement",
)
_BYLINE = re.compile(r"(?:by|written by|author:)\s+[A-Z][\w.' -]{1,60}")
_LEGEND_WORDS = re.compile(
    r"(?i)\b(?:speak|speech|speaking|talk|talking|thought|thoughts|thinking|think|jutsu|technique|"
    r"demon|demonic|inner|voice|telepathy|telepathic|mind|flashback|writing|letters?|narration|"
    r"sign language|bijuu|kyuubi|summons?|yelling|shouting|whisper(?:ing)?)\b"
)
_LEGEND_SHAPE = re.compile(r"""(?:"[^"]{1,50}"|“[^”]{1,50}”|'[^']{1,50}'|‘[^’]{1,50}’|\*[^*]{1,50}\*|_[^_]{1,50}_)""")
_LEGEND_CLOSERS = frozenset("\"”'’*_")
_LEGEND_LEAD = re.compile(
    r"(?i)(?:for (?:the|my|our) readers?['’]?s? (?:convenience|benefit|reference)|legend|key|formatting|format guide)"
    r"[^.!?]{0,30}(?:\.\.\.|…|:|\.)?"
)
# Every text _LEGEND_LEAD can match starts with one of these (its words' first letters, either
# case, and the Kelvin sign that (?i) takes for a "k"): the others are ruled out without the regex.
_LEGEND_LEAD_FIRST = frozenset("fFkKlL\u212a")
_SPOKEN_END = frozenset(".!?,;…-")
_LEGEND_OPENERS = frozenset("\"“'‘*_")
_SENTENCE_PUNCT = re.compile(r"[.!?,;]")
# Words a writer uses to talk about the writing; a story paragraph seldom needs them.
_META = frozenset(
    """story stories chapter chapters fic fics fanfic fanfics fanfiction update updates updated
    updating review reviews reviewed reviewing reviewer reviewers reader readers beta betaed beta'd
    sequel oneshot one-shot oneshots favorite favorites favourite favourites follows hiatus
    cliffhanger plot author authors write writes writing written wrote post posted posting
    disclaimer oc ooc au pm lemon pairing r&r""".split()
)
_GREETING_WORDS = frozenset("enjoy enjoyed thanks cheers".split())
_GREETING_PHRASES = (
    "thank you", "hope you", "see you", "next time", "read and review", "please review", "ja ne",
    "peace out", "later guys",
)
_FIRST_PERSON = frozenset("I I'm I've I'll I'd I’m I’ve I’ll I’d me my My mine myself".split())
_SECOND_PERSON = frozenset("you your you're you’re you'll you’ll guys y'all everyone".split())
_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’&-]*")
_VOICE_CUES = ("I", "my", "My", "me", "you", "You", "hank", "njoy", "eview", "pdate", "guys")
_VOICE_MAX = 2000  # longer paragraphs are story, whatever their words
_QUOTED = re.compile(r"\"[^\"]*\"?|“[^”]*”?")
_WORDS = re.compile(r"\S+")


def labelled_note(text: str) -> str | None:
    """Kind of a note that labels itself (Summary:, Disclaimer:, A/N, AN:, Author's Note), else None."""
    first = text[:1]
    # Every label starts with one of these characters; most paragraphs are ruled out without a regex.
    if first in _LABEL_FIRST or first.isspace():
        match = _LABELLED.match(text)
        if match:
            if match["summary"]:
                return "summary"
            if match["disclaimer"]:
                return "disclaimer"
            return "note"
        if _AN.match(text):
            return "note"
    # The ownership regex is slow to scan; plain substring tests rule out most lines first.
    if (
        len(text) < 300
        and ("own" in text or "OWN" in text)
        and not _QUOTED.search(text)
        and _may_claim_ownership(text)
        and _OWNERSHIP.search(text)
    ):
        return "disclaimer"
    return None


def _may_claim_ownership(text: str) -> bool:
    """False when no branch of _OWNERSHIP can match: each needs one of _OWNERSHIP_HINTS."""
    lowered = " ".join(text.lower().split())
    return any(hint in lowered for hint in _OWNERSHIP_HINTS)


def summary_text(text: str) -> str:
    """The summary without its label."""
    match = _LABELLED.match(text)
    return text[match.end():].strip() if match else text


def is_byline(text: str) -> bool:
    return len(text) < 80 and text[0] in "BbWwA" and bool(_BYLINE.fullmatch(text))


def is_legend(text: str) -> bool:
    """A formatting legend such as "Talking" / 'Thinking' / "Tailed Beast/Demonic speak", or the
    line announcing one ("For the reader's convenience...", "Key:")."""
    if text[:1] in _LEGEND_LEAD_FIRST and _LEGEND_LEAD.fullmatch(text):
        return True
    if (
        len(text) > 120
        or text[0] not in _LEGEND_OPENERS
        or text[-1] not in _LEGEND_CLOSERS
        or text[-2:-1] in _SPOKEN_END  # "Yes." is a line of dialogue, not a legend
        or not _LEGEND_WORDS.search(text)
    ):
        return False
    pieces = _LEGEND_SHAPE.findall(text)
    if not pieces:
        return False
    rest = _LEGEND_SHAPE.sub("", text)
    # Between legend items there is only glue (dashes, "=", "is", commas), never prose.
    if len(_WORDS.findall(rest)) > len(pieces) * 2:
        return False
    inner = [piece[1:-1] for piece in pieces]
    return all(len(_WORDS.findall(item)) <= 5 and not _SENTENCE_PUNCT.search(item) for item in inner)


def _may_be_voice(text: str) -> bool:
    """A cheap first look: a note to readers nearly always says I, my, you, thanks or enjoy."""
    return any(cue in text for cue in _VOICE_CUES)


def author_voice(text: str) -> int:
    """How strongly a plain paragraph reads as the author talking about the writing.

    2: meta words plus first or second person (a note on its own); 1: a short first/second-person
    or greeting line (a note only next to a stronger one); 0: story text.
    """
    if len(text) > _VOICE_MAX or not _may_be_voice(text):
        return 0
    narration = _QUOTED.sub(" ", text)
    if len(narration) < len(text) / 2 or not _may_be_voice(narration):
        return 0
    tokens = _TOKEN.findall(narration)
    lowered = [token.lower() for token in tokens]
    meta = sum(1 for token in lowered if token in _META)
    person = sum(1 for token in tokens if token in _FIRST_PERSON)
    person += sum(1 for token in lowered if token in _SECOND_PERSON)
    lowered_text = narration.lower()
    greeting = sum(1 for token in lowered if token in _GREETING_WORDS)
    greeting += sum(1 for phrase in _GREETING_PHRASES if phrase in lowered_text)
    if meta and person and (meta + greeting >= 2 or person >= 2):
        return 2
    if (person or greeting or meta) and len(tokens) <= 20:
        return 1
    return 0
