"""Matching typed trivia answers: forgiving about case, punctuation, honorifics and one typo."""
from __future__ import annotations

import logging
import re
import unicodedata

log = logging.getLogger(__name__)

# Japanese honorific suffixes are common in the stories ("Naruto-kun"); a player typing the bare name
# (or adding a suffix the text did not use) still means the same character.
HONORIFICS = (
    "kun", "san", "sama", "chan", "chin", "sensei", "senpai", "sempai", "dono", "hime",
    "nii", "nee", "niisan", "neesan", "nii-san", "nee-san", "nii-chan", "nee-chan",
    "jiji", "baa-chan", "tan", "shishou", "kohai", "tachi",
)
_HONORIFIC_RE = re.compile(
    r"[-\s](?:" + "|".join(re.escape(h) for h in sorted(HONORIFICS, key=len, reverse=True)) + r")$"
)
_NON_WORD_RE = re.compile(r"[^\w\s-]+")
_SPACE_RE = re.compile(r"[\s_]+")


def normalize_answer(text: str) -> str:
    """Lower-case, accents folded, punctuation and a trailing honorific removed, spaces collapsed."""
    folded = unicodedata.normalize("NFKD", text)
    folded = "".join(c for c in folded if not unicodedata.combining(c)).casefold()
    folded = _NON_WORD_RE.sub("", folded)
    folded = _SPACE_RE.sub(" ", folded).strip(" -")
    stripped = _HONORIFIC_RE.sub("", folded)
    # Never strip an answer down to nothing ("Sensei" alone is a valid answer).
    return (stripped or folded).replace("-", " ").strip()


def within_one_edit(a: str, b: str) -> bool:
    """True when a and b differ by at most one insertion, deletion, substitution or adjacent swap."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diffs = [i for i in range(la) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        return (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and a[diffs[0]] == b[diffs[1]]
            and a[diffs[1]] == b[diffs[0]]
        )
    short, long_ = (a, b) if la < lb else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1 :]


def typed_answer_matches(guess: str, answer: str) -> bool:
    """Whether a typed guess counts as `answer`; one typo is forgiven only for answers over four letters."""
    g, a = normalize_answer(guess), normalize_answer(answer)
    if not g or not a:
        return False
    if g == a:
        return True
    return len(a.replace(" ", "")) > 4 and within_one_edit(g, a)
