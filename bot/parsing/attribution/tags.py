"""Reading the speech tag right after or before a quotation: '"...," Naruto said', 'he said:',
'Syme sprang to his feet and said in a small and quiet voice'."""
from __future__ import annotations

import re
from itertools import pairwise

from bot.parsing.attribution.words import (
    _ABBREVIATIONS,
    _CLAUSE_WORDS,
    _DESCRIPTION_WORDS,
    _DETERMINERS,
    _SENTENCE_CHARS,
    _SUBORDINATORS,
    _adverb,
    _description,
    _gendered_role,
    _is_verb,
    _kin,
    _read_name,
    _verb_end,
    _with_epithet,
)
from bot.parsing.names import GENDERED_NOUNS, STOPWORDS, TITLES, bare, base_form, titled
from bot.parsing.verbs import PHRASAL, SPEECH_GERUNDS, SPEECH_STEMS, SPEECH_VERBS

TYPE_CHECKING = False  # typing's, without loading typing: `parse` starts without it (bot/startup.py)
if TYPE_CHECKING:
    from typing import Final

# Tags are read word by word rather than with one large regular expression: it is much faster and
# keeps each rule readable.

_PRONOUNS: Final = {"he": "he", "she": "she"}
# How much text after or before a quotation its tag is read from, in characters.
_WINDOW: Final = 100
# A lead-in's verb may be followed by a short manner phrase: "said in a small and quiet voice".
_MANNER_WORDS: Final = 8
_MANNER_OPENERS: Final = frozenset(
    "in with to at without after under from through towards toward for by him her them me us most very rather quite so thus".split()
)
_CLAUSE_STARTS: Final = frozenset("but that which who whom when while whereupon than".split())
_INVERTED_LEADS: Final = frozenset("Said Cried Asked Replied Answered Exclaimed Returned".split())
_AUXILIARIES: Final = frozenset("had has have would could should might must will shall did does then now also only just again still".split())
_REPLY_NOUNS: Final = frozenset(
    "answer reply response retort rejoinder challenge question exclamation remark greeting comment inquiry enquiry"
    " observation".split()
)
_REPLY_BEFORE: Final = re.compile(
    r"\b(His|his|Her|her|[A-Z][a-z]+['’]s) (?:only |first |sole |whole )?(?:" + "|".join(sorted(_REPLY_NOUNS))
    + r")(?: [^.!?\"“”]{0,40})? (?:was|came)\b[^.!?\"“”]{0,30}[:,—–-]*$"
)
# "cried the policeman again", "said the waiter now": words that end the role's phrase.
_AFTER_ROLE: Final = frozenset("again now then too also still once".split())
# Words before a speech verb's plain form that make it a lead-in: "to say--", "could only reply:".
_BEFORE_STEM: Final = frozenset("to would could should might must will shall did only".split())
_CONJUNCTIONS: Final = frozenset("and but then so now yet".split())
_SENTENCE_ENDS = (". ", "! ", "? ", '"', "“", "”", "; ")
# "Harriet, who ... said:": the name a relative clause hangs on.
_RELATIVE: Final = re.compile(r"((?:(?:Mr|Mrs|Miss|Dr|Sir|Lady|Lord|Madame|Colonel|Captain)\.? )?[A-Z][a-z]+), who\b")
_OBJECT_MARKERS: Final = frozenset("to at with for from on upon by towards toward about after behind beside near into".split())
_NAME_ADJECTIVES: Final = frozenset("old young little poor dear good".split())


def _tag_after(after: str) -> tuple[str, str] | None:
    """("name", X) or ("pronoun", he/she) for a tag right after a quotation: '"..." Naruto said'.

    Read from the first _WINDOW characters alone, so each such window is read once: two thirds
    of a novel's are repeats ('," said Emma.', '," he said.')."""
    window = after[:_WINDOW]
    found = _TAGS_AFTER.get(window, _UNREAD)
    if found is _UNREAD:
        if len(_TAGS_AFTER) >= _TAGS_AFTER_KEPT:
            _TAGS_AFTER.clear()
        found = _TAGS_AFTER[window] = _read_tag_after(window)
    return found


# Windows read by _tag_after and what they say (a pure function of the window), shared by every
# parse; cleared when full.
_TAGS_AFTER: dict[str, tuple[str, str] | None] = {}
_TAGS_AFTER_KEPT = 50_000
# Typed as the union so that compiled (bot/parsing/native.py) it stays one boxed object: a plain
# tuple[str, str] is unboxed there and made anew where boxed, and `found is _UNREAD` would fail.
_UNREAD: tuple[str, str] | None = ("", "")


def _read_tag_after(window: str) -> tuple[str, str] | None:
    words = window.split(None, 7)
    if not words:
        return None
    if words[0] in (",", "-", "—", "–"):
        words = words[1:]
    if not words:
        return None
    first = bare(words[0])
    if first == "was" and len(words) > 3 and words[1].isalpha() and bare(words[2]).lower() in ("his", "her"):
        words = [first, *words[2:]]  # '"...," was therefore his answer.'
    if first == "was" and len(words) > 2 and bare(words[1]).lower() in ("his", "her") and (
        bare(words[2]).lower() in _REPLY_NOUNS
        or (len(words) > 3 and words[2].isalpha() and bare(words[3]).lower() in _REPLY_NOUNS)
    ):
        # '"...," was her answer.', '"...!" was her immediate exclamation.'
        return "pronoun", "he" if bare(words[1]).lower() == "his" else "she"
    if (first == "was" or (first == "had" and len(words) > 1 and bare(words[1]) == "been")) and len(words) > 2:
        # '"...," was Marilla's response.', '"...," had been Anne's reply'
        name, index = _read_name(words, 1 if first == "was" else 2)
        if name and index < len(words) and (name.endswith(("'s", "’s")) or words[index] == "s"):
            return "name", base_form(name)
    if first == "I" and (_verb_end(words, 1) or (len(words) > 2 and _adverb(words[1]) and _verb_end(words, 2))):
        return "narrator", "I"
    if first.lower() in _PRONOUNS:
        if _verb_end(words, 1) or (len(words) > 2 and _adverb(words[1]) and _verb_end(words, 2)):
            return "pronoun", first.lower()
        if len(words) > 2 and words[1] == "would" and bare(words[2]) in SPEECH_STEMS:
            return "pronoun", first.lower()  # '"...," she would say.'
        return None
    if len(words) > 2 and _adverb(words[0]) and _verb_end(words, 1):
        words = words[1:]  # "feebly reiterated Matthew"
    verb_end = _verb_end(words, 0)
    if verb_end and words[verb_end - 1][-1] not in ".!?":
        index = verb_end
        if index < len(words) and _adverb(words[index]):
            index += 1
        if index < len(words) and bare(words[index]).lower() in _PRONOUNS:
            return "pronoun", bare(words[index]).lower()
        if index < len(words) and bare(words[index]) == "I":
            return "narrator", "I"
        if kin := _kin(words, index):
            return "kin", kin
        if (role := _gendered_role(words, index)) is not None:
            return "role", role  # "said the count": the count if the story has one, else a he
        if (described := _description(words, index)) is not None:
            return "pronoun", _with_epithet(described, words, index)
        if index < len(words) and words[index].lower() in _DETERMINERS:
            if words[index] == "the" and index + 1 < len(words) and (common := bare(words[index + 1])).islower():
                named = (index + 2 < len(words) and words[index + 1][-1].isalpha()
                         and _read_name(words, index + 2)[0] is not None)  # "said the gloomy Ratcliffe"
                if common.replace("-", "").isalpha() and not named and (
                    index + 2 == len(words) or not words[index + 2].islower()
                    or not words[index + 1][-1].isalpha() or words[index + 2] in _CLAUSE_WORDS
                    or bare(words[index + 2]) in _AFTER_ROLE
                ):
                    return "role", common  # "said the mariner", "said the count, ..."
                noun = bare(words[index + 2]) if index + 2 < len(words) else ""
                if (
                    common.isalpha() and words[index + 1][-1].isalpha() and noun.isalpha() and noun.islower()
                    and noun not in GENDERED_NOUNS and not _adverb(noun) and noun not in STOPWORDS
                    and (index + 3 == len(words) or not words[index + 2][-1].isalpha()
                         or words[index + 3] in _CLAUSE_WORDS or _adverb(words[index + 3]))
                ):
                    return "role", noun  # "cried the big navvy", "asked the first cabman"
            # "yelled an over-excited Naruto": a short description before the name
            for skip in range(index + 1, min(index + 5, len(words))):
                name, end = _read_name(words, skip)
                if name:
                    if end < len(words) and words[end - 1][-1].isalpha() and bare(words[end])[:1].isupper():
                        return "name", f"{name} {bare(words[end])}"  # "said the March Hare"
                    return "name", name
                if not words[skip].islower() or not words[skip][-1].isalpha():
                    break  # "cried the latter, though Jane...": the description ended unnamed
            return None
        name, end = _read_name(words, index)
        if name is None and index + 1 < len(words) and words[index] in _NAME_ADJECTIVES:
            name, end = _read_name(words, index + 1)  # "said old Horace"
        if name and " " not in name and end < len(words) and words[end - 1][-1].isalpha():
            following = bare(words[end])
            if following[:1].isupper() and following[1:2].islower():
                name = f"{name} {following}"  # "said Count Orlov", "said Harriet Smith"
        return ("name", name) if name else None
    if (kin := _kin(words, 0)) and len(words) > 1 and words[1][-1].isalpha() and _verb_end(words, 2):
        return "kin", kin  # "her mother said"
    if (role := _gendered_role(words, 0)) is not None and len(words) > 1 and words[1][-1].isalpha() and _verb_end(words, 2):
        return "role", role  # "the count said"
    if (described := _description(words, 0)) is not None:
        for end in range(1, min(1 + _DESCRIPTION_WORDS, len(words))):
            if bare(words[end]) in GENDERED_NOUNS:
                if words[end][-1].isalpha() and _verb_end(words, end + 1):
                    return "pronoun", _with_epithet(described, words, 0)
                break
        return None
    if (
        words[0].lower() == "the" and len(words) > 2 and (common := bare(words[1])).islower()
        and common.replace("-", "").isalpha()
    ):
        if words[1][-1].isalpha() and _verb_end(words, 2):
            return "role", common  # "the mariner said", "the copy-nin asked" (as "said the station-master")
    start = 1 if words[0].lower() == "the" else 0  # "the Gryphon went on"
    name, index = _read_name(words, start)
    if not name or words[index - 1][-1] in ",.!?;:":
        return None
    if index + 1 < len(words) and words[index][:1].isupper() and words[index][1:2].islower() and words[index][-1].isalpha():
        name, index = f"{name} {words[index]}", index + 1  # "the March Hare replied", "Uncle Aubrey boomed"
    if index < len(words) and _adverb(words[index]):
        index += 1
    if (verb_end := _verb_end(words, index)) is not None:
        if verb_end < len(words) and words[verb_end] == "that":
            return None  # "Elizabeth replied that it was": reported speech, not a tag
        return "name", name
    return None


def _lead_verb(words: list[str]) -> tuple[int, bool] | None:
    """Where the speech verb of a lead-in is ("Mizuki laughed,", "said in a low voice:", "and
    then added, with a smile,"), and whether it is a gerund: the last one in the clause, with at
    most a short manner phrase after it."""
    for v in range(len(words) - 1, max(0, len(words) - 2 - _MANNER_WORDS), -1):
        word = words[v]
        if v < len(words) - 1 and word[-1] in ".!?;" and word[:-1] not in _ABBREVIATIONS:
            return None  # the sentence ended before any verb (a title's full stop ends none)
        if v < len(words) - 1 and word[-1] == "," and not _is_verb(word) and bare(word).lower() not in SPEECH_GERUNDS:
            if not _adverb(bare(word)):
                return None  # "asked for the salt, and Emma": another clause follows the verb
        plain = bare(word).lower()
        gerund = plain in SPEECH_GERUNDS or (
            # "took up the subject again, to say--", "could only reply:": the sentence's subject speaks
            plain in SPEECH_STEMS and v >= 1 and bare(words[v - 1]).lower() in _BEFORE_STEM
        )
        verb = gerund or plain in SPEECH_VERBS
        phrasal = v >= 1 and PHRASAL.get(bare(words[v - 1]).lower()) == plain
        if not (verb or phrasal):
            continue
        tail = [bare(w).lower() for w in words[v + 1 :]]
        if tail and not (
            _adverb(tail[0]) or tail[0] in _MANNER_OPENERS
            or (word[-1] == "," and len(tail) == 1 and tail[0].endswith(("ing", "ed")))  # "echoed, bewildered:"
        ):
            continue
        if any(w in _CLAUSE_STARTS for w in tail) or any(
            bare(w) == "and" and (bare(nxt)[:1].isupper() or bare(nxt) in _PRONOUNS)
            for w, nxt in pairwise(words[v + 1 :])
        ):
            continue  # "said to her that...", "asked for tea and Emma...": a clause of its own
        return (v - 1, False) if phrasal and not verb else (v, gerund)
    return None


def _tag_before(before: str) -> tuple[str, str] | None:
    """A tag leading into a quotation: 'Mizuki laughed, "...', 'he said:' or 'Syme sprang to
    his feet and said in a small and quiet voice'."""
    tail = before[-2 * _WINDOW :].rstrip()
    if not tail or tail[-1] in ".!?\"”’')":
        return None
    if (reply := _REPLY_BEFORE.search(tail[-_WINDOW:]) if any(noun in tail for noun in _REPLY_NOUNS) else None):
        # "His answer was puzzling:", "and Emma's reply was,"
        owner = reply[1]
        if owner.lower() in ("his", "her"):
            return "pronoun", "he" if owner.lower() == "his" else "she"
        return "name", base_form(owner)
    words = tail.split()
    if len(words) >= 2 and words[-2] in _INVERTED_LEADS and (name := bare(words[-1]))[:1].isupper():
        return "name", name  # 'Said Helen, "No doubt..."'
    window = words[-_MANNER_WORDS - 6 :]
    found = _lead_verb(window)
    if found is None:
        return None
    verb, gerund = found
    words = window[: verb + 1]
    index = len(words) - 2
    while index >= 0 and (_adverb(words[index]) or words[index] in _AUXILIARIES):
        index -= 1  # "Cecil had said,", "Elinor now said,", "he then added:"
    if index < 0:
        return _sentence_subject(before) if gerund else None
    subject = bare(words[index])
    if gerund:
        return _sentence_subject(before)
    if subject == "I" and (index == 0 or words[index - 1][-1] in ".!?,;:" or words[index - 1].islower()):
        return "narrator", "I"
    if subject.lower() in _PRONOUNS and (index == 0 or words[index - 1][-1] in ".!?,;:" or words[index - 1].islower()):
        return "pronoun", subject.lower()
    titled_at = index - (index >= 1 and bare(words[index - 1]).rstrip(".") in TITLES)
    if titled_at >= 1 and bare(words[titled_at - 1]).lower() in _OBJECT_MARKERS:
        # "and, turning to Elizabeth, said,": whom the speaker turns to is not the speaker.
        return _sentence_subject(before)
    if index >= 1 and bare(words[index - 1]).rstrip(".") in TITLES:
        return "name", titled(bare(words[index - 1]), subject)
    if subject[:1].isupper() and subject[1:2].islower():
        return "name", subject
    if subject.islower():
        # "George, who disliked any darkness, said:" / "Lucy, with a sigh, replied:"
        return _sentence_subject(before)
    return None


def _sentence_subject(before: str) -> tuple[str, str] | None:
    """The subject of the sentence a tag ends: the name a relative clause hangs on, or the name
    (or he/she) that opens the sentence, after any clause that leads into it ("When they had
    gained their room, Jane, taking out the letter, said"). Several candidates are given, best
    first, separated by "|": the caller takes the first that names a speaker."""
    tail = before[-_SENTENCE_CHARS:]
    start = max(tail.rfind(mark) for mark in _SENTENCE_ENDS)
    while start > 0 and tail[start] == "." and tail[max(0, start - 4) : start].rsplit(" ", 1)[-1] in _ABBREVIATIONS:
        # "Mrs. Elton, speaking louder, said,": a title's full stop ends no sentence.
        start = max(tail.rfind(mark, 0, start) for mark in _SENTENCE_ENDS)
    sentence = tail[start + 1 :]
    if (relative := _RELATIVE.findall(sentence)):
        return "far", relative[-1]
    if start < 0 and len(before) > _SENTENCE_CHARS:
        return None  # the sentence began further back than we look
    words = sentence.split()
    if len(words) < 3:
        return None
    first = 0
    while first < len(words) - 2 and bare(words[first]).lower() in _CONJUNCTIONS:
        first += 1
    if bare(words[first]).lower() in _SUBORDINATORS:
        comma = next((i for i in range(first, len(words) - 2) if words[i][-1] == ","), None)
        if comma is not None:
            first = comma + 1
    # Every subject-like word of the sentence in order: names, and pronouns ("I", "he", "she", or
    # one naming nobody); the first is the sentence's subject, the names after it fall-backs.
    found: list[tuple[str, str]] = []
    for i in range(first, len(words) - 1):
        word = bare(words[i])
        if i > first and words[i - 1][-1:] in "()":
            break  # "(with passion, Alice thought)": an aside has its own subject
        if word in ("I", "He", "She", "he", "she", "It", "it", "They", "they", "We", "we") and words[i + 1].islower():
            found.append(("narrator", "I") if word == "I" else (
                ("pronoun", word.lower()) if word.lower() in _PRONOUNS else ("nobody", word)))
            continue
        if not word[:1].isupper() or (i and bare(words[i - 1]).lower() in _OBJECT_MARKERS):
            continue
        name, index = _read_name(words, i)
        if not name or name.endswith(("'s", "’s")) or index >= len(words):
            continue
        if (
            " " not in name and index + 1 < len(words) and words[index - 1][-1].isalpha()
            and (following := bare(words[index]))[:1].isupper() and following[1:2].islower()
            and (not words[index][-1].isalpha() or words[index + 1].islower())
        ):
            name, index = f"{name} {following}", index + 1  # "Frank Churchill was heard to say"
        if not words[index - 1][-1].isalpha() or words[index].islower():
            if i > first + 1 and bare(words[i - 1]).lower() in ("while", "whilst", "whereupon") and words[i - 2][-1] == ",":
                found.insert(0, ("far", name))  # '"...," called Helen, while Margaret, thoughtful, said:'
                continue
            found.append(("far", name))
    if not found:
        return None
    kind, value = found[0]
    if kind == "nobody":
        return None
    if kind != "far":
        return kind, value
    candidates = []
    for kind, value in found:
        if kind == "far" and value not in candidates:
            candidates.append(value)
    return ("far", "|".join(candidates)) if candidates else None
