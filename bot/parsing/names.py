"""Words that look like names: the shared token patterns and the words that never are characters."""
from __future__ import annotations

import re

from bot.lazylog import Logger
from bot.parsing.verbs import SPEECH_VERBS

log = Logger(__name__)

HONORIFICS = ("kun", "san", "sama", "sensei", "chan", "senpai", "sempai", "hime", "dono", "nii", "nee")
TITLES = frozenset(
    "Mr Mrs Ms Miss Dr Sir Lady Lord Madame Mme Mlle Colonel Captain Professor Aunt Uncle".split()
)
# A capitalised word, possibly with a possessive or an honorific (Naruto's, Naruto-kun).
# Patterns start with a character class so the regex engine can skip ahead quickly.
CAPITALISED = re.compile(r"[A-Z][a-z]+(?:['’][a-z]+)?(?:-[a-z]+)?")
_HONORIFIC_SUFFIX = re.compile("-(?:" + "|".join(HONORIFICS) + ")$")
_POSSESSIVE = re.compile(r"['’]s$")
_EDGE_PUNCT = ",.;:!?\"“”‘’'()[]*_…—–-"

# Capitalised words that start sentences or name nobody; the evidence test catches the rest.
STOPWORDS = frozenset(
    """
    a about above after again against all also although always am an and another any are
    as at be because been before being below between both but by can could did do does doing
    down during each either else even ever every few for from further had has have having he
    her here hers herself him himself his how however i if in into is it its itself just let
    like may maybe me might more most much must my myself neither never no nobody none nor not
    nothing now of off oh on once one only or other our ours ourselves out over own perhaps
    quite rather really same she should since so some somebody someone something still such
    than that the their theirs them themselves then there these they this those though through
    thus to too under until up upon us very was we well were what whatever when where whether
    which while who whom whose why will with within without would yes yet you your yours
    yourself ok okay yeah hey hmm huh ah uh um wow please thanks thank sorry good great right
    god lord sir madam mr mrs ms miss dr chapter part book volume prologue epilogue summary
    disclaimer note notes monday tuesday wednesday thursday friday saturday sunday january
    february march april june july august september october november december english
    everyone everything anyone anything somewhere nowhere everybody anybody dear poor old
    people time silence suddenly finally slowly quickly soon later meanwhile together both
    """.split()
)
# "Said she:", "Asked Tom": a speech verb opening a sentence is no name.
_SPEECH_PAST = frozenset(verb for verb in SPEECH_VERBS if verb.endswith("ed")) | {"said", "says", "quoth"}
PRONOUN_GENDER = {
    "he": "M", "him": "M", "his": "M", "himself": "M",
    "she": "F", "her": "F", "hers": "F", "herself": "F",
}
# "said her father", "the old woman cried", "the Duchess": a noun that tells the gender.
GENDERED_NOUNS = {
    **dict.fromkeys(
        "man gentleman father husband brother son uncle boy lad fellow master lord king prince "
        "nephew grandfather papa sir youth stranger duke count marquis baron emperor monsieur".split(),
        "he",
    ),
    **dict.fromkeys(
        "woman lady mother wife sister daughter aunt girl maid mistress queen princess niece "
        "grandmother mamma mama widow duchess countess marchioness baroness empress madame".split(),
        "she",
    ),
}
TITLE_GENDER = {
    "Mr": "M", "Sir": "M", "Lord": "M", "Uncle": "M", "Colonel": "M", "Captain": "M",
    "Mrs": "F", "Ms": "F", "Miss": "F", "Lady": "F", "Madame": "F", "Mme": "F", "Mlle": "F", "Aunt": "F",
}


def base_form(name: str) -> str:
    """A name without its honorific suffix or possessive: Naruto-kun -> Naruto, Naruto's -> Naruto."""
    if "-" not in name and "'" not in name and "’" not in name:
        return name  # most names: neither pattern can match
    return _HONORIFIC_SUFFIX.sub("", _POSSESSIVE.sub("", name))


def titled(title: str, name: str) -> str:
    """One spelling for a name with a title: Mr. Bennet (also for "Mr Bennet")."""
    title = title.rstrip(".")
    return f"{title}. {name}" if title in ("Mr", "Mrs", "Ms", "Dr") else f"{title} {name}"


def bare(word: str) -> str:
    """A word without surrounding punctuation."""
    return word.strip(_EDGE_PUNCT)


def is_stopword(name: str) -> bool:
    """True for words such as "The" or "Maybe" that a tag or a sentence start capitalises."""
    words = name.split()
    if len(words) > 1 and words[0].rstrip(".") in TITLES:
        return False
    # "He'd" and "I’m" are a stopword with a contraction.
    first = words[0].lower().rstrip(".").replace("’", "'").split("'", 1)[0]
    return first in STOPWORDS or first in _SPEECH_PAST
