"""Tell author's notes, disclaimers, summaries and formatting legends apart from story text."""
from __future__ import annotations

import logging
import re

log = logging.getLogger(__name__)

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
# "AN:" must be written in capitals (or with the slash) so the article "An" is never taken for it.
_AN = re.compile(r"[\s(\[*~_-]*AN\s*[:\-–—)]")
_OWNERSHIP = re.compile(
    r"(?i)\b(?:i|we)\s+(?:do\s+not|don'?t|dont|never\s+will|will\s+never)\s+own\b"
    r"|\bis\s+(?:owned|the\s+property)\s+(?:by|of)\b|\bbelongs?\s+to\s+(?:masashi\s+)?kishimoto\b"
    r"|\bno\s+(?:copyright|infringement)\b"
)
_BYLINE = re.compile(r"(?:by|written by|author:)\s+[A-Z][\w.' -]{1,60}")
_LEGEND_WORDS = re.compile(
    r"(?i)\b(?:speak|speech|speaking|talk|talking|thought|thoughts|thinking|think|jutsu|technique|"
    r"demon|demonic|inner|voice|telepathy|telepathic|mind|flashback|writing|letters?|narration|"
    r"sign language|bijuu|kyuubi|summons?|yelling|shouting|whisper(?:ing)?)\b"
)
_LEGEND_SHAPE = re.compile(r"""(?:"[^"]{1,50}"|“[^”]{1,50}”|'[^']{1,50}'|‘[^’]{1,50}’|\*[^*]{1,50}\*|_[^_]{1,50}_)""")
_SPOKEN_END = frozenset(".!?,;…-")
_LEGEND_OPENERS = frozenset("\"“'‘*_")
_SENTENCE_PUNCT = re.compile(r"[.!?,;]")
# Words a writer uses to talk about the writing; a story paragraph seldom needs them.
_META = re.compile(
    r"(?i)\b(?:stor(?:y|ies)|chapters?|fics?|fanfic(?:tion)?s?|updat(?:e|es|ed|ing)|"
    r"reviews?|review(?:ed|ing|ers?)|readers?|beta(?:ed|'d)?|sequel|one-?shots?|oneshots?|"
    r"r\s*&\s*r|favou?rites?|follows|hiatus|cliffhanger|plot|author|authors|"
    r"writ(?:e|es|ing|ten)|wrote|post(?:ed|ing)|disclaimer|oc|ooc|au|pm|lemon|pairing)\b"
)
_GREETING = re.compile(
    r"(?i)\b(?:enjoy|thanks|thank\s+you|hope\s+you|see\s+you|until\s+next\s+time|next\s+time|"
    r"read\s+and\s+review|please\s+review|ja\s+ne|peace\s+out|cheers|later\s+guys)\b"
)
_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I've|I'll|I'd|I’m|I’ve|I’ll|I’d|me|my|mine|myself)\b")
_SECOND_PERSON = re.compile(r"(?i)\b(?:you|your|you're|you’re|you'll|you’ll|guys|y'all|everyone)\b")
_VOICE_MAX = 2000  # longer paragraphs are story, whatever their words
_QUOTED = re.compile(r"\"[^\"]*\"?|“[^”]*”?")
_WORDS = re.compile(r"\S+")


def labelled_note(text: str) -> str | None:
    """Kind of a note that labels itself (Summary:, Disclaimer:, A/N, AN:, Author's Note), else None."""
    match = _LABELLED.match(text)
    if match:
        if match["summary"]:
            return "summary"
        if match["disclaimer"]:
            return "disclaimer"
        return "note"
    if _AN.match(text):
        return "note"
    if len(text) < 300 and ("own" in text or "OWN" in text) and _OWNERSHIP.search(text) and not _QUOTED.search(text):
        return "disclaimer"
    return None


def summary_text(text: str) -> str:
    """The summary without its label."""
    match = _LABELLED.match(text)
    return text[match.end():].strip() if match else text


def is_byline(text: str) -> bool:
    return len(text) < 80 and bool(_BYLINE.fullmatch(text))


def is_legend(text: str) -> bool:
    """A formatting legend such as "Talking" / 'Thinking' / "Tailed Beast/Demonic speak"."""
    if (
        len(text) > 120
        or text[0] not in _LEGEND_OPENERS
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


def author_voice(text: str) -> int:
    """How strongly a plain paragraph reads as the author talking about the writing.

    2: meta words plus first or second person (a note on its own); 1: a short first/second-person
    or greeting line (a note only next to a stronger one); 0: story text.
    """
    if len(text) > _VOICE_MAX:
        return 0
    narration = _QUOTED.sub(" ", text)
    if len(narration) < len(text) / 2:
        return 0
    meta = len(_META.findall(narration))
    greeting = len(_GREETING.findall(narration))
    person = len(_FIRST_PERSON.findall(narration)) + len(_SECOND_PERSON.findall(narration))
    words = len(_WORDS.findall(narration))
    if meta and person and (meta + greeting >= 2 or person >= 2):
        return 2
    if (person or greeting or meta) and words <= 20:
        return 1
    return 0
