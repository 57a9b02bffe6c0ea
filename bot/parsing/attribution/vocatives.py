"""Whom a quotation names, and whom it calls on ('Naruto, you fail.'): a vocative's speaker is
someone else, and the one called on often answers."""
from __future__ import annotations

import re

from bot.parsing.characters import Lexicon
from bot.parsing.names import CAPITALISED, HONORIFICS, TITLES, titled

# Words before a name that still leave it a vocative: "Oh, Jane!", "Well Tobin,", "Come on
# Shizune-san,", "Please Sasuke,".
_GREETING = frozenset(
    """hey oh yes no thanks sorry dear hi hello bye goodbye morning dearest darling sweet sweetest ah well why
    on please listen look okay alright""".split()
)

# A word written in capitals ("NARUTO!"), read as the name it may be.
_SHOUTED = re.compile(r"\b[A-Z]{2,}\b")


class VocativeReader:
    """The names in speeches for ChapterAttributor (rules.py), remembered per text for the chapter."""

    _lexicon: Lexicon
    _speech_names: dict[str, tuple[set[str], set[str]]]

    def _mentioned(self, text: str) -> set[str]:
        return self._names_in_speech(text)[0]

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
        if _SHOUTED.search(text):
            # "NARUTO!": a name shouted in capitals is the name.
            text = _SHOUTED.sub(lambda m: m[0].capitalize() if m[0].capitalize() in name_words else m[0], text)
        words = CAPITALISED.findall(text)
        if name_words.isdisjoint(words) and not any("-" in word for word in words):
            self._speech_names[key] = (mentioned, addressed)
            return mentioned, addressed
        for match in CAPITALISED.finditer(text):
            word = match[0]
            if word not in name_words:
                # "Marla-san": the name with an honorific the text never wrote before.
                word, _, suffix = word.partition("-")
                if suffix not in HONORIFICS or word not in name_words:
                    continue
            start, end = match.span()
            before = text[max(0, start - 12) : start].rstrip()
            title = before.rsplit(None, 1)[-1] if before else ""
            if title.rstrip(".") in TITLES:
                # "with Mr. Bingley!": the title's full stop is no punctuation before an address.
                name = canonical.get(titled(title, word)) or canonical.get(word)
                before = before[: -len(title)].rstrip()
            else:
                name = canonical.get(match[0]) or canonical.get(word)
            if not name:
                continue
            mentioned.add(name)
            after = text[end : end + 2].lstrip()
            if after and after[0] not in ",!?.…":
                continue
            if not before or before[-1] in ",!?.…" or before.rsplit(None, 1)[-1].lower() in _GREETING:
                addressed.add(name)
        self._speech_names[key] = (mentioned, addressed)
        return mentioned, addressed
