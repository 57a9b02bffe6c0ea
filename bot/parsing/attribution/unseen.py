"""Speeches a tag gives to a voice nobody is seen with: '"No!" cried a voice from the top of the
table.', 'A voice from within answered, "Yes."', '"...," someone called.' Whoever it is, the tag
says the text has not shown them: on PDNC such a speaker is outside the exchange before it nine
times in ten (docs/attribution.md, branch `seeds13`), so neither a beat nor the exchange's turns
give the speech to one of its members."""
from __future__ import annotations

from bot.parsing.names import bare
from bot.parsing.verbs import SPEECH_VERBS

TYPE_CHECKING = False  # typing's, without loading typing: `parse` starts without it (bot/startup.py)
if TYPE_CHECKING:
    from typing import Final

# What a voice nobody is seen with is called: "a voice", "a timid voice", "another voice",
# "voices"; and "someone", "somebody".
_VOICES: Final = frozenset(("voice", "voices"))
_ANYONE: Final = frozenset(("someone", "somebody"))
_INDEFINITE: Final = frozenset(("a", "an", "another", "some"))
# Words a lead-in sentence may open on before its voice: "Then a voice called".
_OPENERS: Final = frozenset(("then", "and", "but", "suddenly", "presently", "now", "at", "last"))
# Adjectives between the article and "voice" ("a deep, gruff voice"), and words between the voice
# and its verb ("a voice from within answered").
_ADJECTIVES: Final = 2
_TO_VERB: Final = 4
# Words of a tag read after or before the speech, and the characters looked at first for a piece
# of every tag this reads (most speeches have none: str.find settles them).
_TAG_WORDS: Final = 10
_TAG_CHARS: Final = 120
_PIECES: Final = ("voice", "omeone", "omebody")


def _speech_verb(word: str) -> bool:
    """A verb of speech, as tags write it ("said", "cried"), or "came" ("came a voice")."""
    found = bare(word)
    return found.islower() and (found in SPEECH_VERBS or found == "came")


def _voice_end(words: list[str], at: int) -> int:
    """Where "a [adjectives] voice" starting at word `at` ends (the index after "voice"), or -1."""
    if at >= len(words) or bare(words[at]).lower() not in _INDEFINITE:
        return -1
    for j in range(at + 1, min(len(words), at + 2 + _ADJECTIVES)):
        word = bare(words[j])
        if word in _VOICES:
            return j + 1
        if not word.isalpha() or not word.islower():
            return -1
    return -1


def _voice_speaks(words: list[str], at: int) -> bool:
    """Whether the words from `at` say a voice or someone speaks: "a voice [from within] answered",
    "someone [loudly] called"."""
    if at >= len(words):
        return False
    if bare(words[at]).lower() in _ANYONE:
        following = at + 1
        if following < len(words) and bare(words[following]).endswith("ly"):
            following += 1  # "someone softly said"
        return following < len(words) and _speech_verb(words[following])
    end = _voice_end(words, at)
    if end < 0:
        return False
    for j in range(end, min(len(words), end + _TO_VERB + 1)):
        if _speech_verb(words[j]):
            return True
        if words[j][-1] in ".!?;":
            return False
    return False


def unseen_voice(after: str, lead_in: str) -> bool:
    """Whether a speech's tag gives it to a voice nobody is seen with: the narration right after
    it ('," cried a voice from the top of the table.', ' someone called.', ' a voice whispered to
    me') or the last sentence of its lead-in ('A grave voice replied,', 'Someone cried across the
    table to her:')."""
    head = after[:_TAG_CHARS]
    lead = lead_in[-_TAG_CHARS:]
    if not any(piece in head or piece in lead for piece in _PIECES):
        return False
    words = after.split(None, _TAG_WORDS)[:_TAG_WORDS]
    at = 0
    while at < len(words) and not any(c.isalpha() for c in words[at]):
        at += 1  # a stray mark: '" , said a voice'
    if at < len(words) and words[at][:1].islower():
        verb = at + 1 if bare(words[at]).endswith("ly") and at + 1 < len(words) else at
        if _speech_verb(words[verb]) and words[verb][-1].isalpha() and (
            _voice_end(words, verb + 1) > 0 or (verb + 1 < len(words) and bare(words[verb + 1]) in _ANYONE)
        ):
            return True  # "said a voice", "cried a timid voice", "called someone"
        if _voice_speaks(words, at):
            return True  # "a voice whispered to me"
    if not lead_in or lead_in.isspace():
        return False
    tail = lead_in.rstrip()
    for mark in ('"', "“", "”", ". ", "! ", "? "):
        tail = tail.rpartition(mark)[2]  # the last sentence, after any speech
    words = tail.split(None, _TAG_WORDS + 2)[: _TAG_WORDS + 2]
    at = 0
    while at < len(words) - 1 and bare(words[at]).lower() in _OPENERS:
        at += 1
    return _voice_speaks(words, at)
