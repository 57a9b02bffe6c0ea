"""The sex of whom a speech calls on without a name: "Yes, sir.", "Good night, mamma.", "Come
here, my dear girl." A word of address set off by punctuation says the addressee is a man or a
woman; the addressee is someone other than the speaker, most often the one the speech answers or
the one who answers it, so the scorer weighs each candidate's known sex against it (evidence.py)."""
from __future__ import annotations

import re

TYPE_CHECKING = False  # typing's, without loading typing: `parse` starts without it (bot/startup.py)
if TYPE_CHECKING:
    from typing import Final

# Words that call on one man or one woman. Plurals ("gentlemen", "ladies") call on a group, and
# "my dear", "my child", "darling" say nothing of the sex.
_MALE: Final = "sir sire mister monsieur signor senor herr lordship master son boy lad laddie sonny man fellow chap gentleman".split()
_FEMALE: Final = (
    "ma'am ma’am madam madame mademoiselle signora senora miss missus missis mum ladyship mistress daughter girl "
    "lass lassie woman"
).split()
# Kin called on: never after "my" ("My mother, you know, was..." speaks of her).
_MALE_KIN: Final = "father papa pa dad daddy uncle brother".split()
_FEMALE_KIN: Final = "mother mamma mama mammy mummy mommy ma aunt auntie aunty sister".split()
# Only after "my": "Good Lord!" swears by no one.
_MALE_MY: Final = ("lord",)
_FEMALE_MY: Final = ("lady",)
SEX_OF_WORD: Final = {
    **dict.fromkeys((*_MALE, *_MALE_KIN, *_MALE_MY), "M"), **dict.fromkeys((*_FEMALE, *_FEMALE_KIN, *_FEMALE_MY), "F")
}
# Words that may come between the opening of a call and its word of address: "my dear girl",
# "you silly boy", "young man", "old fellow", "dear mamma".
_FILLERS: Final = "dear dearest good sweet young old little own darling silly foolish fine pretty brave kind noble beloved naughty wicked"


def _alternatives(words: list[str] | tuple[str, ...]) -> str:
    return "|".join(sorted(map(re.escape, words), key=len, reverse=True))


_FILLER: Final = r"(?:(?:" + _alternatives(_FILLERS.split()) + r")\s+)"
# What a call opens on: the speech's start, a mark of punctuation, or an interjection ("Yes sir",
# "Oh mamma", "Thank you, sir" opens on the comma); not a hyphen ("a thirty-year-old man").
_OPENING: Final = r"(?:^|(?:--|[,.!?;:…—–(])\s*|\b(?:oh|o|ah|yes|no|nay|aye|well|why|thanks|please|pray|indeed)\s+)"
_ADDRESS: Final = re.compile(
    _OPENING
    + r"(?:(?:(?:my|your|you)\s+)?" + _FILLER + r"{0,3}(" + _alternatives((*_MALE, *_FEMALE)) + r")"
    + r"|" + _FILLER + r"{0,2}(" + _alternatives((*_MALE_KIN, *_FEMALE_KIN)) + r")"
    + r"|my\s+" + _FILLER + r"{0,2}(" + _alternatives((*_MALE_MY, *_FEMALE_MY)) + r"))"
    # ... and what closes it: punctuation or the speech's end, not a name ("Sir John", "Miss Bates").
    + r"(?=\s*(?:[,.!?;:…—–)'\"”’-]|$))",
    re.IGNORECASE,
)
# A word that may call on someone, anywhere in a speech: most speeches hold none, and need no
# closer look (one pass instead of the pattern above at every position).
_ANY: Final = re.compile(r"\b(?:" + _alternatives(list(SEX_OF_WORD)) + r")\b", re.IGNORECASE)


def addressed_sex(text: str) -> str | None:
    """"M" or "F" when a speech calls on a man or a woman by a word of address and not the other,
    None when it calls on neither (or both)."""
    if _ANY.search(text) is None:
        return None
    found: str | None = None
    for match in _ADDRESS.finditer(text):
        sex = SEX_OF_WORD[(match[1] or match[2] or match[3]).lower()]
        if found is None:
            found = sex
        elif found != sex:
            return None
    return found
