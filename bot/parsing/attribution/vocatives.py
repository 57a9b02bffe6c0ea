"""Whom a quotation names, and whom it calls on ('Naruto, you fail.'): a vocative's speaker is
someone else, and the one called on often answers."""
from __future__ import annotations

import re

from bot.parsing.characters import Lexicon
from bot.parsing.names import CAPITALISED, HONORIFICS, TITLES, titled
from bot.parsing.native import trait

TYPE_CHECKING = False  # typing's, without loading typing: `parse` starts without it (bot/startup.py)
if TYPE_CHECKING:
    from typing import Final

# Words before a name that still leave it a vocative: "Oh, Jane!", "Well Tobin,", "Come on
# Shizune-san,", "Please Sasuke,".
_GREETING: Final = frozenset(
    """hey oh yes no thanks sorry dear hi hello bye goodbye morning dearest darling sweet sweetest ah well why
    on please listen look okay alright""".split()
)

# Words after a name that opens a speech with no comma and still leave it a call: "Sasuke where
# are you going?" (a name that is the subject goes on with a verb).
_AFTER_OPENING_CALL: Final = frozenset("where what why how who when which you your please wait don't stop come".split())
# ... and after a greeting word: "Sorry Itachi I thought...", "Thanks Tobin you're a star".
_AFTER_GREETED_CALL: Final = frozenset("I you you're we please".split())
_NEXT_WORD: Final = re.compile(r"\s+([A-Za-z']+)")
# An honorific used alone to call on someone: "Sensei, what's that?", "..., sensei."
_BARE_HONORIFIC: Final = re.compile(r"(?:^|(, ))(?:" + "|".join(HONORIFICS) + r")\b([,.!?…]|$)", re.IGNORECASE)
# Whether _BARE_HONORIFIC is anywhere in a text: its match at the start, or this (which opens on
# ", " so the engine skips ahead to the next comma instead of trying every position).
_BARE_HONORIFIC_AFTER_COMMA: Final = re.compile(r", (?:" + "|".join(HONORIFICS) + r")\b([,.!?…]|$)", re.IGNORECASE)
# A word written in capitals ("NARUTO!"), read as the name it may be.
_SHOUTED: Final = re.compile(r"[A-Z](?<!\w[A-Z])[A-Z]+\b")  # \b[A-Z]{2,}\b, opening on the letter
# CAPITALISED's words and _SHOUTED's in one pass over a speech (the two never overlap, so its
# matches are both patterns' matches): with no shouted word among them (its second letter a
# capital), they are CAPITALISED.findall's, and the speech needed one scan instead of two.
_CAPITALISED_OR_SHOUTED: Final = re.compile(r"[A-Z](?:[a-z]+(?:['’][a-z]+)?(?:-[a-z]+)?|(?<!\w[A-Z])[A-Z]+\b)")


@trait  # a mixin of ChapterAttributor (rules.py), which holds the state
class VocativeReader:
    """The names in speeches for ChapterAttributor (rules.py), remembered per text for the chapter."""

    _lexicon: Lexicon
    _speech_names: dict[str, tuple[set[str], set[str]]]

    def _mentioned(self, text: str) -> set[str]:
        return self._names_in_speech(text)[0]

    def _owners(self) -> dict[str, set[str]]:
        """Each honorific's owners: the characters the text names with it ("Kakashi-sensei"),
        worked out once per story, not per chapter (the lexicon's names are settled)."""
        return self._lexicon.honorific_owners()

    def _honorific_owners(self, honorific: str) -> set[str]:
        return self._owners().get(honorific, set())

    def _names_in_speech(self, text: str) -> tuple[set[str], set[str]]:
        """Names a quotation mentions, and those it addresses ('Naruto, you fail.').

        Remembered per text: the same quotation is looked at by several rules.
        """
        known = self._speech_names.get(text)
        if known is not None:
            return known
        key = text
        canonical = self._lexicon.canonical
        mentioned: set[str] = set()
        addressed: set[str] = set()
        # A capitalised word that ends no name form cannot name anyone, with or without a title;
        # most speeches name nobody, and those need no closer look.
        name_words = self._lexicon.name_words()
        words: list[str] = _CAPITALISED_OR_SHOUTED.findall(text)
        for word in words:
            if word[1] <= "Z":
                # "NARUTO!": a name shouted in capitals is the name.
                text = _SHOUTED.sub(lambda m: m[0].capitalize() if m[0].capitalize() in name_words else m[0], text)
                words = CAPITALISED.findall(text)
                break
        if self._owners() and (_BARE_HONORIFIC.match(text) or _BARE_HONORIFIC_AFTER_COMMA.search(text)):  # else a bare one calls on nobody
            # "It's good to see you too, sensei.": whoever the text calls "X-sensei".
            for match in _BARE_HONORIFIC.finditer(text):
                at_start = match.start() == 0 and match[2] == ","
                at_end = match[1] is not None and match[2] != ","
                if at_start or at_end:
                    addressed |= self._honorific_owners(match[0].strip(" ,.!?…").lower())
        if name_words.isdisjoint(words) and ("-" not in text or not any("-" in word for word in words)):
            self._speech_names[key] = (mentioned, addressed)
            return mentioned, addressed
        end = 0
        for found in words:
            # Where the word is, without a second scan: the first place from the last word's end
            # that holds it (CAPITALISED would have matched at any earlier one).
            start = text.find(found, end)
            end = start + len(found)
            word = found
            if word not in name_words:
                # "Marla-san": the name with an honorific the text never wrote before.
                word, _, suffix = word.partition("-")
                if suffix not in HONORIFICS or word not in name_words:
                    continue
            before = text[max(0, start - 12) : start].rstrip()
            title = before.rsplit(None, 1)[-1] if before else ""
            if title.rstrip(".") in TITLES:
                # "with Mr. Bingley!": the title's full stop is no punctuation before an address.
                name = canonical.get(titled(title, word)) or canonical.get(word)
                before = before[: -len(title)].rstrip()
            else:
                name = canonical.get(found) or canonical.get(word)
            if not name:
                continue
            mentioned.add(name)
            after = text[end : end + 2].lstrip()
            if after and after[0] not in ",!?.…":
                # Without the comma: "Sasuke-kun where are you going?", "Sorry Itachi I thought...".
                following = _NEXT_WORD.match(text, end)
                greeted = bool(before) and before.rsplit(None, 1)[-1].lower() in _GREETING
                if following and ((not before and following[1] in _AFTER_OPENING_CALL) or (greeted and following[1] in _AFTER_GREETED_CALL)):
                    addressed.add(name)
                continue
            if not before or before[-1] in ",!?.…" or before.rsplit(None, 1)[-1].lower() in _GREETING:
                addressed.add(name)
        self._speech_names[key] = (mentioned, addressed)
        return mentioned, addressed
